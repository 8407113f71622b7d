/**
 * The dashboard page's script (plain browser JavaScript, no dependencies). It listens to
 * `{page}/events`, renders every snapshot into the DOM with `textContent` only (provider error
 * messages are shown, never interpreted), keeps ~5 minutes of history in memory and draws the
 * charts on `<canvas>`.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var WINDOW_MS = 5 * 60 * 1000;
  var MAX_ITEMS = 50;
  var PALETTE = ['#2f6fed', '#e8590c', '#12b886', '#ae3ec9', '#f59f00', '#1098ad', '#e64980', '#74b816', '#5c7cfa', '#868e96'];

  var base = location.pathname;
  while (base.length > 0 && base.charAt(base.length - 1) === '/') base = base.slice(0, -1);

  var state = {
    snapshot: null,
    history: [],
    order: [],
    colors: {},
    rows: {},
    groups: {},
    providers: {},
    intervalMs: 1000,
    lastSnapshotAt: 0,
  };

  function q(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(node, text) {
    var value = text === undefined || text === null ? '' : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function badge(node, value, testId, extra) {
    var cls = 'badge s-' + value + (extra ? ' ' + extra : '');
    if (node.className !== cls) node.className = cls;
    if (testId) node.setAttribute('data-testid', testId);
    node.setAttribute('data-value', value);
    setText(node, value);
  }

  function num(n) { return typeof n === 'number' && isFinite(n); }
  function fmtInt(n) { return num(n) ? Math.round(n).toLocaleString('en-US') : '—'; }
  function fmtMs(v) {
    if (!num(v)) return '—';
    if (v < 10) return v.toFixed(1) + ' ms';
    if (v < 1000) return Math.round(v) + ' ms';
    return (v / 1000).toFixed(2) + ' s';
  }
  function fmtPct(v) {
    if (!num(v)) return '—';
    var p = v * 100;
    return (p === 100 || p === 0 ? p.toFixed(0) : p.toFixed(1)) + '%';
  }
  function fmtCost(v) {
    if (!num(v)) return '—';
    return '$' + (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));
  }
  function fmtRate(v) { return num(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—'; }
  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }
  function fmtDuration(s) {
    if (!num(s)) return '—';
    var d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + hr + 'h';
    if (hr > 0) return hr + 'h ' + (m < 10 ? '0' : '') + m + 'm';
    if (m > 0) return m + 'm ' + (s % 60) + 's';
    return s + 's';
  }

  function colorOf(id) {
    if (!state.colors[id]) {
      state.colors[id] = PALETTE[Object.keys(state.colors).length % PALETTE.length];
    }
    return state.colors[id];
  }

  // ---------------------------------------------------------------------------------------
  // Header and cards
  // ---------------------------------------------------------------------------------------

  function renderHeader(s) {
    var status = q('status');
    badge(status, s.health.status, 'status', 'big');
    document.title = s.health.status + ' · ' + document.body.getAttribute('data-title');
    setText(q('rps'), fmtRate(s.counters.requestsPerSecond));
    setText(q('requests'), fmtInt(s.counters.requests));
    setText(q('requests-sub'), fmtInt(s.counters.successes) + ' ok · ' + fmtInt(s.counters.errors) + ' failed');
    setText(q('failover-count'), fmtInt(s.counters.failovers));
    var t = s.usage.total;
    setText(q('tokens'), fmtInt(t.promptTokens + t.completionTokens));
    setText(q('tokens-sub'), fmtInt(t.promptTokens) + ' in · ' + fmtInt(t.completionTokens) + ' out');
    setText(q('cost'), fmtCost(t.costUsd));
    setText(q('cost-sub'), fmtInt(t.requests) + ' served requests');
    setText(q('uptime'), fmtDuration(s.health.uptimeSeconds));
    setText(q('uptime-sub'), 'since ' + fmtTime(new Date(Date.parse(s.at) - s.health.uptimeSeconds * 1000).toISOString()));
    setText(q('updated'), 'updated ' + fmtTime(s.at));
    setText(q('since'), fmtTime(s.counters.since));
  }

  // ---------------------------------------------------------------------------------------
  // Deployments
  // ---------------------------------------------------------------------------------------

  var COLUMNS = ['id', 'provider', 'status', 'breaker', 'ewma', 'p50', 'p95', 'success', 'inFlight', 'failures', 'served', 'error'];
  var NUMERIC = { ewma: 1, p50: 1, p95: 1, success: 1, inFlight: 1, failures: 1, served: 1 };

  function deploymentRow(d) {
    var tr = h('tr');
    tr.setAttribute('data-testid', 'deployment-row');
    tr.setAttribute('data-deployment', d.id);
    var cells = {};
    COLUMNS.forEach(function (key) {
      var td = h('td', NUMERIC[key] ? 'num' : '');
      tr.appendChild(td);
      cells[key] = td;
    });
    var swatch = h('i', 'dot');
    swatch.style.background = colorOf(d.id);
    cells.id.appendChild(swatch);
    cells.id.appendChild(h('span', 'mono', d.id));
    cells.status.appendChild(h('span'));
    cells.breaker.appendChild(h('span'));
    cells.error.className = 'err';
    cells.error.setAttribute('data-testid', 'last-error');
    return { tr: tr, cells: cells };
  }

  function setDeploymentStatus(row, status) {
    row.tr.setAttribute('data-status', status);
    badge(row.cells.status.firstChild, status, 'deployment-status');
  }

  function setBreaker(row, breaker) {
    row.tr.setAttribute('data-breaker', breaker);
    badge(row.cells.breaker.firstChild, breaker, 'breaker');
  }

  function renderDeployments(s) {
    var body = q('deployment-rows');
    var seen = {};
    var byDeployment = s.usage.byDeployment || {};
    s.health.deployments.forEach(function (d, index) {
      seen[d.id] = true;
      var row = state.rows[d.id];
      if (!row) {
        row = deploymentRow(d);
        state.rows[d.id] = row;
      }
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
      var c = row.cells;
      setText(c.provider, d.provider);
      setDeploymentStatus(row, d.status);
      setBreaker(row, d.breaker);
      row.tr.setAttribute('data-usable', String(d.usable));
      row.tr.className = d.usable ? '' : 'unusable';
      row.tr.title = d.usable ? '' : 'Not usable now' + (d.availableAt ? ' (until ' + fmtTime(d.availableAt) + ')' : '');
      setText(c.ewma, fmtMs(d.latencyEwmaMs));
      setText(c.p50, fmtMs(d.latencyP50Ms));
      setText(c.p95, fmtMs(d.latencyP95Ms));
      setText(c.success, fmtPct(d.successRate));
      setText(c.inFlight, fmtInt(d.inFlight));
      setText(c.failures, fmtInt(d.consecutiveFailures));
      setText(c.served, fmtInt(byDeployment[d.id] ? byDeployment[d.id].requests : 0));
      setText(c.error, d.lastError || '—');
      c.error.title = d.lastError || '';
    });
    Object.keys(state.rows).forEach(function (id) {
      if (!seen[id]) {
        state.rows[id].tr.remove();
        delete state.rows[id];
      }
    });
    state.order = s.health.deployments.map(function (d) { return d.id; });
  }

  // ---------------------------------------------------------------------------------------
  // Model groups and providers
  // ---------------------------------------------------------------------------------------

  function renderGroups(s) {
    var root = q('models');
    var seen = {};
    s.health.models.forEach(function (g, index) {
      seen[g.name] = true;
      var view = state.groups[g.name];
      if (!view) {
        var box = h('div', 'group');
        box.setAttribute('data-testid', 'model-group');
        box.setAttribute('data-model', g.name);
        var head = h('div', 'group-head');
        var name = h('span', 'group-name mono', g.name);
        var status = h('span');
        head.appendChild(name);
        head.appendChild(status);
        var meta = h('div', 'group-meta');
        var canary = h('div', 'group-meta traffic');
        canary.setAttribute('data-testid', 'group-canary');
        var shadow = h('div', 'group-meta traffic');
        shadow.setAttribute('data-testid', 'group-shadow');
        var list = h('div');
        box.appendChild(head);
        box.appendChild(meta);
        box.appendChild(canary);
        box.appendChild(shadow);
        box.appendChild(list);
        view = { box: box, status: status, meta: meta, canary: canary, shadow: shadow, list: list, key: '' };
        state.groups[g.name] = view;
      }
      if (root.children[index] !== view.box) root.insertBefore(view.box, root.children[index] || null);
      badge(view.status, g.status, 'model-status');
      var usableCount = g.usable.length + ' of ' + g.deployments.length + ' usable';
      setText(view.meta, g.strategy + ' · ' + usableCount + (g.fallbacks.length ? ' · falls back to ' + g.fallbacks.join(', ') : ''));
      renderCanary(view.canary, g.canary);
      renderShadow(view.shadow, (s.shadows || []).filter(function (x) { return x.model === g.name; })[0], g.shadow);
      var key = g.deployments.join('|');
      if (view.key !== key) {
        view.key = key;
        view.list.textContent = '';
        view.bars = {};
        g.deployments.forEach(function (id) {
          var line = h('div', 'weight');
          line.setAttribute('data-testid', 'group-deployment');
          line.setAttribute('data-deployment', id);
          var label = h('span', 'mono', id);
          var bar = h('div', 'bar');
          var fill = h('span');
          fill.style.background = colorOf(id);
          bar.appendChild(fill);
          var pct = h('span', 'pct');
          line.appendChild(label);
          line.appendChild(bar);
          line.appendChild(pct);
          view.list.appendChild(line);
          view.bars[id] = { line: line, fill: fill, pct: pct };
        });
      }
      g.deployments.forEach(function (id) {
        var b = view.bars[id];
        var usable = g.usable.indexOf(id) !== -1;
        var weight = usable && num(g.weights[id]) ? g.weights[id] : 0;
        b.line.className = usable ? 'weight' : 'weight off';
        b.line.setAttribute('data-usable', String(usable));
        b.fill.style.width = (weight * 100).toFixed(1) + '%';
        setText(b.pct, usable ? fmtPct(weight) : 'unusable');
      });
    });
    Object.keys(state.groups).forEach(function (name) {
      if (!seen[name]) {
        state.groups[name].box.remove();
        delete state.groups[name];
      }
    });
  }

  /** One line on the group's canary: its share, state, and how its calls went. */
  function renderCanary(node, c) {
    node.hidden = !c;
    if (!c) return;
    node.setAttribute('data-state', c.state);
    var calls = c.calls ? fmtInt(c.calls) + ' calls, ' + fmtPct(c.errorRate) + ' errors, p99 ' + fmtMs(c.p99Ms) : 'no calls yet';
    var last = c.lastChange && c.lastChange.action === 'rollback'
      ? ' · rolled back (' + (c.lastChange.automatic ? c.lastChange.reason.replace('_', ' ') : 'by hand') + ')'
      : '';
    setText(node, 'canary ' + c.deployment + ' · ' + c.percent + '% · ' + c.state + ' · ' + calls + last);
  }

  /** One line on the group's shadow: calls compared, success, latency, similarity and cost, side by side. */
  function renderShadow(node, summary, status) {
    node.hidden = !status;
    if (!status) return;
    if (!summary) {
      setText(node, 'shadow ' + status.deployment + ' · ' + status.percent + '% sampled · nothing compared yet');
      return;
    }
    setText(
      node,
      'shadow ' + summary.deployment + ' · ' + fmtInt(summary.compared) + ' compared' +
        ' · success ' + fmtPct(summary.primarySuccessRate) + ' vs ' + fmtPct(summary.shadowSuccessRate) +
        ' · latency ' + fmtMs(summary.primaryLatencyMs) + ' vs ' + fmtMs(summary.shadowLatencyMs) +
        ' · similarity ' + (num(summary.similarity) ? summary.similarity.toFixed(2) : '—') +
        ' · cost ' + fmtCost(summary.primaryCostUsd) + ' vs ' + fmtCost(summary.shadowCostUsd) + ' (apart)',
    );
  }

  function renderProviders(s) {
    var body = q('provider-rows');
    var seen = {};
    s.health.providers.forEach(function (p, index) {
      seen[p.id] = true;
      var row = state.providers[p.id];
      if (!row) {
        var tr = h('tr');
        tr.setAttribute('data-testid', 'provider-row');
        tr.setAttribute('data-provider', p.id);
        row = { tr: tr, id: h('td', 'mono', p.id), url: h('td', 'mono muted'), status: h('td'), keys: h('td', 'num'), inFlight: h('td', 'num'), error: h('td', 'err') };
        row.status.appendChild(h('span'));
        [row.id, row.url, row.status, row.keys, row.inFlight, row.error].forEach(function (td) { tr.appendChild(td); });
        state.providers[p.id] = row;
      }
      if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
      setText(row.url, p.url);
      badge(row.status.firstChild, p.status, 'provider-status');
      setText(row.keys, p.keys.available + ' / ' + p.keys.total);
      setText(row.inFlight, fmtInt(p.inFlight));
      setText(row.error, p.lastError || '—');
      row.error.title = p.lastError || '';
    });
    Object.keys(state.providers).forEach(function (id) {
      if (!seen[id]) {
        state.providers[id].tr.remove();
        delete state.providers[id];
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // History and charts
  // ---------------------------------------------------------------------------------------

  function record(s) {
    var t = Date.parse(s.at);
    var point = { t: t, latency: {}, success: {} };
    s.health.deployments.forEach(function (d) {
      point.latency[d.id] = d.latencyEwmaMs;
      point.success[d.id] = d.successRate;
    });
    state.history.push(point);
    var cut = t - WINDOW_MS;
    while (state.history.length > 0 && state.history[0].t < cut) state.history.shift();
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (v <= steps[i] * p) return steps[i] * p;
    return 10 * p;
  }

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  /** Shown time span: the history kept, at least a minute, at most WINDOW_MS. */
  function chartSpan() {
    var history = state.history;
    var kept = history.length ? history[history.length - 1].t - history[0].t : 0;
    return Math.min(WINDOW_MS, Math.max(60000, Math.ceil(kept / 60000) * 60000));
  }

  function drawChart(canvas, metric, fixedMax, format) {
    var rect = canvas.getBoundingClientRect();
    var w = Math.max(1, Math.round(rect.width));
    var ht = Math.max(1, Math.round(rect.height));
    var dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(ht * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(ht * dpr);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, ht);
    var pad = { l: 56, r: 12, t: 10, b: 24 };
    var pw = Math.max(1, w - pad.l - pad.r);
    var ph = Math.max(1, ht - pad.t - pad.b);
    var history = state.history;
    var end = history.length ? history[history.length - 1].t : Date.now();
    var span = chartSpan();
    var start = end - span;
    var max = fixedMax;
    if (!max) {
      var top = 0;
      history.forEach(function (p) {
        state.order.forEach(function (id) {
          var v = p[metric][id];
          if (num(v) && v > top) top = v;
        });
      });
      max = niceMax(top * 1.1 || 10);
    }
    var font = getComputedStyle(document.body).fontFamily;
    ctx.font = '11px ' + font;
    ctx.lineWidth = 1;
    ctx.strokeStyle = cssVar('--grid');
    ctx.fillStyle = cssVar('--muted');
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (var i = 0; i <= 4; i++) {
      var y = Math.round(pad.t + ph - (ph * i) / 4) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(pad.l + pw, y);
      ctx.stroke();
      ctx.fillText(format((max * i) / 4), pad.l - 8, y);
    }
    ctx.textBaseline = 'top';
    var most = Math.max(2, Math.min(6, Math.floor(pw / 64)));
    var step = [10000, 15000, 20000, 30000, 60000, 120000, 150000, 300000].filter(function (ms) {
      return span / ms <= most;
    })[0] || span;
    for (var ago = 0; ago <= span; ago += step) {
      var x = pad.l + pw * (1 - ago / span);
      ctx.textAlign = ago === 0 ? 'right' : ago + step > span ? 'left' : 'center';
      ctx.fillText(ago === 0 ? 'now' : '−' + (step < 60000 ? ago / 1000 + ' s' : ago / 60000 + ' min'), x, pad.t + ph + 8);
    }
    var gap = Math.max(3 * state.intervalMs, 3000);
    var drawn = 0;
    state.order.forEach(function (id) {
      ctx.strokeStyle = colorOf(id);
      ctx.fillStyle = colorOf(id);
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.lineCap = 'round';
      ctx.beginPath();
      var pen = false;
      var lastT = 0;
      var lone = null;
      history.forEach(function (p) {
        var v = p[metric][id];
        if (!num(v)) { pen = false; return; }
        var x = pad.l + ((p.t - start) / span) * pw;
        var y = pad.t + ph - (Math.min(v, max) / max) * ph;
        if (pen && p.t - lastT <= gap) {
          ctx.lineTo(x, y);
          lone = null;
        } else {
          ctx.moveTo(x, y);
          lone = [x, y];
        }
        pen = true;
        lastT = p.t;
        drawn++;
      });
      ctx.stroke();
      if (lone) {
        ctx.beginPath();
        ctx.arc(lone[0], lone[1], 2.5, 0, Math.PI * 2);
        ctx.fill();
      }
    });
    if (drawn === 0) {
      ctx.fillStyle = cssVar('--muted');
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = '13px ' + font;
      ctx.fillText('No samples yet: charts fill in as requests are served', pad.l + pw / 2, pad.t + ph / 2);
    }
  }

  function renderLegend(node) {
    var key = state.order.join('|');
    if (node.getAttribute('data-key') === key) return;
    node.setAttribute('data-key', key);
    node.textContent = '';
    state.order.forEach(function (id) {
      var item = h('span', 'mono');
      var sw = h('i');
      sw.style.background = colorOf(id);
      item.appendChild(sw);
      item.appendChild(document.createTextNode(id));
      node.appendChild(item);
    });
  }

  function drawCharts() {
    var label = 'last ' + Math.round(chartSpan() / 60000) + ' min';
    setText(q('latency-window'), label);
    setText(q('success-window'), label);
    drawChart(q('latency-chart'), 'latency', 0, function (v) {
      return v === 0 ? '0' : fmtMs(v).replace(' ms', '');
    });
    drawChart(q('success-chart'), 'success', 1, function (v) { return Math.round(v * 100) + '%'; });
    renderLegend(q('latency-legend'));
    renderLegend(q('success-legend'));
  }

  // ---------------------------------------------------------------------------------------
  // Failovers and state changes
  // ---------------------------------------------------------------------------------------

  function failoverItem(f, fresh) {
    var li = h('li', fresh ? 'flash' : '');
    li.setAttribute('data-testid', 'failover-item');
    li.setAttribute('data-deployment', f.from);
    li.setAttribute('data-model', f.model);
    li.appendChild(h('span', 'time', fmtTime(f.at)));
    var what = h('span', 'what');
    what.appendChild(h('span', 'mono', f.from));
    what.appendChild(h('span', 'arrow', '→'));
    what.appendChild(h('span', 'muted', 'next in ' + f.model));
    what.title = 'request ' + f.requestId;
    li.appendChild(what);
    li.appendChild(h('span', 'tag', f.reason.replace(/_/g, ' ') + (f.status ? ' · ' + f.status : '')));
    return li;
  }

  function changeItem(c, fresh) {
    var li = h('li', fresh ? 'flash' : '');
    li.setAttribute('data-testid', 'change-item');
    li.setAttribute('data-deployment', c.deployment);
    li.setAttribute('data-kind', c.kind);
    li.appendChild(h('span', 'time', fmtTime(c.at)));
    li.appendChild(h('span', 'what mono', c.deployment));
    var tag = h('span', 'tag');
    var value = h('span');
    if (c.kind === 'breaker') {
      tag.appendChild(document.createTextNode('breaker '));
      badge(value, c.state);
    } else {
      tag.appendChild(document.createTextNode(c.previous + ' → '));
      badge(value, c.status);
    }
    tag.appendChild(value);
    li.appendChild(tag);
    return li;
  }

  function renderList(node, items, make, emptyText) {
    node.textContent = '';
    if (items.length === 0) {
      node.appendChild(h('li', 'empty', emptyText));
      return;
    }
    for (var i = items.length - 1; i >= 0; i--) node.appendChild(make(items[i], false));
  }

  function prepend(node, item) {
    var empty = node.querySelector('.empty');
    if (empty) empty.remove();
    node.insertBefore(item, node.firstChild);
    while (node.children.length > MAX_ITEMS) node.lastChild.remove();
  }

  // ---------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------

  function parse(e) {
    try { return JSON.parse(e.data); } catch (err) { return null; }
  }

  function setConnection(text, cls) {
    var node = q('connection');
    node.className = 'conn ' + cls;
    node.setAttribute('data-state', cls);
    setText(node, text);
  }

  function onSnapshot(s) {
    state.snapshot = s;
    state.intervalMs = s.intervalMs || 1000;
    state.lastSnapshotAt = Date.now();
    setConnection('live', 'live');
    renderHeader(s);
    renderDeployments(s);
    renderGroups(s);
    renderProviders(s);
    record(s);
    drawCharts();
  }

  var source = null;
  function connect() {
    source = new EventSource(base + '/events');
    source.addEventListener('open', function () { setConnection('live', 'live'); });
    source.addEventListener('error', function () {
      setConnection(source.readyState === 2 ? 'disconnected' : 'reconnecting…', 'down');
      if (source.readyState === 2) setTimeout(connect, 5000);
    });
    source.addEventListener('snapshot', function (e) {
      var s = parse(e);
      if (s && s.health) onSnapshot(s);
    });
    source.addEventListener('history', function (e) {
      var data = parse(e);
      if (!data) return;
      renderList(q('failovers'), data.failovers || [], failoverItem, 'No failovers yet.');
      renderList(q('changes'), data.changes || [], changeItem, 'No breaker or health changes yet.');
    });
    source.addEventListener('failover', function (e) {
      var f = parse(e);
      if (!f) return;
      prepend(q('failovers'), failoverItem(f, true));
      var count = q('failover-count');
      var n = parseInt((count.textContent || '0').replace(/,/g, ''), 10);
      if (!isNaN(n)) setText(count, fmtInt(n + 1));
    });
    source.addEventListener('breaker', function (e) {
      var c = parse(e);
      if (!c) return;
      var row = state.rows[c.deployment];
      if (row) setBreaker(row, c.state);
      prepend(q('changes'), changeItem(c, true));
    });
    source.addEventListener('health', function (e) {
      var c = parse(e);
      if (!c) return;
      var row = state.rows[c.deployment];
      if (row) setDeploymentStatus(row, c.status);
      prepend(q('changes'), changeItem(c, true));
    });
  }

  setInterval(function () {
    if (state.lastSnapshotAt && Date.now() - state.lastSnapshotAt > Math.max(3 * state.intervalMs, 5000)) {
      setConnection('stale', 'down');
    }
  }, 1000);

  if (window.ResizeObserver) {
    var pending = false;
    var ro = new ResizeObserver(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; drawCharts(); });
    });
    ro.observe(q('latency-chart'));
    ro.observe(q('success-chart'));
  }
  if (window.matchMedia) {
    var scheme = window.matchMedia('(prefers-color-scheme: dark)');
    if (scheme.addEventListener) scheme.addEventListener('change', drawCharts);
  }

  drawCharts();
  connect();
})();
`;
