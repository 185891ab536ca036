// What a tsv daemon counts per program and getProcessInfo cannot carry
// (its struct is Supervisor's): starts since the daemon began and the health
// check's last verdict. Read from the daemon's own /metrics on the control
// socket, the one interface that already publishes them, so no method is
// added to the XML-RPC API that supervisorctl's `help` and listMethods show.
// A supervisord has no /metrics: null, and the ctl shows what it can without.
import { RpcHttpError, type RpcClient } from '../rpc/client';
import { makeNamespec } from './api';

export interface ProgramTally {
  /** starts after the first, in this run of the daemon (PM2's ↺): automatic restarts and `start`/`restart` alike */
  restarts: number;
  /** null: no healthcheck */
  health: {
    /** its last look was answered (false before the first answer of a run, and while the program is not RUNNING) */
    healthy: boolean;
    /** failed looks in a row in this run (not those within healthcheck_start_period) */
    failures: number;
  } | null;
}

/** One sample line of the text format: name, labels, value; null for comments and lines it cannot read. */
export function parseSample(line: string): { name: string; labels: Map<string, string>; value: number } | null {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (!m) return null;
  const labels = new Map<string, string>();
  // name="value" pairs, values with \\, \" and \n escaped (src/metrics/exposition.ts)
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
  const text = m[2] ?? '';
  for (let p = pair.exec(text); p; p = pair.exec(text)) {
    labels.set(p[1] as string, (p[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    if (pair.lastIndex === text.length) break;
  }
  return { name: m[1] as string, labels, value: Number(m[3]) };
}

/** Each program's tally by namespec from the /metrics text. */
export function talliesOf(metrics: string): Map<string, ProgramTally> {
  const out = new Map<string, ProgramTally>();
  const of = (labels: Map<string, string>): ProgramTally => {
    const key = makeNamespec(labels.get('group') ?? '', labels.get('name') ?? '');
    let t = out.get(key);
    if (!t) out.set(key, (t = { restarts: 0, health: null }));
    return t;
  };
  const health = (t: ProgramTally) => (t.health ??= { healthy: false, failures: 0 });
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('tsv_program_spawns_total') && !line.startsWith('tsv_program_health')) continue;
    const s = parseSample(line);
    if (!s) continue;
    if (s.name === 'tsv_program_spawns_total') of(s.labels).restarts = Math.max(0, s.value - 1);
    else if (s.name === 'tsv_program_healthy') health(of(s.labels)).healthy = s.value === 1;
    else if (s.name === 'tsv_program_health_failing_looks') health(of(s.labels)).failures = s.value;
  }
  return out;
}

/** The daemon's tallies, or null when it serves no /metrics (a supervisord answers 404) or refuses it: ps then shows what it can without. */
export async function fetchTallies(client: RpcClient): Promise<Map<string, ProgramTally> | null> {
  let res;
  try {
    res = await client.stream('/metrics');
  } catch (err) {
    if (err instanceof RpcHttpError) return null;
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return talliesOf(Buffer.concat(chunks).toString('utf8'));
}
