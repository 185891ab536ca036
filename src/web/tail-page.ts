// The tail page (tail.html?processname=NAME&limit=N): the end of a process's
// stdout log, at least 1024 bytes of it, read through readProcessStdoutLog as
// Supervisor's page does, with its messages for a missing name, a process
// without a log file and any other fault.
import { asciiDigits } from '../config/datatypes';
import { Faults } from '../daemon/faults';
import type { RpcDispatcher } from '../rpc/server';
import { call } from './actions';
import { pyQuote, type WebForm } from './form';
import { esc, page } from './html';

export async function renderTail(rpc: RpcDispatcher, form: WebForm): Promise<string> {
  const name = form.get('processname');
  // a limit that is not all digits (of any script, as Python's int()) means 1024, a smaller one too
  const raw = asciiDigits(form.get('limit') ?? '1024');
  // and a larger one is capped at the largest XML-RPC int: all of any log under 2 GiB
  const limit = /^[0-9]+$/.test(raw) ? Math.min(2 ** 31 - 1, Math.max(1024, Number(raw))) : 1024;
  let text: string;
  if (name === undefined) text = 'No process name found';
  else {
    const out = await call(rpc, 'supervisor.readProcessStdoutLog', [name, -limit, 0]);
    if (out.kind === 'fault') text = out.code === Faults.NO_FILE ? `No file for ${name}` : `ERROR: unexpected rpc fault [${out.code}] ${out.text}`;
    else text = typeof out.value === 'string' ? out.value : '';
  }
  const refresh =
    name === undefined
      ? ''
      : `<p><a class="button" href="${esc(`tail.html?processname=${pyQuote(name)}&limit=${limit}`)}">Refresh</a> ` +
        `<a class="button" href="${esc(`logtail/${pyQuote(name)}`)}">Tail -f</a> <a class="button" href="./">Status</a></p>`;
  return page({
    title: `tsv tail of process ${name ?? 'None'}`,
    body: ['<main class="tail">', `<h1>${esc(name ?? '')}</h1>`, `<pre id="tailbody">${esc(text)}</pre>`, refresh, '</main>'].join('\n'),
  });
}
