// Accepting the control sockets' connections. A net.Server would do it
// through libuv, which, out of file descriptors, closes its spare one,
// accepts every waiting connection and closes each at once (the "EMFILE
// trick"): near its open-files limit the daemon reset bursts of clients and
// said nothing. Supervisor (medusa) leaves them in the listen queue and
// serves them as descriptors come free; so does this. With none free at all
// Supervisor answers no one; here a descriptor held in reserve takes them one
// at a time, so that an admin can still see what runs and stop some of it.
import { closeSync, openSync } from 'node:fs';
import { Socket, type Server } from 'node:net';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { requireNative, type ReadableWatch } from './native';

const { EAGAIN, EWOULDBLOCK, ECONNABORTED, EMFILE, ENFILE, ENOBUFS, ENOMEM, EPROTO, EPERM } = osConstants.errno;

/** how long accepting rests when the daemon has no descriptor left (a closed connection resumes it sooner) */
const REST_MS = 100;
/** connections taken per wake-up, so that a flood cannot keep the loop from everything else */
const PER_WAKE = 64;

/** The descriptor held back for the control channel, shared by every socket of the daemon. */
const reserve = {
  fd: -1,
  /** hold it (again); false when even that one cannot be had */
  hold(): boolean {
    if (this.fd < 0) {
      try {
        this.fd = openSync('/dev/null', 'r');
      } catch {
        return false;
      }
    }
    return true;
  },
  /** let it go for one connection; false if it is in use already */
  release(): boolean {
    if (this.fd < 0) return false;
    closeSync(this.fd);
    this.fd = -1;
    return true;
  },
};

export interface AcceptorLog {
  warn(m: string): void;
  info(m: string): void;
}

export class Acceptor {
  private readonly watch: ReadableWatch;
  private rest: NodeJS.Timeout | null = null;
  private closed = false;
  /** set while out of descriptors: said once, and once again when accepting resumes */
  private starved = false;
  /** the last pause's warning, not said again while the same trouble lasts */
  private said: string | null = null;

  /**
   * Takes over the listening socket of a bound net.Server: a copy of its
   * descriptor is kept and the server closed, so libuv no longer watches it.
   */
  static adopt(server: Server, label: string, log: AcceptorLog, onConnection: (s: Socket) => void): Acceptor {
    const handle = (server as unknown as { _handle?: { fd?: unknown } })._handle;
    const fd = typeof handle?.fd === 'number' && handle.fd >= 0 ? requireNative().dupCloexec(handle.fd) : -1;
    if (fd < 0) {
      server.close();
      throw new Error(`cannot take over the listening socket of ${label}${fd < -1 ? `: ${osErrnoName(-fd)}` : ''}`);
    }
    // libuv unlinks a unix server's bound path on close: that is the temporary
    // `<file>.<pid>` of the link-and-probe bind, already gone
    server.close();
    return new Acceptor(fd, label, log, onConnection);
  }

  private constructor(
    private readonly fd: number,
    private readonly label: string,
    private readonly log: AcceptorLog,
    private readonly onConnection: (s: Socket) => void,
  ) {
    this.watch = requireNative().watchReadable(fd, (status) => this.ready(status), false);
    this.watch.start();
    reserve.hold();
  }

  private ready(status: number): void {
    if (this.closed) return;
    if (status < 0) return this.pause(`cannot watch ${this.label} for connections: ${osErrnoName(-status)}`);
    const native = requireNative();
    for (let i = 0; i < PER_WAKE; i++) {
      const c = native.acceptOn(this.fd);
      if (c >= 0) {
        this.said = null;
        if (this.starved) {
          this.starved = false;
          this.log.info(`accepting connections on ${this.label} again`);
        }
        this.take(c);
        continue;
      }
      const e = -c;
      if (e === EAGAIN || e === EWOULDBLOCK) return;
      // the client gave up before we took it, or a firewall refused it
      if (e === ECONNABORTED || e === EPROTO || e === EPERM) continue;
      if (e === EMFILE || e === ENFILE || e === ENOBUFS || e === ENOMEM) {
        if (!this.starved) {
          this.starved = true;
          this.log.warn(`no file descriptor left to accept a connection on ${this.label} (${osErrnoName(e)}): clients wait in its queue, taken one at a time on a descriptor held in reserve until more are free`);
        }
        if ((e === EMFILE || e === ENFILE) && reserve.release()) {
          const r = native.acceptOn(this.fd);
          if (r >= 0) {
            this.take(r, true);
            continue;
          }
          reserve.hold();
        }
        return this.pause(null);
      }
      return this.pause(`accepting a connection on ${this.label} failed: ${osErrnoName(e)}`);
    }
  }

  /** `onReserve`: the connection took the reserve's place, which is held again once it closes */
  private take(fd: number, onReserve = false): void {
    let socket: Socket;
    try {
      socket = new Socket({ fd, readable: true, writable: true });
    } catch {
      // not a stream Node can open (cannot happen for a socket we listen on)
      closeSync(fd);
      if (onReserve) reserve.hold();
      return;
    }
    socket.once('close', () => {
      // a descriptor came free: the reserve first, then what waits in the queue
      reserve.hold();
      this.resume();
    });
    this.onConnection(socket);
  }

  /** Stop watching for a moment; the queue keeps what arrives meanwhile. A warning is said once while it lasts. */
  private pause(warning: string | null): void {
    if (warning && warning !== this.said) this.log.warn(warning);
    this.said = warning;
    this.watch.stop();
    if (this.rest) return;
    this.rest = setTimeout(() => this.resume(), REST_MS);
    this.rest.unref();
  }

  private resume(): void {
    if (this.closed || !this.rest) return;
    clearTimeout(this.rest);
    this.rest = null;
    this.watch.start();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.rest) clearTimeout(this.rest);
    this.watch.close();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

const osErrnoName = (e: number): string => getSystemErrorName(-e);
