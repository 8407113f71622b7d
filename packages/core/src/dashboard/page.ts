/**
 * The dashboard page: one self-contained HTML document (inline stylesheet and script, no external
 * resource) and the Content-Security-Policy that allows exactly that inline code.
 */
import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.generated';
import { PAGE_STYLE } from './page-style';

/** The HTML of the page and the headers it must be served with. */
export interface DashboardPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Only the page's own inline script and stylesheet (by hash) and same-origin requests; no
 * framing, no plugins, no form posts.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  `script-src 'self' ${sha256(PAGE_SCRIPT)}`,
  `style-src 'self' ${sha256(PAGE_STYLE)}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = Object.freeze({
  'content-security-policy': DASHBOARD_CSP,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

/** Escapes text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const card = (label: string, id: string, sub: string) =>
  `<div class="card"><div class="label">${label}</div><div class="value" data-testid="${id}">—</div><div class="sub" data-testid="${id}-sub">${sub}</div></div>`;

/** Builds the page for a dashboard titled `title`. */
export function renderDashboardPage(title: string): DashboardPage {
  const t = escapeHtml(title);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${t}</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body data-title="${t}">
<header>
  <div class="brand"><h1>${t}</h1><small>LLM failover dashboard</small></div>
  <div class="head-right">
    <span class="conn" data-testid="connection" data-state="connecting">connecting…</span>
    <span class="badge big s-unknown" data-testid="status" data-value="unknown" aria-live="polite">unknown</span>
  </div>
</header>
<main>
  <section class="cards" aria-label="Totals">
    ${card('Requests / s', 'rps', 'last 5 seconds')}
    ${card('Requests', 'requests', '&nbsp;')}
    ${card('Failovers', 'failover-count', 'since <span data-testid="since">—</span>')}
    ${card('Tokens', 'tokens', '&nbsp;')}
    ${card('Cost', 'cost', '&nbsp;')}
    ${card('Uptime', 'uptime', '&nbsp;')}
  </section>
  <section class="panel" aria-label="Deployments">
    <h2>Deployments <span data-testid="updated"></span></h2>
    <div class="table-wrap">
      <table data-testid="deployments">
        <thead><tr>
          <th>Deployment</th><th>Provider</th><th>Status</th><th>Breaker</th>
          <th class="num">Latency EWMA</th><th class="num">p50</th><th class="num">p95</th>
          <th class="num">Success</th><th class="num">In flight</th><th class="num">Consecutive failures</th>
          <th class="num">Served</th><th>Last error</th>
        </tr></thead>
        <tbody data-testid="deployment-rows"></tbody>
      </table>
    </div>
  </section>
  <div class="grid2">
    <section class="panel" aria-label="Latency">
      <h2>Latency EWMA, ms <span data-testid="latency-window">last 1 min</span></h2>
      <div class="chart"><canvas data-testid="latency-chart" role="img" aria-label="Latency per deployment over the last 5 minutes"></canvas></div>
      <div class="legend" data-testid="latency-legend"></div>
    </section>
    <section class="panel" aria-label="Success rate">
      <h2>Success rate <span data-testid="success-window">last 1 min</span></h2>
      <div class="chart"><canvas data-testid="success-chart" role="img" aria-label="Success rate per deployment over the last 5 minutes"></canvas></div>
      <div class="legend" data-testid="success-legend"></div>
    </section>
  </div>
  <div class="grid2">
    <section class="panel" aria-label="Recent failovers">
      <h2>Recent failovers <span>newest first</span></h2>
      <ol class="list" data-testid="failovers"><li class="empty">No failovers yet.</li></ol>
    </section>
    <section class="panel" aria-label="Breaker and health changes">
      <h2>Breaker &amp; health changes <span>newest first</span></h2>
      <ol class="list" data-testid="changes"><li class="empty">No breaker or health changes yet.</li></ol>
    </section>
  </div>
  <div class="grid2">
    <section class="panel" aria-label="Model groups">
      <h2>Model groups <span>usable deployments and weights in force</span></h2>
      <div class="groups" data-testid="models"></div>
    </section>
    <section class="panel" aria-label="Providers">
      <h2>Providers</h2>
      <div class="table-wrap">
        <table data-testid="providers">
          <thead><tr><th>Provider</th><th>URL</th><th>Status</th><th class="num">Keys</th><th class="num">In flight</th><th>Last auth error</th></tr></thead>
          <tbody data-testid="provider-rows"></tbody>
        </table>
      </div>
    </section>
  </div>
</main>
<footer>ai-failover · live over server-sent events · history kept in this tab only</footer>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  return Object.freeze({ html, headers: PAGE_HEADERS });
}
