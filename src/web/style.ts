// The web pages' stylesheet, served at Supervisor's path
// (stylesheets/supervisor.css) so a page saved from either links to it.
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1d2126; --muted: #5f6b76; --line: #d8dde2; --shade: #f3f5f7; --bg: #fff;
  --ok: #1a7f37; --bad: #c62828; --accent: #2457a6; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e7eb; --muted: #98a3ad; --line: #3a4149; --shade: #20252b; --bg: #16191d; --ok: #4cc36e; --bad: #ff6b6b; --accent: #7aa7ff; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
#header h1 { margin: 0; font-size: 1.4rem; }
#header h1 a { color: inherit; text-decoration: none; }
#header .host { color: var(--muted); font-weight: normal; }
#header .summary { margin: .2rem 0 1rem; color: var(--muted); }
.status_msg { margin: 0 0 1rem; padding: .5rem .75rem; border-left: 4px solid var(--ok); background: var(--shade); }
.error .status_msg { border-left-color: var(--bad); }
#buttons, td.action ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
#buttons { margin-bottom: 1rem; }
.action-button a, a.button, button { display: inline-block; padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 4px;
  color: var(--fg); background: var(--shade); text-decoration: none; font: inherit; cursor: pointer; }
.action-button a:hover, a.button:hover, button:hover { border-color: var(--accent); }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: .35rem .5rem; }
td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; vertical-align: top; }
tr.shade td { background: var(--shade); }
td.status span { font-weight: 600; }
.statusrunning { color: var(--ok); }
.statuserror { color: var(--bad); }
.statusnominal { color: var(--muted); }
td.action a { white-space: nowrap; }
a.hidden, li.hidden { display: none; }
pre { white-space: pre-wrap; word-break: break-all; padding: .75rem; background: var(--shade); border: 1px solid var(--line); }
#footer { margin-top: 1.5rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 640px) {
  thead { display: none; }
  tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  td { display: block; border: 0; padding: .1rem .25rem; }
}
`;
