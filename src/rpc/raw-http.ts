// A lean HTTP/1.1 client for the ctl's XML-RPC POSTs: one kept-alive socket
// from node:net, the request written in one piece, the answer framed by
// Content-Length (what supervisord and tsv send), chunked or by close.
// node:http costs a one-shot CLI ~10 ms more (loading it, its agent's
// server-name check, its stream plumbing); streaming GETs (/logtail) still
// use node:http (src/rpc/client.ts).
import type * as Net from 'node:net';
import type { Socket } from 'node:net';

// Loaded on first connect: the ctl's one-shot commands do without it (./blocking-http.ts).
const net = (): typeof Net => require('node:net') as typeof Net;

export type RawTarget = { socketPath: string } | { host: string; port: number };

export interface RawResponse {
  status: number;
  reason: string;
  /** The media type of the Content-Type header, lower case, without parameters ('' if none). */
  contentType: string;
  body: Buffer;
}

/** One kept-alive HTTP/1.1 connection the RPC client sends its requests on: this evented one, or ./blocking-http.ts. */
export interface HttpConnection {
  /** Sends `head` + `body` and resolves with the whole answer (the caller builds the head, ending in a blank line). */
  request(head: string, body: Buffer): Promise<RawResponse>;
  close(): void;
}

/** The answer could not be read as HTTP/1.x; `code` is node:http's for the same failure. */
export class RawHttpProtocolError extends Error {
  override name = 'RawHttpProtocolError';
  constructor(
    message: string,
    readonly code = 'HPE_INVALID_CONSTANT',
  ) {
    super(message);
  }
}

/**
 * An answer Python's http.client rejects with an exception of its own
 * (BadStatusLine, IncompleteRead): the class and text supervisorctl prints
 * for it go with the error (src/ctl/python-errors.ts).
 */
export class HttpAnswerError extends Error {
  override name = 'HttpAnswerError';
  constructor(
    message: string,
    readonly pyClass: string,
    readonly pyMessage: string,
  ) {
    super(message);
  }
}

/**
 * The status line, checked as http.client reads it: as soon as its line is
 * there, or at the close whatever came (an SSH banner, a redis error), not
 * once a whole head has arrived, which such a server never sends.
 */
function checkStatusLine(buf: Buffer, eof: boolean): void {
  const nl = buf.indexOf(0x0a);
  if (nl < 0 && !eof) return;
  const line = buf.toString('latin1', 0, nl < 0 ? buf.length : nl + 1);
  const [version = '', status = ''] = line.trim().split(/\s+/);
  const code = /^\d+$/.test(status) ? Number(status) : 0;
  if (version.startsWith('HTTP/') && code >= 100 && code <= 999) return;
  throw new HttpAnswerError(`the answer is not HTTP: ${JSON.stringify(line.trimEnd().slice(0, 200))}`, 'http.client.BadStatusLine', line);
}

/** node:http's error for a connection closed before (`socket hang up`) or during (`aborted`) the answer. */
function resetError(message: 'socket hang up' | 'aborted'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

interface Head {
  status: number;
  reason: string;
  /** Body length, or -1 for chunked, or -2 for "until the server closes". */
  length: number;
  keepAlive: boolean;
  contentType: string;
  /** Bytes of the head including the blank line. */
  size: number;
}

function parseHead(buf: Buffer, end: number): Head {
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^HTTP\/1\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw new RawHttpProtocolError(`bad HTTP status line: ${JSON.stringify(lines[0])}`);
  let length = -2;
  let chunked = false;
  let keepAlive = m[1] === '1';
  let contentType = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) throw new RawHttpProtocolError(`bad Content-Length: ${JSON.stringify(value)}`);
      length = Number(value);
    } else if (name === 'content-type') contentType = (value.split(';')[0] ?? '').trim().toLowerCase();
    else if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').pop()?.trim() === 'chunked';
    else if (name === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) keepAlive = false;
      else if (v.includes('keep-alive')) keepAlive = true;
    }
  }
  if (chunked) length = -1;
  if (length === -2) keepAlive = false;
  return { status: Number(m[2]), reason: m[3] ?? '', length, keepAlive, contentType, size: end + 4 };
}

/** Decodes a complete chunked body from `buf` at `start`; null until all of it is there. */
function dechunk(buf: Buffer, start: number): Buffer | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return null;
    const sizeText = buf.toString('latin1', at, eol).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new RawHttpProtocolError(`bad chunk size: ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // Trailers (if any) end with an empty line: CRLFCRLF from the size line's own CRLF on.
      if (buf.indexOf(CRLFCRLF, eol) < 0) return null;
      return Buffer.concat(parts);
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export interface FramedAnswer {
  response: RawResponse;
  /** The connection may carry the next request (kept alive, nothing left over). */
  reusable: boolean;
}

/**
 * The answer at the start of `buf` once it is whole, else null (more bytes
 * needed); `eof` when the server has closed. Throws RawHttpProtocolError, or
 * node:http's reset errors for an answer cut short. A body is only read for a
 * 200: after an error the connection is not reused.
 */
export function frameAnswer(buf: Buffer, eof: boolean): FramedAnswer | null {
  if (buf.length > 0) checkStatusLine(buf, eof);
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (eof) throw resetError('socket hang up');
    return null;
  }
  const head = parseHead(buf, end);
  const answer = (body: Buffer): RawResponse => ({ status: head.status, reason: head.reason, contentType: head.contentType, body });
  if (head.status !== 200) return { response: answer(Buffer.alloc(0)), reusable: false };
  let body: Buffer | null;
  let used: number;
  if (head.length >= 0) {
    body = buf.length >= head.size + head.length ? buf.subarray(head.size, head.size + head.length) : null;
    used = head.size + head.length;
  } else if (head.length === -1) {
    body = dechunk(buf, head.size);
    used = buf.length;
  } else {
    body = eof ? buf.subarray(head.size) : null;
    used = buf.length;
  }
  if (!body) {
    if (eof && head.length >= 0) {
      const read = buf.length - head.size;
      throw new HttpAnswerError(`the answer ended after ${read} of its ${head.length} bytes`, 'http.client.IncompleteRead', `IncompleteRead(${read} bytes read, ${head.length - read} more expected)`);
    }
    if (eof) throw resetError('aborted');
    return null;
  }
  return { response: answer(body), reusable: head.keepAlive && !eof && used === buf.length };
}

interface Pending {
  resolve: (r: RawResponse) => void;
  reject: (e: Error) => void;
  /** Whether any byte of the answer arrived (a reused socket that fails before is retried). */
  answered: boolean;
  reused: boolean;
  retry: () => void;
}

/**
 * One connection, one request at a time (as supervisorctl's transport;
 * overlapping calls wait their turn):
 * kept open between requests while the server allows it, re-opened when the
 * server has closed it.
 */
export class RawHttpConnection implements HttpConnection {
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private closed = false;

  constructor(private readonly target: RawTarget) {}

  /** The last request queued: callers that overlap are served one after another on the one connection. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Sends `head` + `body` (the caller builds the request head, ending in a blank line). */
  request(head: string, body: Buffer): Promise<RawResponse> {
    const run = (): Promise<RawResponse> => this.requestNow(head, body);
    const answer = this.tail.then(run, run);
    this.tail = answer.catch(() => undefined);
    return answer;
  }

  private requestNow(head: string, body: Buffer): Promise<RawResponse> {
    if (this.pending) return Promise.reject(new Error('RawHttpConnection: a request is already under way'));
    this.closed = false;
    return new Promise((resolve, reject) => {
      const send = (allowRetry: boolean): void => {
        const reused = this.socket !== null;
        const sock = this.socket ?? this.open();
        sock.ref();
        this.pending = {
          resolve,
          reject,
          answered: false,
          reused: reused && allowRetry,
          retry: () => send(false),
        };
        sock.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      };
      send(true);
    });
  }

  /** Drops the connection (a request under way fails with ECONNRESET-like error). */
  close(): void {
    this.closed = true;
    this.drop();
  }

  private open(): Socket {
    const sock = 'socketPath' in this.target ? net().createConnection({ path: this.target.socketPath }) : net().createConnection({ host: this.target.host, port: this.target.port });
    this.socket = sock;
    this.buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
    sock.on('error', (err) => this.onFailure(sock, err));
    sock.on('end', () => this.onEnd(sock));
    sock.on('close', () => this.onFailure(sock, null));
    return sock;
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    s?.destroy();
  }

  private settle(): Pending | null {
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private onData(sock: Socket, chunk: Buffer): void {
    if (sock !== this.socket) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const p = this.pending;
    if (!p) {
      // Bytes nobody asked for: the connection is out of step.
      this.drop();
      return;
    }
    p.answered = true;
    this.tryComplete(false);
  }

  /** Completes the pending request if its answer is whole; `eof` when the server has closed. */
  private tryComplete(eof: boolean): void {
    if (!this.pending) return;
    let framed: FramedAnswer | null;
    try {
      framed = frameAnswer(this.buf, eof);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!framed) return;
    if (framed.reusable) {
      this.buf = Buffer.alloc(0);
      // An idle kept-alive connection does not hold the process open (as node:http's agent).
      this.socket?.unref();
    } else this.drop();
    this.settle()?.resolve(framed.response);
  }

  private onEnd(sock: Socket): void {
    if (sock !== this.socket) return;
    if (this.pending?.answered) {
      this.tryComplete(true);
      return;
    }
    this.onFailure(sock, null);
  }

  private onFailure(sock: Socket, err: Error | null): void {
    if (sock !== this.socket) return;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    sock.destroy();
    const p = this.pending;
    if (!p) return;
    if (p.reused && !p.answered && !this.closed) {
      // The server closed the kept-alive connection before reading this
      // request: send it once more on a new one (as Python's xmlrpc.client).
      this.pending = null;
      p.retry();
      return;
    }
    this.pending = null;
    if (err) p.reject(err);
    else p.reject(resetError(p.answered ? 'aborted' : 'socket hang up'));
  }

  private fail(err: Error): void {
    this.drop();
    this.settle()?.reject(err);
  }
}
