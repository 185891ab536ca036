// The status page (/ and /index.html): one row per process, sorted by group
// and name as Supervisor's is, with the state, the description, a link to the
// tail page and the actions the state allows (Supervisor's set per state; a
// Supervisor's placeholder where Start or Stop is missing, kept for scripts that count links).
// One addition: Stop also for a process not running whose start is pending
// (FATAL waiting for fatalretrysecs, waiting on depends_on, a health restart),
// since a stop calls that start off; Supervisor's page has no such state.
import { namespec } from '../config/model';
import type { ProcessInfo, ProcessRow } from '../daemon/api';
import { ProcessState } from '../daemon/states';
import { pyQuote } from './form';
import { esc, page } from './html';

interface ActionLink {
  name: string;
  href: string;
  /** opens in a new tab (the log streams) */
  blank: boolean;
}

function cssClass(state: number): string {
  if (state === ProcessState.RUNNING) return 'statusrunning';
  if (state === ProcessState.FATAL || state === ProcessState.BACKOFF) return 'statuserror';
  return 'statusnominal';
}

function actionsFor(state: number, startPending: boolean, spec: string): (ActionLink | null)[] {
  const q = pyQuote(spec);
  const act = (name: string, action: string): ActionLink => ({ name, href: `index.html?processname=${q}&action=${action}`, blank: false });
  const tails = [
    act('Clear Log', 'clearlog'),
    { name: 'Tail -f Stdout', href: `logtail/${q}`, blank: true },
    { name: 'Tail -f Stderr', href: `logtail/${q}/stderr`, blank: true },
  ];
  if (state === ProcessState.RUNNING) return [act('Restart', 'restart'), act('Stop', 'stop'), ...tails];
  const stop = startPending ? act('Stop', 'stop') : null;
  if (state === ProcessState.STOPPED || state === ProcessState.EXITED || state === ProcessState.FATAL) return [act('Start', 'start'), stop, ...tails];
  return [null, null, ...tails];
}

function actionItem(a: ActionLink | null): string {
  if (a === null) return '<li class="hidden"><a class="hidden" href="#" name="#">Action</a></li>';
  const target = a.blank ? ' target="_blank" rel="noopener"' : '';
  return `<li><a href="${esc(a.href)}" name="${esc(a.name)}"${target}>${esc(a.name)}</a></li>`;
}

function row({ info, startPending }: ProcessRow, shade: boolean): string {
  const spec = namespec(info.group, info.name);
  return [
    `<tr class="${shade ? 'shade' : ''}">`,
    `<td class="status"><span class="${cssClass(info.state)}">${esc(info.statename.toLowerCase())}</span></td>`,
    `<td class="desc"><span>${esc(info.description)}</span></td>`,
    `<td class="name"><a href="tail.html?processname=${esc(pyQuote(spec))}" target="_blank" rel="noopener">${esc(spec)}</a></td>`,
    `<td class="action"><ul>${actionsFor(info.state, startPending, spec).map(actionItem).join('')}</ul></td>`,
    '</tr>',
  ].join('\n');
}

/**
 * "6 processes: 3 RUNNING, 1 FATAL, 2 STOPPED", states in Supervisor's order,
 * named as supervisorctl names them: the lowercase words are the table's, which
 * scripts count with `grep -c running`, as on Supervisor's page.
 */
function summary(infos: readonly ProcessInfo[]): string {
  const counts = new Map<number, number>();
  for (const i of infos) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const parts = [...counts.keys()]
    .sort((a, b) => a - b)
    .map((s) => `${counts.get(s)} ${ProcessState[s] ?? String(s)}`);
  return `${infos.length} ${infos.length === 1 ? 'process' : 'processes'}${parts.length ? ': ' + parts.join(', ') : ''}`;
}

export interface StatusPage {
  rows: readonly ProcessRow[];
  message: string | null;
  /** whose daemon this is (the host name), for the title and the header */
  host: string;
  footer: string;
}

export function renderStatus(p: StatusPage): string {
  const table = p.rows.length
    ? [
        '<table id="statustable">',
        '<thead><tr><th class="state">State</th><th class="desc">Description</th><th class="name">Name</th><th class="action">Action</th></tr></thead>',
        '<tbody>',
        ...p.rows.map((r, i) => row(r, i % 2 === 1)),
        '</tbody>',
        '</table>',
      ].join('\n')
    : '<p id="statustable">No programs to manage</p>';
  const body = [
    '<header id="header">',
    `<h1><a href="./">tsv</a> <span class="host">${esc(p.host)}</span></h1>`,
    `<p class="summary">${esc(summary(p.rows.map((r) => r.info)))}</p>`,
    '</header>',
    '<main>',
    // the message's own element is Supervisor's to the byte (scripts match `<div class="status_msg">`);
    // an error is marked on a wrapper
    p.message === null
      ? ''
      : p.message.startsWith('ERROR')
        ? `<div class="flash error"><div class="status_msg">${esc(p.message)}</div></div>`
        : `<div class="status_msg">${esc(p.message)}</div>`,
    '<ul id="buttons">',
    '<li class="action-button"><a href="index.html?action=refresh">Refresh</a></li>',
    '<li class="action-button"><a href="index.html?action=restartall">Restart All</a></li>',
    '<li class="action-button"><a href="index.html?action=stopall">Stop All</a></li>',
    '</ul>',
    table,
    '</main>',
    `<footer id="footer">${esc(p.footer)}</footer>`,
  ]
    .filter((l) => l !== '')
    .join('\n');
  return page({ title: `tsv status: ${p.host}`, body });
}
