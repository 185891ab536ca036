// The listening socket of an [fcgi-program:x] group (Supervisor's
// socket_manager.py SocketManager): reference-counted by the group's running
// children, created when the count leaves zero and closed when it returns to
// zero. The socket is bound by the native helper, never by a net.Server: the
// daemon only holds the descriptor to hand it to children as their fd 0, so
// libuv never watches it and the daemon can never accept a connection on it.
import { closeSync } from 'node:fs';
import { modeBits } from '../config/datatypes';
import type { FcgiSocketConfig } from '../config/model';
import type { MainLogger } from '../log/mainlog';
import { requireNative, type NativeListenOptions } from './native';

/** Python's SOMAXCONN on Linux (socket.SOMAXCONN); the kernel caps it at net.core.somaxconn. */
const SOMAXCONN = 4096;

/** The socket could not be created; the message is Supervisor's ValueError text. */
export class FcgiSocketError extends Error {
  override name = 'FcgiSocketError';
  /** its message names the socket and the cause: logged without a stack where it ends a request (addProcessGroup) */
  readonly explained = true;
}

export class FcgiSocket {
  private fd = -1;
  private refs = 0;

  constructor(
    readonly config: FcgiSocketConfig,
    private readonly logger: MainLogger,
  ) {}

  /** One more holder; the first one creates the socket. Throws FcgiSocketError. */
  acquire(): number {
    if (this.refs === 0) this.open();
    this.refs += 1;
    return this.fd;
  }

  /** One holder fewer; the last one closes the socket (a unix socket's file stays, as in Supervisor). */
  release(): void {
    if (this.refs <= 0) return;
    this.refs -= 1;
    if (this.refs === 0) this.close();
  }

  /**
   * FastCGIProcessGroup.__init__: create the socket once when the group is
   * added, so a bad address fails the add, then let it go again at once (in
   * Supervisor the reference is dropped immediately; children re-create it).
   */
  probe(): void {
    this.acquire();
    this.release();
  }

  /** Drop the socket whatever holds it (the group is gone or the daemon is closing). */
  dispose(): void {
    if (this.refs > 0) {
      this.refs = 0;
      this.close();
    }
  }

  private open(): void {
    const c = this.config;
    this.logger.info(`Creating socket ${c.url}`);
    const backlog = c.backlog ?? SOMAXCONN;
    const opts: NativeListenOptions =
      c.family === 'unix'
        ? { path: c.path, mode: modeBits(c.mode), uid: c.owner?.[0] ?? -1, gid: c.owner?.[1] ?? -1, backlog }
        : { host: c.host, port: c.port, backlog };
    try {
      this.fd = requireNative().fcgiListen(opts);
    } catch (e) {
      throw new FcgiSocketError(`Could not create FastCGI socket ${c.url}: ${(e as Error).message}`);
    }
  }

  private close(): void {
    this.logger.info(`Closing socket ${this.config.url}`);
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = -1;
  }
}
