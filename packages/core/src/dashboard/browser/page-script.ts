/**
 * The dashboard page's script, run in the browser (no dependencies). It listens to
 * `{page}/events`, renders every snapshot into the DOM with `textContent` only (provider error
 * messages are shown, never interpreted), keeps ~5 minutes of history in memory and draws the
 * charts on `<canvas>`.
 *
 * Type-checked with the DOM library (`tsconfig.json` here), linted with the rest, and compiled to a
 * classic script inlined into the page by `scripts/build-page-script.js`: its imports are types
 * only.
 */
import type { ShadowStatus } from '../../engine/shadow';
import type { CanaryStatus } from '../../routing/canary';
import type { HealthStatus } from '../../types';
import type {
  DashboardBreakerChange,
  DashboardChange,
  DashboardFailover,
  DashboardHealthChange,
  DashboardShadowSummary,
  DashboardSnapshot,
} from '../activity';

const WINDOW_MS = 5 * 60 * 1000;
const MAX_ITEMS = 50;
const PALETTE = [
  '#2f6fed',
  '#e8590c',
  '#12b886',
  '#ae3ec9',
  '#f59f00',
  '#1098ad',
  '#e64980',
  '#74b816',
  '#5c7cfa',
  '#868e96',
];

type Metric = 'latency' | 'success';
interface HistoryPoint {
  t: number;
  latency: Record<string, number | null>;
  success: Record<string, number | null>;
}
const COLUMNS = [
  'id',
  'provider',
  'status',
  'breaker',
  'ewma',
  'p50',
  'p95',
  'success',
  'inFlight',
  'failures',
  'served',
  'error',
] as const;
type Column = (typeof COLUMNS)[number];
const NUMERIC: ReadonlySet<Column> = new Set([
  'ewma',
  'p50',
  'p95',
  'success',
  'inFlight',
  'failures',
  'served',
]);

interface DeploymentRow {
  tr: HTMLTableRowElement;
  cells: Record<Column, HTMLTableCellElement>;
}
interface GroupBar {
  line: HTMLElement;
  fill: HTMLElement;
  pct: HTMLElement;
}
interface GroupView {
  box: HTMLElement;
  status: HTMLElement;
  meta: HTMLElement;
  canary: HTMLElement;
  shadow: HTMLElement;
  list: HTMLElement;
  key: string;
  bars: Record<string, GroupBar>;
}
interface ProviderRow {
  tr: HTMLTableRowElement;
  id: HTMLTableCellElement;
  url: HTMLTableCellElement;
  status: HTMLTableCellElement;
  keys: HTMLTableCellElement;
  inFlight: HTMLTableCellElement;
  error: HTMLTableCellElement;
}

let base = location.pathname;
while (base.length > 0 && base.charAt(base.length - 1) === '/') base = base.slice(0, -1);

const state = {
  history: [] as HistoryPoint[],
  order: [] as string[],
  colors: {} as Record<string, string>,
  rows: {} as Record<string, DeploymentRow>,
  groups: {} as Record<string, GroupView>,
  providers: {} as Record<string, ProviderRow>,
  intervalMs: 1000,
  lastSnapshotAt: 0,
};

/** The element the page marks with `data-testid="id"`; every one the script uses is in the page. */
function q<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.querySelector(`[data-testid="${id}"]`) as T;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string | number | null,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function setText(node: Node, text: string | number | null | undefined): void {
  const value = text === undefined || text === null ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

function badge(node: HTMLElement, value: string, testId?: string, extra?: string): void {
  const cls = `badge s-${value}${extra ? ` ${extra}` : ''}`;
  if (node.className !== cls) node.className = cls;
  if (testId) node.setAttribute('data-testid', testId);
  node.setAttribute('data-value', value);
  setText(node, value);
}

function num(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}
function fmtInt(n: unknown): string {
  return num(n) ? Math.round(n).toLocaleString('en-US') : '—';
}
function fmtMs(v: unknown): string {
  if (!num(v)) return '—';
  if (v < 10) return `${v.toFixed(1)} ms`;
  if (v < 1000) return `${Math.round(v)} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}
function fmtPct(v: unknown): string {
  if (!num(v)) return '—';
  const p = v * 100;
  return `${p === 100 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}
function fmtCost(v: unknown): string {
  if (!num(v)) return '—';
  return `$${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4)}`;
}
function fmtRate(v: unknown): string {
  return num(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—';
}
function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
function fmtDuration(s: unknown): string {
  if (!num(s)) return '—';
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${hr}h`;
  if (hr > 0) return `${hr}h ${m < 10 ? '0' : ''}${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

function colorOf(id: string): string {
  state.colors[id] ??= PALETTE[Object.keys(state.colors).length % PALETTE.length]!;
  return state.colors[id];
}

// ---------------------------------------------------------------------------------------
// Header and cards
// ---------------------------------------------------------------------------------------

function renderHeader(s: DashboardSnapshot): void {
  badge(q('status'), s.health.status, 'status', 'big');
  document.title = `${s.health.status} · ${document.body.getAttribute('data-title')}`;
  setText(q('rps'), fmtRate(s.counters.requestsPerSecond));
  setText(q('requests'), fmtInt(s.counters.requests));
  setText(q('requests-sub'), `${fmtInt(s.counters.successes)} ok · ${fmtInt(s.counters.errors)} failed`);
  setText(q('failover-count'), fmtInt(s.counters.failovers));
  const t = s.usage.total;
  setText(q('tokens'), fmtInt(t.promptTokens + t.completionTokens));
  setText(q('tokens-sub'), `${fmtInt(t.promptTokens)} in · ${fmtInt(t.completionTokens)} out`);
  setText(q('cost'), fmtCost(t.costUsd));
  setText(q('cost-sub'), `${fmtInt(t.requests)} served requests`);
  setText(q('uptime'), fmtDuration(s.health.uptimeSeconds));
  const startedAt = new Date(Date.parse(s.at) - s.health.uptimeSeconds * 1000).toISOString();
  setText(q('uptime-sub'), `since ${fmtTime(startedAt)}`);
  setText(q('updated'), `updated ${fmtTime(s.at)}`);
  setText(q('since'), fmtTime(s.counters.since));
}

// ---------------------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------------------

function deploymentRow(id: string): DeploymentRow {
  const tr = h('tr');
  tr.setAttribute('data-testid', 'deployment-row');
  tr.setAttribute('data-deployment', id);
  const cells = {} as Record<Column, HTMLTableCellElement>;
  for (const key of COLUMNS) {
    const td = h('td', NUMERIC.has(key) ? 'num' : '');
    tr.appendChild(td);
    cells[key] = td;
  }
  const swatch = h('i', 'dot');
  swatch.style.background = colorOf(id);
  cells.id.appendChild(swatch);
  cells.id.appendChild(h('span', 'mono', id));
  cells.status.appendChild(h('span'));
  cells.breaker.appendChild(h('span'));
  cells.error.className = 'err';
  cells.error.setAttribute('data-testid', 'last-error');
  return { tr, cells };
}

function setDeploymentStatus(row: DeploymentRow, status: HealthStatus): void {
  row.tr.setAttribute('data-status', status);
  badge(row.cells.status.firstChild as HTMLElement, status, 'deployment-status');
}

function setBreaker(row: DeploymentRow, breaker: string): void {
  row.tr.setAttribute('data-breaker', breaker);
  badge(row.cells.breaker.firstChild as HTMLElement, breaker, 'breaker');
}

function renderDeployments(s: DashboardSnapshot): void {
  const body = q('deployment-rows');
  const seen = new Set<string>();
  const byDeployment = s.usage.byDeployment || {};
  s.health.deployments.forEach((d, index) => {
    seen.add(d.id);
    let row = state.rows[d.id];
    if (!row) {
      row = deploymentRow(d.id);
      state.rows[d.id] = row;
    }
    if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    const c = row.cells;
    setText(c.provider, d.provider);
    setDeploymentStatus(row, d.status);
    setBreaker(row, d.breaker);
    row.tr.setAttribute('data-usable', String(d.usable));
    row.tr.className = d.usable ? '' : 'unusable';
    row.tr.title = d.usable
      ? ''
      : `Not usable now${d.availableAt ? ` (until ${fmtTime(d.availableAt)})` : ''}`;
    setText(c.ewma, fmtMs(d.latencyEwmaMs));
    setText(c.p50, fmtMs(d.latencyP50Ms));
    setText(c.p95, fmtMs(d.latencyP95Ms));
    setText(c.success, fmtPct(d.successRate));
    setText(c.inFlight, fmtInt(d.inFlight));
    setText(c.failures, fmtInt(d.consecutiveFailures));
    setText(c.served, fmtInt(byDeployment[d.id] ? byDeployment[d.id]!.requests : 0));
    setText(c.error, d.lastError || '—');
    c.error.title = d.lastError || '';
  });
  for (const id of Object.keys(state.rows)) {
    if (!seen.has(id)) {
      state.rows[id]!.tr.remove();
      delete state.rows[id];
    }
  }
  state.order = s.health.deployments.map((d) => d.id);
}

// ---------------------------------------------------------------------------------------
// Model groups and providers
// ---------------------------------------------------------------------------------------

function groupView(name: string): GroupView {
  const box = h('div', 'group');
  box.setAttribute('data-testid', 'model-group');
  box.setAttribute('data-model', name);
  const head = h('div', 'group-head');
  const status = h('span');
  head.appendChild(h('span', 'group-name mono', name));
  head.appendChild(status);
  const meta = h('div', 'group-meta');
  const canary = h('div', 'group-meta traffic');
  canary.setAttribute('data-testid', 'group-canary');
  const shadow = h('div', 'group-meta traffic');
  shadow.setAttribute('data-testid', 'group-shadow');
  const list = h('div');
  box.appendChild(head);
  box.appendChild(meta);
  box.appendChild(canary);
  box.appendChild(shadow);
  box.appendChild(list);
  return { box, status, meta, canary, shadow, list, key: '', bars: {} };
}

/** One line on a group's canary: its share, state, how its calls went, and why it rolled back. */
function renderCanary(node: HTMLElement, c: CanaryStatus | undefined): void {
  node.hidden = !c;
  if (!c) return;
  node.setAttribute('data-state', c.state);
  const calls = c.calls
    ? `${fmtInt(c.calls)} calls, ${fmtPct(c.errorRate)} errors, p99 ${fmtMs(c.p99Ms)}`
    : 'no calls yet';
  const last = c.lastChange;
  const why =
    last && last.action === 'rollback'
      ? ` · rolled back (${last.automatic ? last.reason.replace('_', ' ') : 'by hand'})`
      : '';
  setText(node, `canary ${c.deployment} · ${c.percent}% · ${c.state} · ${calls}${why}`);
}

/** One line on a group's shadow: calls compared, success, latency, similarity and cost, side by side. */
function renderShadow(
  node: HTMLElement,
  summary: DashboardShadowSummary | undefined,
  status: ShadowStatus | undefined,
): void {
  node.hidden = !status;
  if (!status) return;
  if (!summary) {
    setText(node, `shadow ${status.deployment} · ${status.percent}% sampled · nothing compared yet`);
    return;
  }
  const similarity = num(summary.similarity) ? summary.similarity.toFixed(2) : '—';
  setText(
    node,
    `shadow ${summary.deployment} · ${fmtInt(summary.compared)} compared` +
      ` · success ${fmtPct(summary.primarySuccessRate)} vs ${fmtPct(summary.shadowSuccessRate)}` +
      ` · latency ${fmtMs(summary.primaryLatencyMs)} vs ${fmtMs(summary.shadowLatencyMs)}` +
      ` · similarity ${similarity}` +
      ` · cost ${fmtCost(summary.primaryCostUsd)} vs ${fmtCost(summary.shadowCostUsd)} (apart)`,
  );
}

function groupBar(id: string): GroupBar {
  const line = h('div', 'weight');
  line.setAttribute('data-testid', 'group-deployment');
  line.setAttribute('data-deployment', id);
  const bar = h('div', 'bar');
  const fill = h('span');
  fill.style.background = colorOf(id);
  bar.appendChild(fill);
  const pct = h('span', 'pct');
  line.appendChild(h('span', 'mono', id));
  line.appendChild(bar);
  line.appendChild(pct);
  return { line, fill, pct };
}

function renderGroups(s: DashboardSnapshot): void {
  const root = q('models');
  const seen = new Set<string>();
  s.health.models.forEach((g, index) => {
    seen.add(g.name);
    let view = state.groups[g.name];
    if (!view) {
      view = groupView(g.name);
      state.groups[g.name] = view;
    }
    if (root.children[index] !== view.box) root.insertBefore(view.box, root.children[index] || null);
    badge(view.status, g.status, 'model-status');
    const usableCount = `${g.usable.length} of ${g.deployments.length} usable`;
    const fallbacks = g.fallbacks.length ? ` · falls back to ${g.fallbacks.join(', ')}` : '';
    setText(view.meta, `${g.strategy} · ${usableCount}${fallbacks}`);
    renderCanary(view.canary, g.canary);
    renderShadow(
      view.shadow,
      (s.shadows ?? []).find((x) => x.model === g.name),
      g.shadow,
    );
    const key = g.deployments.join('|');
    if (view.key !== key) {
      view.key = key;
      view.list.textContent = '';
      view.bars = {};
      for (const id of g.deployments) {
        const bar = groupBar(id);
        view.list.appendChild(bar.line);
        view.bars[id] = bar;
      }
    }
    for (const id of g.deployments) {
      const b = view.bars[id]!;
      const usable = g.usable.indexOf(id) !== -1;
      const weight = usable && num(g.weights[id]) ? g.weights[id] : 0;
      b.line.className = usable ? 'weight' : 'weight off';
      b.line.setAttribute('data-usable', String(usable));
      b.fill.style.width = `${(weight * 100).toFixed(1)}%`;
      setText(b.pct, usable ? fmtPct(weight) : 'unusable');
    }
  });
  for (const name of Object.keys(state.groups)) {
    if (!seen.has(name)) {
      state.groups[name]!.box.remove();
      delete state.groups[name];
    }
  }
}

function providerRow(id: string): ProviderRow {
  const tr = h('tr');
  tr.setAttribute('data-testid', 'provider-row');
  tr.setAttribute('data-provider', id);
  const row: ProviderRow = {
    tr,
    id: h('td', 'mono', id),
    url: h('td', 'mono muted'),
    status: h('td'),
    keys: h('td', 'num'),
    inFlight: h('td', 'num'),
    error: h('td', 'err'),
  };
  row.status.appendChild(h('span'));
  for (const td of [row.id, row.url, row.status, row.keys, row.inFlight, row.error]) tr.appendChild(td);
  return row;
}

function renderProviders(s: DashboardSnapshot): void {
  const body = q('provider-rows');
  const seen = new Set<string>();
  s.health.providers.forEach((p, index) => {
    seen.add(p.id);
    let row = state.providers[p.id];
    if (!row) {
      row = providerRow(p.id);
      state.providers[p.id] = row;
    }
    if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] || null);
    setText(row.url, p.url);
    badge(row.status.firstChild as HTMLElement, p.status, 'provider-status');
    setText(row.keys, `${p.keys.available} / ${p.keys.total}`);
    setText(row.inFlight, fmtInt(p.inFlight));
    setText(row.error, p.lastError || '—');
    row.error.title = p.lastError || '';
  });
  for (const id of Object.keys(state.providers)) {
    if (!seen.has(id)) {
      state.providers[id]!.tr.remove();
      delete state.providers[id];
    }
  }
}

// ---------------------------------------------------------------------------------------
// History and charts
// ---------------------------------------------------------------------------------------

function record(s: DashboardSnapshot): void {
  const t = Date.parse(s.at);
  const point: HistoryPoint = { t, latency: {}, success: {} };
  for (const d of s.health.deployments) {
    point.latency[d.id] = d.latencyEwmaMs;
    point.success[d.id] = d.successRate;
  }
  state.history.push(point);
  const cut = t - WINDOW_MS;
  while (state.history.length > 0 && state.history[0]!.t < cut) state.history.shift();
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (v <= step * p) return step * p;
  return 10 * p;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Shown time span: the history kept, at least a minute, at most WINDOW_MS. */
function chartSpan(): number {
  const history = state.history;
  const kept = history.length ? history[history.length - 1]!.t - history[0]!.t : 0;
  return Math.min(WINDOW_MS, Math.max(60000, Math.ceil(kept / 60000) * 60000));
}

function drawChart(
  canvas: HTMLCanvasElement,
  metric: Metric,
  fixedMax: number,
  format: (value: number) => string,
): void {
  const rect = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round(rect.width));
  const ht = Math.max(1, Math.round(rect.height));
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(ht * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(ht * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, ht);
  const pad = { l: 56, r: 12, t: 10, b: 24 };
  const pw = Math.max(1, w - pad.l - pad.r);
  const ph = Math.max(1, ht - pad.t - pad.b);
  const history = state.history;
  const end = history.length ? history[history.length - 1]!.t : Date.now();
  const span = chartSpan();
  const start = end - span;
  let max = fixedMax;
  if (!max) {
    let top = 0;
    for (const p of history) {
      for (const id of state.order) {
        const v = p[metric][id];
        if (num(v) && v > top) top = v;
      }
    }
    max = niceMax(top * 1.1 || 10);
  }
  const font = getComputedStyle(document.body).fontFamily;
  ctx.font = `11px ${font}`;
  ctx.lineWidth = 1;
  ctx.strokeStyle = cssVar('--grid');
  ctx.fillStyle = cssVar('--muted');
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const y = Math.round(pad.t + ph - (ph * i) / 4) + 0.5;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(pad.l + pw, y);
    ctx.stroke();
    ctx.fillText(format((max * i) / 4), pad.l - 8, y);
  }
  ctx.textBaseline = 'top';
  const most = Math.max(2, Math.min(6, Math.floor(pw / 64)));
  const step =
    [10000, 15000, 20000, 30000, 60000, 120000, 150000, 300000].filter((ms) => span / ms <= most)[0] || span;
  for (let ago = 0; ago <= span; ago += step) {
    const x = pad.l + pw * (1 - ago / span);
    ctx.textAlign = ago === 0 ? 'right' : ago + step > span ? 'left' : 'center';
    const label = ago === 0 ? 'now' : `−${step < 60000 ? `${ago / 1000} s` : `${ago / 60000} min`}`;
    ctx.fillText(label, x, pad.t + ph + 8);
  }
  const gap = Math.max(3 * state.intervalMs, 3000);
  let drawn = 0;
  for (const id of state.order) {
    ctx.strokeStyle = colorOf(id);
    ctx.fillStyle = colorOf(id);
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.beginPath();
    let pen = false;
    let lastT = 0;
    let lone: [number, number] | null = null;
    for (const p of history) {
      const v = p[metric][id];
      if (!num(v)) {
        pen = false;
        continue;
      }
      const x = pad.l + ((p.t - start) / span) * pw;
      const y = pad.t + ph - (Math.min(v, max) / max) * ph;
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
    }
    ctx.stroke();
    if (lone) {
      ctx.beginPath();
      ctx.arc(lone[0], lone[1], 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  if (drawn === 0) {
    ctx.fillStyle = cssVar('--muted');
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `13px ${font}`;
    ctx.fillText('No samples yet: charts fill in as requests are served', pad.l + pw / 2, pad.t + ph / 2);
  }
}

function renderLegend(node: HTMLElement): void {
  const key = state.order.join('|');
  if (node.getAttribute('data-key') === key) return;
  node.setAttribute('data-key', key);
  node.textContent = '';
  for (const id of state.order) {
    const item = h('span', 'mono');
    const sw = h('i');
    sw.style.background = colorOf(id);
    item.appendChild(sw);
    item.appendChild(document.createTextNode(id));
    node.appendChild(item);
  }
}

function drawCharts(): void {
  const label = `last ${Math.round(chartSpan() / 60000)} min`;
  setText(q('latency-window'), label);
  setText(q('success-window'), label);
  drawChart(q<HTMLCanvasElement>('latency-chart'), 'latency', 0, (v) =>
    v === 0 ? '0' : fmtMs(v).replace(' ms', ''),
  );
  drawChart(q<HTMLCanvasElement>('success-chart'), 'success', 1, (v) => `${Math.round(v * 100)}%`);
  renderLegend(q('latency-legend'));
  renderLegend(q('success-legend'));
}

// ---------------------------------------------------------------------------------------
// Failovers and state changes
// ---------------------------------------------------------------------------------------

function failoverItem(f: DashboardFailover, fresh: boolean): HTMLLIElement {
  const li = h('li', fresh ? 'flash' : '');
  li.setAttribute('data-testid', 'failover-item');
  li.setAttribute('data-deployment', f.from);
  li.setAttribute('data-model', f.model);
  li.appendChild(h('span', 'time', fmtTime(f.at)));
  const what = h('span', 'what');
  what.appendChild(h('span', 'mono', f.from));
  what.appendChild(h('span', 'arrow', '→'));
  what.appendChild(h('span', 'muted', `next in ${f.model}`));
  what.title = `request ${f.requestId}`;
  li.appendChild(what);
  li.appendChild(h('span', 'tag', f.reason.replace(/_/g, ' ') + (f.status ? ` · ${f.status}` : '')));
  return li;
}

function changeItem(c: DashboardChange, fresh: boolean): HTMLLIElement {
  const li = h('li', fresh ? 'flash' : '');
  li.setAttribute('data-testid', 'change-item');
  li.setAttribute('data-deployment', c.deployment);
  li.setAttribute('data-kind', c.kind);
  li.appendChild(h('span', 'time', fmtTime(c.at)));
  li.appendChild(h('span', 'what mono', c.deployment));
  const tag = h('span', 'tag');
  const value = h('span');
  if (c.kind === 'breaker') {
    tag.appendChild(document.createTextNode('breaker '));
    badge(value, c.state);
  } else {
    tag.appendChild(document.createTextNode(`${c.previous} → `));
    badge(value, c.status);
  }
  tag.appendChild(value);
  li.appendChild(tag);
  return li;
}

function renderList<T>(
  node: HTMLElement,
  items: readonly T[],
  make: (item: T, fresh: boolean) => HTMLElement,
  emptyText: string,
): void {
  node.textContent = '';
  if (items.length === 0) {
    node.appendChild(h('li', 'empty', emptyText));
    return;
  }
  for (let i = items.length - 1; i >= 0; i--) node.appendChild(make(items[i]!, false));
}

function prepend(node: HTMLElement, item: HTMLElement): void {
  node.querySelector('.empty')?.remove();
  node.insertBefore(item, node.firstChild);
  while (node.children.length > MAX_ITEMS) node.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/** The data of an event, or `null` when it is not JSON. */
function parse<T>(e: Event): T | null {
  try {
    return JSON.parse((e as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}

function setConnection(text: string, cls: string): void {
  const node = q('connection');
  node.className = `conn ${cls}`;
  node.setAttribute('data-state', cls);
  setText(node, text);
}

function onSnapshot(s: DashboardSnapshot): void {
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

function connect(): void {
  const source = new EventSource(`${base}/events`);
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('error', () => {
    const closed = source.readyState === EventSource.CLOSED;
    setConnection(closed ? 'disconnected' : 'reconnecting…', 'down');
    if (closed) setTimeout(connect, 5000);
  });
  source.addEventListener('snapshot', (e) => {
    const s = parse<DashboardSnapshot>(e);
    if (s?.health) onSnapshot(s);
  });
  source.addEventListener('history', (e) => {
    const data = parse<{ failovers?: DashboardFailover[]; changes?: DashboardChange[] }>(e);
    if (!data) return;
    renderList(q('failovers'), data.failovers || [], failoverItem, 'No failovers yet.');
    renderList(q('changes'), data.changes || [], changeItem, 'No breaker or health changes yet.');
  });
  source.addEventListener('failover', (e) => {
    const f = parse<DashboardFailover>(e);
    if (!f) return;
    prepend(q('failovers'), failoverItem(f, true));
    const count = q('failover-count');
    const n = Number.parseInt((count.textContent || '0').replace(/,/g, ''), 10);
    if (!Number.isNaN(n)) setText(count, fmtInt(n + 1));
  });
  source.addEventListener('breaker', (e) => {
    const c = parse<DashboardBreakerChange>(e);
    if (!c) return;
    const row = state.rows[c.deployment];
    if (row) setBreaker(row, c.state);
    prepend(q('changes'), changeItem(c, true));
  });
  source.addEventListener('health', (e) => {
    const c = parse<DashboardHealthChange>(e);
    if (!c) return;
    const row = state.rows[c.deployment];
    if (row) setDeploymentStatus(row, c.status);
    prepend(q('changes'), changeItem(c, true));
  });
}

setInterval(() => {
  if (state.lastSnapshotAt && Date.now() - state.lastSnapshotAt > Math.max(3 * state.intervalMs, 5000)) {
    setConnection('stale', 'down');
  }
}, 1000);

if (window.ResizeObserver) {
  let pending = false;
  const observer = new ResizeObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawCharts();
    });
  });
  observer.observe(q('latency-chart'));
  observer.observe(q('success-chart'));
}
if (window.matchMedia) {
  const scheme = window.matchMedia('(prefers-color-scheme: dark)');
  if (scheme.addEventListener) scheme.addEventListener('change', drawCharts);
}

drawCharts();
connect();
