// The ctl's one-shot commands (`tsv status`) talk to a unix socket with
// blocking read(2)/write(2) on a socket from tsv's native helper instead of
// node:net: loading net and its streams costs a fresh process more than the
// whole exchange with the daemon. A one-shot command has nothing else to do
// while it waits (supervisorctl's transport blocks too). The interactive
// shell keeps the evented client (./raw-http.ts), so Ctrl-C and typing ahead
// work while a call waits; a one-shot command uses it too when the helper
// cannot be loaded.
import { closeSync, readSync, writeSync } from 'node:fs';
import { frameAnswer, type HttpConnection, type RawResponse } from './raw-http';

/** Connects a blocking socket to a unix socket path and returns its fd (tsv_native's connectUnix). */
export type UnixConnector = (path: string) => number;

export class BlockingHttpConnection implements HttpConnection {
  private fd = -1;
  private readonly chunk = Buffer.allocUnsafe(256 * 1024);

  constructor(
    private readonly socketPath: string,
    private readonly connectUnix: UnixConnector,
  ) {}

  request(head: string, body: Buffer): Promise<RawResponse> {
    try {
      return Promise.resolve(this.exchange(Buffer.concat([Buffer.from(head, 'latin1'), body]), true));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private exchange(request: Buffer, mayRetry: boolean): RawResponse {
    const reused = this.fd >= 0;
    if (!reused) this.fd = this.open();
    let buf = Buffer.alloc(0);
    try {
      for (let off = 0; off < request.length; ) off += writeSync(this.fd, request, off, request.length - off);
      for (;;) {
        const n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
        if (n > 0) buf = buf.length ? Buffer.concat([buf, this.chunk.subarray(0, n)]) : Buffer.from(this.chunk.subarray(0, n));
        const framed = frameAnswer(buf, n === 0);
        if (framed) {
          if (!framed.reusable) this.close();
          return framed.response;
        }
      }
    } catch (err) {
      this.close();
      // The server closed the kept-alive connection before reading this
      // request: send it once more on a new one (as Python's xmlrpc.client).
      if (reused && mayRetry && buf.length === 0) return this.exchange(request, false);
      throw err;
    }
  }

  /** The connection, or node:net's error for the same failure (code, negative errno, syscall, address). */
  private open(): number {
    try {
      return this.connectUnix(this.socketPath);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (typeof err.code !== 'string') throw err;
      throw Object.assign(new Error(`connect ${err.code} ${this.socketPath}`), {
        code: err.code,
        errno: -Math.abs(err.errno ?? 0),
        syscall: 'connect',
        address: this.socketPath,
      });
    }
  }
}
