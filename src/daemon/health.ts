// healthcheck (tsv only): a program that runs but no longer answers is
// restarted, and one that answers counts as up for what depends on it
// (depends_on), as docker compose's `condition: service_healthy`. Supervisor
// leaves this to event listeners such as superlance's httpok, which look once
// a minute (TICK_60). The only timer is the interval the config asks for,
// armed while the program is RUNNING, one probe at a time. A command check
// runs as a child of the daemon (health-command.ts).
import { request, type IncomingMessage } from 'node:http';
import type * as Https from 'node:https';
import { connect } from 'node:net';
import type { HealthCheckConfig, HttpHealthCheck, TcpHealthCheck } from '../config/model';

export interface ProbeResult {
  ok: boolean;
  /** what was seen: "200 OK", "connected", "ECONNREFUSED", "exit status 2: no response", "no answer within 5 s", … */
  detail: string;
}

/** One look under way: its answer, and what drops it unanswered. */
export interface Look {
  answer: Promise<ProbeResult>;
  cancel: () => void;
}

/** Runs a command check's words for one look (the program's process knows how: its user, environment, …). */
export type CommandRunner = (argv: string[], timeoutMs: number) => Look;

// TLS loads node:crypto, which the daemon otherwise needs only for an authenticated request
const https = (): typeof Https => require('node:https') as typeof Https;

/**
 * One look of a URL check: an HTTP(S) GET answered 2xx or 3xx, or a TCP connection accepted,
 * within timeoutMs; `cancel` drops it (its socket and timer) unanswered.
 */
export function probe(check: HttpHealthCheck | TcpHealthCheck, timeoutMs: number): Look {
  let cancel = (): void => {};
  const answer = new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, detail: `no answer within ${timeoutMs / 1000} s` });
      cleanup();
    }, timeoutMs);
    let cleanup = (): void => {};
    cancel = () => {
      done = true;
      clearTimeout(timer);
      cleanup();
    };
    const failed = (e: NodeJS.ErrnoException): void => finish({ ok: false, detail: failure(e) });
    if (check.kind === 'tcp') {
      const s = connect({ host: check.host, port: check.port });
      cleanup = () => s.destroy();
      s.once('connect', () => {
        s.destroy();
        finish({ ok: true, detail: 'connected' });
      });
      s.once('error', failed);
      return;
    }
    const options = { host: check.host, port: check.port, path: check.path, method: 'GET', agent: false, headers: { 'User-Agent': 'tsv-healthcheck' } };
    const onAnswer = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      finish({ ok: status >= 200 && status < 400, detail: `${status} ${res.statusMessage ?? ''}`.trim() });
    };
    // the certificate is not checked: a self-signed one on 127.0.0.1 is the usual case, and a look
    // asks whether the program answers, not who it is (Kubernetes' HTTPS probes do the same)
    const req = check.tls ? https().request({ ...options, rejectUnauthorized: false }, onAnswer) : request(options, onAnswer);
    cleanup = () => req.destroy();
    req.once('error', failed);
    req.end();
  });
  return { answer, cancel };
}

/** A failed look in a few words: the error's code, and for TLS OpenSSL's reason, which the code (EPROTO) hides. */
function failure(e: NodeJS.ErrnoException): string {
  const code = e.code ?? e.message;
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(e.message)?.[1];
  if (!reason) return code;
  // what an https check meets when the port speaks plain HTTP
  const hint = reason === 'wrong version number' ? ', as from a port that speaks plain HTTP' : '';
  return `${code}: TLS ${reason}${hint}`;
}

export interface HealthReport {
  ok: boolean;
  detail: string;
  /** consecutive failures so far (0 after a success; failures in the start period do not count) */
  failures: number;
  /**
   * failed looks so far within healthcheck_start_period, before the run's
   * first answer, this one included (1 for the first); 0: this look counts
   */
  starting: number;
  /** the answer differs from the run's last one (the first success of a run counts) */
  turned: boolean;
}

/**
 * The checks of one program while it runs: the first when it enters
 * RUNNING, then one every interval after the previous answer.
 */
export class HealthWatch {
  /** answered the last look (false until the first success of each run) */
  healthy = false;
  /** failed looks in a row in this run */
  failures = 0;
  private timer: NodeJS.Timeout | null = null;
  /** the look under way: dropped when the program stops (a shutdown does not wait for its timeout) */
  private cancelLook: (() => void) | null = null;
  /** a look's answer counts only for the run it was made in */
  private run = 0;
  /** until when (monotonic ms: a Pi's clock may be stepped at boot) failed looks of this run do not count, unless one is answered first */
  private gracedUntil = 0;
  /** failed looks of this run that did not count */
  private graced = 0;

  constructor(
    private readonly check: HealthCheckConfig,
    private readonly report: (r: HealthReport) => void,
    private readonly runCommand: CommandRunner,
  ) {}

  /** The program entered RUNNING. */
  start(): void {
    this.stop();
    this.gracedUntil = performance.now() + this.check.startPeriod * 1000;
    this.graced = 0;
    this.look(this.run);
  }

  /** The program left RUNNING: no more looks, and answers still out are dropped. */
  stop(): void {
    this.run++;
    this.healthy = false;
    this.failures = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cancelLook?.();
    this.cancelLook = null;
  }

  private look(run: number): void {
    const ms = this.check.timeout * 1000;
    const { answer, cancel } = this.check.kind === 'command' ? this.runCommand(this.check.argv, ms) : probe(this.check, ms);
    this.cancelLook = cancel;
    void answer.then((r) => {
      this.cancelLook = null;
      if (run !== this.run) return;
      // docker's start_period: a program still warming up is not failing yet; its first answer ends that
      if (r.ok) this.gracedUntil = 0;
      const starting = !r.ok && performance.now() < this.gracedUntil ? ++this.graced : 0;
      if (!starting) this.failures = r.ok ? 0 : this.failures + 1;
      const turned = r.ok !== this.healthy;
      this.healthy = r.ok;
      this.report({ ok: r.ok, detail: r.detail, failures: this.failures, starting, turned });
      if (run !== this.run) return; // the report stopped it (a restart)
      this.timer = setTimeout(() => {
        this.timer = null;
        this.look(run);
      }, this.check.interval * 1000);
    });
  }
}
