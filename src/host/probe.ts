// Is the daemon there? "Ready" means the control socket answers an XML-RPC
// call, which is what every user of the ctl needs; a process that exists
// but does not answer is not ready. Used by the init scripts through
// `tsv wait-ready` (a systemd unit has sd_notify instead), by install after
// starting the service, and by doctor.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { RpcClient, RpcConnectionError, RpcHttpError, XmlRpcFault, parseServerUrl } from '../rpc/client';
import type { XmlRpcStruct } from '../rpc/xmlrpc';
import { processRuns } from '../daemon/proc-stat';

export interface Endpoint {
  serverurl: string;
  username?: string | null;
  password?: string | null;
}

export type ProbeResult =
  | { ok: true; state: string; pid: number | null }
  | { ok: false; code: string; message: string };

/** What a connection failure means, in words. */
export function explainRpcError(err: unknown, serverurl: string): { code: string; message: string } {
  if (err instanceof RpcConnectionError) {
    const where = serverurl.startsWith('unix://') ? serverurl.slice(7) : serverurl;
    const text: Record<string, string> = {
      ENOENT: `no socket at ${where}`,
      ECONNREFUSED: serverurl.startsWith('unix://') ? `${where} exists but nobody listens on it` : `nothing listens at ${where} (connection refused)`,
      EACCES: `permission denied on ${where}`,
      EPERM: `permission denied on ${where}`,
      ENOTSOCK: `${where} is not a socket`,
    };
    return { code: err.code, message: text[err.code] ?? `${where}: ${err.message}` };
  }
  if (err instanceof RpcHttpError) return { code: `HTTP${err.status}`, message: `the server answered HTTP ${err.status} ${err.reason}` };
  if (err instanceof Error) return { code: 'ERROR', message: err.message };
  return { code: 'ERROR', message: String(err) };
}

/**
 * How long a peer that accepted the connection may take to answer: a daemon
 * stopped with SIGSTOP, or another program on the port, never does, and
 * doctor must not hang on it (the daemon's own socket probe waits as long).
 */
const ANSWER_WAIT_MS = 5000;

class NoAnswer extends Error {}

/** One attempt: supervisor.getState and getPID. */
export async function probeOnce(ep: Endpoint): Promise<ProbeResult> {
  const client = new RpcClient({ serverurl: ep.serverurl, username: ep.username ?? null, password: ep.password ?? null });
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer()), ANSWER_WAIT_MS);
  });
  try {
    return await Promise.race([ask(client, ep.serverurl), noAnswer]);
  } catch (err) {
    if (!(err instanceof NoAnswer)) throw err;
    const where = ep.serverurl.startsWith('unix://') ? ep.serverurl.slice(7) : ep.serverurl;
    return { ok: false, code: 'ETIMEDOUT', message: `${where} took the connection but did not answer in ${ANSWER_WAIT_MS / 1000} s (a stopped or hung daemon, or another program)` };
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

async function ask(client: RpcClient, serverurl: string): Promise<ProbeResult> {
  try {
    const state = (await client.call('supervisor.getState')) as XmlRpcStruct;
    let pid: number | null = null;
    try {
      pid = (await client.call('supervisor.getPID')) as number;
    } catch {
      pid = null;
    }
    return { ok: true, state: String(state.statename ?? ''), pid };
  } catch (err) {
    // A fault or a 401 is an answer: the daemon is there.
    if (err instanceof XmlRpcFault) return { ok: true, state: 'UNKNOWN', pid: null };
    if (err instanceof RpcHttpError && err.status === 401) return { ok: true, state: 'UNAUTHORIZED', pid: null };
    return { ok: false, ...explainRpcError(err, serverurl) };
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** give up at once when this process (the daemon) has exited */
  pid?: number | null;
}

/**
 * Retries until the socket answers. Between attempts it sleeps until the
 * socket's directory changes (the daemon publishes its socket with a link),
 * or a short backoff for what inotify cannot see (TCP, a refused socket).
 */
export async function waitReady(ep: Endpoint, opts: WaitOptions): Promise<ProbeResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const server = parseServerUrl(ep.serverurl);
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  if (server.kind === 'unix') {
    try {
      watcher = watch(dirname(server.socketPath), () => wake?.());
      watcher.on('error', () => undefined);
    } catch {
      watcher = null;
    }
  }
  let delay = 10;
  try {
    for (;;) {
      const r = await probeOnce(ep);
      if (r.ok) return r;
      if (opts.pid && !processRuns(opts.pid)) return { ok: false, code: 'EXITED', message: `the daemon (pid ${opts.pid}) exited before it answered: ${r.message}` };
      const left = deadline - Date.now();
      if (left <= 0) return r;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(delay, left));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
      delay = Math.min(delay * 2, 200);
    }
  } finally {
    watcher?.close();
  }
}
