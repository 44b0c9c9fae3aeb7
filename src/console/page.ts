/**
 * The console's HTML shell and stylesheet. The shell holds no data: the browser code
 * (ui/app.ts) fills `#view` from the /v1 API and builds every element with textContent, never
 * innerHTML, so nothing a topic, key or message contains is ever parsed as markup.
 */

export function consolePage(opts: { readOnly: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Samsa console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body data-read-only="${opts.readOnly ? '1' : '0'}">
<header>
  <a class="brand" href="#/brokers">Samsa console</a>
  <nav>
    <a href="#/brokers" data-nav="brokers">Brokers</a>
    <a href="#/topics" data-nav="topics">Topics</a>
    <a href="#/groups" data-nav="groups">Consumer groups</a>
    <a href="#/metrics" data-nav="metrics">Metrics</a>
  </nav>
  <span id="status" class="status" aria-live="polite"></span>
</header>
<main id="view"><p class="muted">Loading…</p></main>
<noscript><p>The console needs JavaScript (its own scripts only, served by this console; nothing from elsewhere).</p></noscript>
</body>
</html>
`;
}

export const CONSOLE_CSS = `
:root { --fg: #1d2330; --muted: #6b7385; --line: #dfe3ea; --bg: #f6f7f9; --card: #fff; --accent: #2459c9;
  --warn-bg: #fff1d6; --warn-fg: #8a5300; --bad-bg: #fde2e1; --bad-fg: #a11d17; --ok-fg: #1d7a3a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #15203a; color: #fff; }
header a { color: #cfd8ee; text-decoration: none; }
header a.brand { color: #fff; font-weight: 600; font-size: 16px; }
header nav { display: flex; gap: 16px; }
header nav a.active { color: #fff; border-bottom: 2px solid #7aa2ff; }
.status { margin-left: auto; font-size: 12px; color: #cfd8ee; }
.status.error { color: #ffb4ae; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 140px; }
.card .num { font-size: 22px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f6; font-weight: 600; font-size: 12px; color: #3b4354; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.warn td { background: var(--warn-bg); }
tr.bad td { background: var(--bad-bg); }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; background: #e8ecf4; }
.badge.warn { background: var(--warn-bg); color: var(--warn-fg); }
.badge.bad { background: var(--bad-bg); color: var(--bad-fg); }
.badge.ok { color: var(--ok-fg); background: #def4e5; }
form, .toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0 12px; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select, textarea, button { font: inherit; padding: 4px 8px; border: 1px solid #c5ccd8; border-radius: 4px; background: #fff; }
textarea { min-width: 320px; min-height: 60px; font-family: ui-monospace, Menlo, Consolas, monospace; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #b3261e; border-color: #b3261e; }
button:disabled { opacity: .5; cursor: default; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.msg { display: grid; grid-template-columns: 200px minmax(80px, 220px) 1fr; gap: 8px; border-bottom: 1px solid var(--line); padding: 6px 8px; background: var(--card); }
.msg .meta { font-size: 12px; color: var(--muted); }
.msg .meta b { color: var(--fg); font-variant-numeric: tabular-nums; }
.msg pre.data { margin: 0; }
.messages { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.card.warn { background: var(--warn-bg); }
.card.bad { background: var(--bad-bg); }
label.inline { flex-direction: row; align-items: center; gap: 4px; color: var(--fg); font-size: 13px; }
pre.data { margin: 2px 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f3f5f8; padding: 4px 6px; border-radius: 3px; max-height: 320px; overflow: auto; }
.notice { padding: 8px 12px; border-radius: 4px; margin: 8px 0; }
.notice.error { background: var(--bad-bg); color: var(--bad-fg); }
.notice.ok { background: #def4e5; color: var(--ok-fg); }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
svg.chart text { font-size: 11px; fill: #5b6374; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin: 4px 0 12px; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; background: var(--c); border-radius: 2px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
`;
