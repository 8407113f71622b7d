/** The dashboard page's stylesheet: system font, light and dark themes from the OS setting. */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --panel: #ffffff; --text: #1b2230; --muted: #667085; --border: #e4e7ec; --grid: #eef0f4;
  --ok: #117a3e; --ok-bg: #dcf5e6; --warn: #9a5b00; --warn-bg: #fdf0d2; --bad: #b42318; --bad-bg: #fde5e3;
  --idle: #667085; --idle-bg: #eef0f4; --accent: #2f6fed; --shadow: 0 1px 2px rgba(16, 24, 40, .05);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1117; --panel: #161b24; --text: #e6e9ef; --muted: #98a2b3; --border: #283040; --grid: #1f2633;
    --ok: #4ade80; --ok-bg: rgba(34, 197, 94, .16); --warn: #fbbf24; --warn-bg: rgba(245, 158, 11, .16);
    --bad: #f87171; --bad-bg: rgba(239, 68, 68, .18); --idle: #98a2b3; --idle-bg: #1f2633; --accent: #6b9bff;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body {
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  background: var(--bg); color: var(--text); -webkit-font-smoothing: antialiased;
}
header {
  position: sticky; top: 0; z-index: 2; display: flex; align-items: center; justify-content: space-between;
  gap: 16px; padding: 12px 24px; background: var(--panel); border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: baseline; gap: 10px; min-width: 0; }
h1 { font-size: 18px; font-weight: 650; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.brand small { color: var(--muted); font-size: 12px; white-space: nowrap; }
.head-right { display: flex; align-items: center; gap: 14px; }
.conn { font-size: 12px; color: var(--muted); white-space: nowrap; }
.conn::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--idle); vertical-align: 0; }
.conn.live::before { background: var(--ok); }
.conn.down::before { background: var(--bad); }
main { max-width: 1480px; margin: 0 auto; padding: 18px 24px 28px; display: grid; gap: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(165px, 1fr)); gap: 12px; }
.card, .panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; box-shadow: var(--shadow); min-width: 0; }
.card { padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 11.5px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
.card .value { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; margin-top: 1px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.panel { padding: 14px 16px; }
.panel h2 { margin: 0 0 10px; font-size: 12px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; display: flex; justify-content: space-between; gap: 8px; }
.panel h2 span { text-transform: none; letter-spacing: 0; font-weight: 500; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11.5px; font-weight: 600; color: var(--muted); padding: 6px 10px; border-bottom: 1px solid var(--border); white-space: nowrap; }
td { padding: 8px 10px; border-bottom: 1px solid var(--border); white-space: nowrap; vertical-align: middle; }
tbody tr:last-child td { border-bottom: 0; }
th.num, td.num { text-align: right; }
td.err { max-width: 360px; overflow: hidden; text-overflow: ellipsis; color: var(--muted); font-size: 12.5px; }
tr.unusable td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 2px; margin-right: 8px; vertical-align: 0; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 19px; white-space: nowrap; color: var(--idle); background: var(--idle-bg); }
.badge::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.badge.big { font-size: 13px; padding: 3px 12px; line-height: 20px; }
.s-healthy, .s-closed { color: var(--ok); background: var(--ok-bg); }
.s-degraded, .s-half-open { color: var(--warn); background: var(--warn-bg); }
.s-unhealthy, .s-open { color: var(--bad); background: var(--bad-bg); }
.chart { position: relative; }
canvas { display: block; width: 100%; height: 210px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 8px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.groups { display: grid; gap: 10px; }
.group { border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; }
.group-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
.group-name { font-weight: 650; }
.group-meta { color: var(--muted); font-size: 12px; margin-top: 2px; }
.weight { display: grid; grid-template-columns: minmax(140px, 1.2fr) 2fr 64px; gap: 10px; align-items: center; margin-top: 7px; font-size: 13px; }
.weight.off { opacity: .5; }
.bar { height: 8px; background: var(--grid); border-radius: 4px; overflow: hidden; }
.bar span { display: block; height: 100%; width: 0; background: var(--accent); border-radius: 4px; transition: width .4s ease; }
.weight .pct { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
.list { list-style: none; margin: 0; padding: 0; max-height: 340px; overflow-y: auto; }
.list li { display: grid; grid-template-columns: 64px minmax(0, 1fr) auto; gap: 10px; align-items: center; padding: 7px 2px; border-bottom: 1px solid var(--border); }
.list li:last-child { border-bottom: 0; }
.list .time { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.list .what { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.list .arrow { color: var(--muted); margin: 0 4px; }
.tag { font-size: 12px; color: var(--muted); white-space: nowrap; }
.empty { color: var(--muted); padding: 6px 2px; font-size: 13px; }
@keyframes flash { from { background: var(--bad-bg); } to { background: transparent; } }
.flash { animation: flash 2.5s ease-out; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 24px 24px; }
@media (max-width: 640px) {
  header { padding: 10px 14px; flex-wrap: wrap; }
  main { padding: 12px; }
  .grid2 { grid-template-columns: 1fr; }
  .brand small { display: none; }
}
`;
