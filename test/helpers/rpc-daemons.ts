// Two daemons with the same config, each in a temp dir of its own: the real
// supervisord and tsv's daemon, with an XML-RPC client for each, for tests
// that call the API of both and compare answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcClient } from '../../src/rpc/client';
import { XmlRpcFault, type XmlRpcValue } from '../../src/rpc/xmlrpc';
import { clientEnv } from './ctl-oracle';
import { TSV_DAEMON } from './rpc-conformance';

export type DaemonKind = 'supervisord' | 'tsv';

export interface Daemon {
  kind: DaemonKind;
  dir: string;
  conf: string;
  sock: string;
  child: ChildProcess;
  rpc: RpcClient;
  /** what the daemon printed (stdout and stderr) */
  output(): string;
  /** resolves with the exit code once the daemon has exited */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export type Outcome = { ok: XmlRpcValue } | { fault: [number, string] } | { error: string };

/** A call's result, fault or transport error as plain data. */
export async function outcome(p: Promise<XmlRpcValue>): Promise<Outcome> {
  try {
    return { ok: await p };
  } catch (e) {
    if (e instanceof XmlRpcFault) return { fault: [e.faultCode, e.faultString] };
    return { error: (e as Error).message };
  }
}

/** The config used by both daemons: `body` holds the program sections; %(here)s is the daemon's dir. */
export function configText(body: string, extra = ''): string {
  return `[unix_http_server]
file=%(here)s/rpc.sock

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
loglevel=info
${extra}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/rpc.sock

${body}
`;
}

export async function startDaemon(kind: DaemonKind, body: string, extra = ''): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `tsv-rpc-${kind}-`));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(conf, configText(body, extra));
  const sock = join(dir, 'rpc.sock');
  const cmd = kind === 'tsv' ? TSV_DAEMON : ['/usr/bin/supervisord'];
  const child = spawn(cmd[0] as string, [...cmd.slice(1), '-n', '-c', conf], { cwd: dir, env: clientEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const rpc = new RpcClient({ serverurl: `unix://${sock}` });
  const d: Daemon = {
    kind,
    dir,
    conf,
    sock,
    child,
    rpc,
    output: () => out,
    exited,
    async stop() {
      rpc.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = await outcome(rpc.call('supervisor.getState'));
    if ('ok' in r) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await d.stop();
      throw new Error(`${kind} did not come up: ${JSON.stringify(r)}\n${out}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return d;
}

/** Both daemons, started together. */
export async function startPair(body: string, extra = ''): Promise<{ ref: Daemon; tsv: Daemon; both: Daemon[] }> {
  const [ref, tsv] = await Promise.all([startDaemon('supervisord', body, extra), startDaemon('tsv', body, extra)]);
  return { ref, tsv, both: [ref, tsv] };
}

/** Until every process has left STARTING/BACKOFF/STOPPING (and `more` holds). */
export async function settled(d: Daemon, more: (infos: Record<string, XmlRpcValue>[]) => boolean = () => true, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const infos = (await d.rpc.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
    if (!infos.some((i) => [10, 30, 40].includes(i.state as number)) && more(infos)) return;
    if (Date.now() > deadline) throw new Error(`${d.kind}: processes did not settle: ${JSON.stringify(infos.map((i) => [i.name, i.statename]))}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Values with what legitimately differs between two daemons replaced: pids, times, the directory, AUTO log suffixes. */
export function normalized(v: XmlRpcValue, d: Daemon): XmlRpcValue {
  if (typeof v === 'string') {
    return v
      .split(d.dir)
      .join('DIR')
      .replace(/---supervisor-[A-Za-z0-9_]+\.log/g, '---supervisor-XXXX.log')
      .replace(/pid \d+, uptime [\d:, a-z]+/g, 'pid PID, uptime UPTIME')
      .replace(/[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M/g, 'DATE');
  }
  if (Array.isArray(v)) return v.map((x) => normalized(x, d));
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && v.constructor === Object) {
    const out: Record<string, XmlRpcValue> = {};
    for (const [k, x] of Object.entries(v)) {
      if (['pid', 'start', 'stop', 'now'].includes(k) && typeof x === 'number') out[k] = x === 0 ? 0 : 'N';
      else out[k] = normalized(x as XmlRpcValue, d);
    }
    return out;
  }
  return v;
}

export function normalizedOutcome(o: Outcome, d: Daemon): Outcome {
  if ('ok' in o) return { ok: normalized(o.ok, d) };
  if ('fault' in o) return { fault: [o.fault[0], normalized(o.fault[1], d) as string] };
  return o;
}

/** The shape of a value: keys in order and XML-RPC types, recursively. */
export function shape(v: XmlRpcValue): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (v instanceof Uint8Array) return 'base64';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object' && v !== null && v.constructor === Object) {
    return Object.entries(v).map(([k, x]) => [k, shape(x as XmlRpcValue)]);
  }
  return 'other';
}
