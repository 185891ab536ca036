// systemd's service notification protocol (sd_notify(3)): with it the unit is
// Type=notify, so `systemctl start` returns when the daemon serves on its
// sockets, `systemctl status` shows how its programs are doing, and a reload
// or a shutdown shows as one. Only when the service manager asked for it
// (NOTIFY_SOCKET in the environment); the datagrams go through the native
// helper, as Node has no unix datagram sockets.
import { requireNative } from './native';
import { ProcessState, SupervisorState, processStateName } from './states';
import type { Supervisor } from './supervisor';
import type { MainLogger } from '../log/mainlog';

/** What the service manager handed this daemon process. */
interface SystemdLink {
  socket: string;
  /** WATCHDOG=1 is due this often; null: no watchdog asked for */
  watchdogMs: number | null;
}

let taken = false;
let link: SystemdLink | null = null;
let watchdog: NodeJS.Timeout | null = null;

/**
 * NOTIFY_SOCKET and the watchdog's settings, read once per daemon process and
 * then removed from its environment (sd_notify's unset_environment): the
 * programs it spawns must not take the daemon's socket for their own.
 */
function takeLink(env: NodeJS.ProcessEnv): SystemdLink | null {
  if (taken) return link;
  taken = true;
  const socket = env.NOTIFY_SOCKET ?? '';
  const usec = Number(env.WATCHDOG_USEC);
  const forPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket.startsWith('/') && !socket.startsWith('@')) return null;
  const ours = forPid === undefined || Number(forPid) === process.pid;
  link = { socket, watchdogMs: ours && Number.isSafeInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null };
  return link;
}

/** "7 programs: 5 RUNNING, 1 BACKOFF, 1 FATAL", in the order of Supervisor's state codes. */
export function programsSummary(states: readonly ProcessState[]): string {
  if (!states.length) return 'no programs';
  const counts = new Map<ProcessState, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${n} ${processStateName(s)}`);
  return `${states.length} program${states.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/**
 * One run of the daemon (a reload starts another) as the service manager
 * sees it: READY=1 once it serves, STATUS= after each state change (at most
 * one per turn of the event loop, never on a timer), RELOADING=1 and
 * STOPPING=1 when its mood turns.
 */
export class SystemdNotifier {
  private pending: NodeJS.Immediate | null = null;
  private readonly offs: (() => void)[] = [];
  private failed = false;

  /** null when the daemon was not started by a service manager that wants notifications. */
  static forRun(engine: Supervisor, logger: MainLogger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier | null {
    const l = takeLink(env);
    return l ? new SystemdNotifier(l, engine, logger) : null;
  }

  private constructor(
    private readonly link: SystemdLink,
    private readonly engine: Supervisor,
    private readonly logger: MainLogger,
  ) {
    const status = (): void => this.statusSoon();
    this.offs.push(engine.events.on('processState', status), engine.events.on('groupAdded', status), engine.events.on('groupRemoved', status));
    this.offs.push(
      engine.events.on('mood', ({ to }) => {
        if (to === SupervisorState.RESTARTING) {
          // MONOTONIC_USEC: systemd 253+ wants it with RELOADING=1 (Type=notify-reload); process.hrtime is CLOCK_MONOTONIC
          this.send(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}\nSTATUS=reloading`);
        } else if (to === SupervisorState.SHUTDOWN) {
          this.send('STOPPING=1\nSTATUS=stopping');
        }
      }),
    );
  }

  /** The run serves on its sockets: the start (or reload) is done. */
  ready(): void {
    this.send(`READY=1\nSTATUS=${this.summary()}`);
    if (this.link.watchdogMs !== null && !watchdog) {
      // asked for by the unit (WatchdogSec=): the one timer an idle daemon then has, kept across reloads
      const { socket } = this.link;
      watchdog = setInterval(() => requireNative().sdNotify(socket, 'WATCHDOG=1'), this.link.watchdogMs);
      watchdog.unref();
    }
  }

  close(): void {
    for (const off of this.offs) off();
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
  }

  private statusSoon(): void {
    this.pending ??= setImmediate(() => {
      this.pending = null;
      const mood = this.engine.mood;
      // once stopping or reloading, the counts follow that word
      const word = mood === SupervisorState.SHUTDOWN ? 'stopping: ' : mood === SupervisorState.RESTARTING ? 'reloading: ' : '';
      this.send(`STATUS=${word}${this.summary()}`);
    });
  }

  private summary(): string {
    return programsSummary(this.engine.allProcesses().map(([, p]) => p.state));
  }

  private send(message: string): void {
    const r = requireNative().sdNotify(this.link.socket, message);
    if (r < 0 && !this.failed) {
      // said once: a service manager that stopped listening would otherwise fill the log
      this.failed = true;
      this.logger.warn(`could not notify the service manager at ${this.link.socket}: ${requireNative().strerror(-r)}`);
    }
  }
}
