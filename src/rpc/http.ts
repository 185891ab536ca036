// HTTP for one control socket (unix_http_server or inet_http_server), on
// node:http fed with the connections the daemon accepts: POST /RPC2* for
// XML-RPC, GET /logtail/<name>[/<channel>] and /mainlogtail for tail -f,
// /ok.html, Supervisor's web UI (src/web), tsv's /events, /metrics and
// attach, 404 or 400 for the rest. Medusa's status
// codes and error pages, Basic auth with realm "default" around everything.
//
// Hardened where Supervisor is not: a body limit (413), Content-Length
// required (411), a deadline for receiving each request, a cap on
// connections that evicts the longest-idle one, and the XML decoder's own
// limits (no DTD, bounded nesting). Every request is handled without
// blocking: a deferred answer or a log stream holds only its own connection.
import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';
import { closeSync, statSync } from 'node:fs';
import { openLog } from '../log/readlog';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { EngineApi } from '../daemon/api';
import { splitNamespec } from '../config/model';
import type { MainLogger } from '../log/mainlog';
import { cutsOf, type LogPosition } from '../log/logfile';
import { followLog, type LogFollower } from './logtail';
import { refuseUpgrade, serveAttach } from './attach';
import { ATTACH_PROTOCOL } from './attach-frames';
import { serveEventStream } from '../events/stream';
import { isStruct, pyRepr } from './pyvalues';
import { encodeOutcome, tooLarge, type RpcDispatcher, type RpcOutcome } from './server';
import { decodeMethodCall, XmlRpcParseError, type XmlRpcValue } from './xmlrpc';
import { acceptsJsonAnswer, encodeJsonAnswer, JSON_ANSWER_TYPE } from './json-answer';
import { isWebRequest, WebUi, type WebResponse } from '../web/ui';
import type { DaemonMetrics } from '../metrics/collect';
import { CONTENT_TYPE as METRICS_TYPE } from '../metrics/exposition';

export interface HttpLimits {
  /** largest request body accepted (413 above) */
  maxBody: number;
  /** deepest XML element nesting accepted in a request (400 above) */
  maxDepth: number;
  /** time allowed to receive a request once it has started (headers and body), ms */
  requestTimeout: number;
  /**
   * a kept-alive connection idle longer than this is closed, ms, but only
   * when every `zombieSweepEvery`th connection arrives, as medusa's
   * kill_zombies runs (30 minutes, every 500th): no timer, so a client that
   * keeps one connection for hours (Supervisor's SupervisorTransport, which
   * childutils.getRPCInterface hands event listeners, never reconnects)
   * finds it open, as under supervisord
   */
  idleTimeout: number;
  zombieSweepEvery: number;
  /** open connections per server, log and event streams not counted; the longest-idle one is closed to admit a new one */
  maxConnections: number;
  /** log and event streams per server (503 above): each holds a file or a place in the event hub */
  maxStreams: number;
  /** request bodies held in memory at once, all connections together (503 above) */
  maxBuffered: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxBody: 4 * 1024 * 1024,
  maxDepth: 64,
  requestTimeout: 30_000,
  idleTimeout: 30 * 60_000,
  zombieSweepEvery: 500,
  maxConnections: 256,
  maxStreams: 4096,
  maxBuffered: 32 * 1024 * 1024,
};

export interface Credentials {
  username: string;
  /** plain text, or `{SHA}` + hex SHA-1 of the password */
  password: string;
}

export interface RpcHttpOptions {
  dispatcher: RpcDispatcher;
  api: EngineApi;
  /** /metrics (absent: 404, as Supervisor answers) */
  metrics?: DaemonMetrics;
  logger: MainLogger | null;
  /** null: no authentication (Supervisor logs a CRIT line for that at start-up) */
  credentials: Credentials | null;
  limits?: Partial<HttpLimits>;
  /** the socket, as the main log names it */
  label?: string;
}

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * medusa reads headers of any size. Browsers send a host's cookies to every
 * port on it, so other local web apps' cookies reach the web page: Node's
 * default 16 KiB turned such a browser away with a 431. 64 KiB per request
 * being parsed, with at most 256 connections, bounds what a flood can hold.
 */
const MAX_HEADER_BYTES = 64 * 1024;

/** medusa's DEFAULT_ERROR_MESSAGE */
function errorPage(code: number): string {
  return [
    '<head>',
    '<title>Error response</title>',
    '</head>',
    '<body>',
    '<h1>Error response</h1>',
    `<p>Error code ${code}.`,
    `<p>Message: ${REASONS[code] ?? 'Error'}.`,
    '</body>',
    '',
  ].join('\r\n');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Supervisor's unmarshaller makes every <base64> a str with a strict UTF-8
 * decode: bytes that are not UTF-8 fail the whole request (400), where tsv
 * would look names up after a lossy decode and send the raw bytes to stdin.
 */
function base64IsText(v: XmlRpcValue): boolean {
  if (v instanceof Uint8Array) {
    try {
      utf8.decode(v);
      return true;
    } catch {
      return false;
    }
  }
  if (Array.isArray(v)) return v.every(base64IsText);
  if (isStruct(v)) return Object.values(v).every(base64IsText);
  return true;
}

/** how long a closing answer waits for the rest of a request it did not read (lingerAfter) */
const LINGER_MS = 2000;
/** how long the end of a run waits for an RPC answer still being made before it drops the connection */
const LAST_ANSWER_MS = 2000;

// loaded at the first authenticated request: the module and OpenSSL's set-up
// cost a daemon without [inet_http_server] credentials ~2 MiB resident
const crypto = (): typeof Crypto => require('node:crypto') as typeof Crypto;
const zlib = (): typeof Zlib => require('node:zlib') as typeof Zlib;

/** /metrics bodies smaller than this go as they are: gzip's header and CPU would cost more than they save */
const GZIP_FROM = 1024;

/** The comma-separated tokens of a header, in lower case. */
function headerTokens(value: string | undefined): string[] {
  return (value ?? '').split(',').map((t) => t.trim().toLowerCase());
}

/** Does Accept-Encoding take gzip (by name or as *, with a q above 0)? Prometheus asks for it on every scrape. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const wanted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return wanted;
    if (coding === '*') star = wanted;
  }
  return star;
}

const sha256 = (s: string | Buffer): Buffer => crypto().createHash('sha256').update(s).digest();

/** Equal strings, in time independent of where they differ. */
function sameSecret(a: string | Buffer, b: string | Buffer): boolean {
  return crypto().timingSafeEqual(sha256(a), sha256(b));
}

/**
 * Whether base64 text is padded as Python's base64.decodebytes requires
 * (it skips other characters, as Buffer.from does, and takes extra `=`);
 * Buffer.from decodes without padding, where medusa answers 400
 * (docs/differences.md: 401 here).
 */
function paddedBase64(text: string): boolean {
  const chars = text.replace(/[^A-Za-z0-9+/=]/g, '');
  const eq = chars.indexOf('=');
  const data = eq < 0 ? chars.length : eq;
  const pads = eq < 0 ? 0 : (/^=*/.exec(chars.slice(eq)) as RegExpExecArray)[0].length;
  const rest = data % 4;
  return rest === 0 || (rest === 2 && pads >= 2) || (rest === 3 && pads >= 1);
}

/** supervisor_auth_handler: Basic, `user:password`, `{SHA}` stored passwords. */
export function authorized(header: string | undefined, creds: Credentials): boolean {
  if (!header) return false;
  const m = /^([^ ]+) (.*)$/s.exec(header);
  if (!m || (m[1] as string).toLowerCase() !== 'basic' || !paddedBase64(m[2] as string)) return false;
  const decoded = Buffer.from(m[2] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const stored = creds.password;
  const given = stored.startsWith('{SHA}') ? crypto().createHash('sha1').update(password, 'utf8').digest('hex') : password;
  const want = stored.startsWith('{SHA}') ? stored.slice(5) : stored;
  // both comparisons always run
  const userOk = sameSecret(user, creds.username);
  const passOk = sameSecret(given, want);
  return userOk && passOk;
}

/** urllib's unquote: %XX decoded, anything else left alone. */
function unquote(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  const src = Buffer.from(s, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x25 && i + 2 < src.length + 0 && /^[0-9a-fA-F]{2}$/.test(src.toString('latin1', i + 1, i + 3))) {
      bytes.push(parseInt(src.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `chunk` with every byte over 0x7f in its first line as %XX (the chunk itself when there is none). */
function withEncodedRequestLine(chunk: Buffer): Buffer {
  const nl = chunk.indexOf(0x0a);
  const end = nl < 0 ? chunk.length : nl;
  let i = 0;
  while (i < end && (chunk[i] as number) < 0x80) i++;
  if (i === end) return chunk;
  const out: Buffer[] = [chunk.subarray(0, i)];
  for (; i < end; i++) {
    const c = chunk[i] as number;
    out.push(c < 0x80 ? chunk.subarray(i, i + 1) : Buffer.from(`%${c.toString(16).toUpperCase().padStart(2, '0')}`, 'latin1'));
  }
  out.push(chunk.subarray(end));
  return Buffer.concat(out);
}

/** medusa unquotes the path (not the query) before handlers match on it. */
function requestPath(url: string): string {
  const q = url.indexOf('?');
  return unquote(q < 0 ? url : url.slice(0, q));
}

/** tsv's `?offset=N` on /logtail (Supervisor ignores a query there): null when absent or not a byte offset */
function offsetQuery(url: string): number | null {
  const q = url.indexOf('?');
  if (q < 0) return null;
  const v = new URLSearchParams(url.slice(q + 1)).get('offset');
  return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/**
 * tsv's `?from=run` on /logtail: the offset where the process's first run
 * (since its group was added) began writing this file; the whole file when
 * it was rotated or replaced since (all of it is the runs'), its end when
 * there was no run yet.
 */
function runOffset(url: string, start: LogPosition | null, logfile: string | null): number | null {
  const q = url.indexOf('?');
  if (q < 0 || new URLSearchParams(url.slice(q + 1)).get('from') !== 'run' || logfile === null) return null;
  try {
    const st = statSync(logfile);
    if (start === null) return st.size;
    // the same file, not emptied since (moved away by rotation, emptied in place by one with no backups)
    return st.dev === start.dev && st.ino === start.ino && st.size >= start.size && cutsOf(st) === start.cuts ? start.size : 0;
  } catch {
    return null; // no file: stream() answers 404
  }
}

/** Runs `fn` once, when the answer is out or its connection is gone, whichever comes first. */
function whenAnswered(res: http.ServerResponse, fn: () => void): void {
  let pending = true;
  const once = (): void => {
    if (!pending) return;
    pending = false;
    fn();
  };
  res.once('finish', once);
  res.once('close', once);
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

interface ConnState {
  socket: Socket;
  /** a request is being answered (deferred RPC, log stream): never evicted, no deadline */
  busy: number;
  /** when the connection last became idle */
  idleSince: number;
  deadline: NodeJS.Timeout | null;
  /** bytes that are not a request followed the one being answered: close once it is */
  closeWhenIdle?: boolean;
  /** answered and closing: what the client still sends is dropped (lingerAfter) */
  lingering?: boolean;
  /** a request's body is still coming: not yet being answered, so evicted as an idle one is */
  receiving?: boolean;
  /** carries a log or event stream or an attach, which never ends on its own */
  stream?: boolean;
  /** an attach: the client's end is the end of its input, and it waits for the rest of the session */
  inputOnly?: boolean;
  /** requests that came pipelined behind the one being answered, run one at a time (onRequest) */
  waiting?: [http.IncomingMessage, http.ServerResponse][];
}

export class RpcHttpServer {
  readonly http: http.Server;
  private readonly limits: HttpLimits;
  private readonly conns = new Map<Socket, ConnState>();
  private readonly followers = new Set<LogFollower>();
  private readonly web: WebUi;
  /** bytes of request bodies being received, all connections together */
  private buffered = 0;
  private closed = false;
  /** connections carrying a log or event stream */
  private streams = 0;
  /** at maxConnections since a connection last found room: the main log says so once per spell */
  private atCap = false;
  /** connections accepted, for the zombie sweep */
  private accepted = 0;

  constructor(private readonly opts: RpcHttpOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.web = new WebUi(opts.dispatcher, opts.api, opts.logger);
    // medusa answers HTTP/1.1 without a Host header too (hand-written clients over the unix socket)
    this.http = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false }, (req, res) => this.onRequest(req, res));
    this.http.keepAliveTimeout = 0;
    this.http.timeout = 0;
    // A client that sends its requests and shuts its sending side (`nc -N`,
    // socat) still reads the answers: node:http would abort the requests still
    // waiting their turn (onRequest) at that end and close. Half-open, it ends
    // the connection after the last answer instead, as medusa answers them all.
    // (Undocumented, in node:http since 0.x and read by Node 20 and 24 alike;
    // test/rpc-http.test.ts half-closes a pipeline.)
    (this.http as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // malformed HTTP (llhttp errors): 400 and close, as medusa does for a bad request line
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const st = this.conns.get(socket);
      if (st && st.busy > 0) {
        // What follows a request still being answered (junk, or a request after
        // `Connection: close`) is not answered, as medusa ignores it: that request
        // gets its own answer (a 400 would tell the client it failed after it ran).
        st.closeWhenIdle = true;
        return;
      }
      if (socket.writable && err.code !== 'ECONNRESET') {
        const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
        const body = errorPage(code);
        socket.end(
          `HTTP/1.1 ${code} ${REASONS[code]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    });
  }

  /** Take over a connection accepted on the daemon's socket. */
  accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (++this.accepted % this.limits.zombieSweepEvery === 0) this.closeZombies();
    // streams are left out: `tsv logs` follows hundreds of logs, each on its own connection, and must not lock out `status`
    if (this.conns.size - this.streams < this.limits.maxConnections) this.atCap = false;
    else {
      if (!this.atCap) {
        this.atCap = true;
        // Supervisor has no cap: a burst of clients that connect before they send (counted idle) would lose some without a word
        this.opts.logger?.warn(
          `${this.opts.label ?? 'control socket'}: ${this.limits.maxConnections} connections open, the most kept (log and event streams aside): each new one closes the longest-idle until fewer are open`,
        );
      }
      if (!this.evictIdle()) {
        socket.destroy();
        return;
      }
    }
    if (socket.remoteFamily) socket.setNoDelay(true);
    // (see httpAllowHalfOpen above: the socket must not end its own side when the client ends)
    socket.allowHalfOpen = true;
    const st: ConnState = { socket, busy: 0, idleSince: performance.now(), deadline: null };
    this.conns.set(socket, st);
    // The client's end with no pipelined request waiting is its going away, as
    // before (a killed `supervisorctl stop` must end the daemon's wait for it);
    // half-open only while requests it sent wait their turn. First of the
    // socket's 'end' listeners: node:http's comes with the 'connection' below.
    socket.on('end', () => {
      if (!st.waiting?.length && !st.inputOnly) socket.end();
    });
    this.arm(st);
    socket.once('close', () => {
      this.disarm(st);
      this.conns.delete(socket);
    });
    // supervisorctl's `tail -f` and `fg` send a program's name in the request line as it is, in
    // UTF-8 (medusa takes any byte there), and node:http's parser refuses a byte over 0x7f in a
    // URL, insecureHTTPParser or not: the connection's first request line, the only one those
    // clients send on it, gets such bytes percent-encoded, which requestPath decodes as medusa's
    // unquote does.
    const early = (): void => void socket.destroy();
    socket.once('error', early);
    socket.once('data', (first: Buffer) => {
      socket.removeListener('error', early);
      socket.pause();
      socket.unshift(withEncodedRequestLine(first));
      this.http.emit('connection', socket);
      socket.resume();
    });
  }

  /**
   * Close every connection (the daemon run is over). One whose RPC answer is
   * still being made closes once it is out: a multicall whose last call is
   * `shutdown` or `restart` after a waiting one (`[stopProcess, shutdown]`)
   * ends the run before its answer is written, and supervisord answers it.
   */
  close(): void {
    this.closed = true;
    for (const f of this.followers) f.stop();
    this.followers.clear();
    for (const st of this.conns.values()) {
      this.disarm(st);
      if (st.busy > 0 && !st.stream) {
        st.closeWhenIdle = true;
        st.deadline = setTimeout(() => st.socket.destroy(), LAST_ANSWER_MS);
      } else st.socket.destroy();
    }
    this.conns.clear();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** medusa's kill_zombies: every connection idle for longer than idleTimeout is closed. */
  private closeZombies(): void {
    const now = performance.now();
    for (const st of [...this.conns.values()]) {
      if (st.busy === 0 && !st.stream && now - st.idleSince > this.limits.idleTimeout) this.drop(st);
    }
  }

  private drop(st: ConnState): void {
    this.disarm(st);
    this.conns.delete(st.socket);
    st.socket.destroy();
  }

  private evictIdle(): boolean {
    let victim: ConnState | null = null;
    for (const st of this.conns.values()) {
      // 256 clients sending half a body would otherwise lock out every other for the request deadline
      if ((st.busy === 0 || st.receiving) && (victim === null || st.idleSince < victim.idleSince)) victim = st;
    }
    if (!victim) return false;
    this.drop(victim);
    return true;
  }

  /** A deadline for receiving a request (or its body): slow senders cannot hold a connection. */
  private arm(st: ConnState): void {
    this.disarm(st);
    st.deadline = setTimeout(() => {
      st.deadline = null;
      st.socket.destroy();
    }, this.limits.requestTimeout);
  }

  private disarm(st: ConnState): void {
    if (st.deadline) clearTimeout(st.deadline);
    st.deadline = null;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // the run is over: only answers already being made still go out (close())
    if (this.closed) return;
    const st = this.conns.get(req.socket);
    // a request read from the body being dropped after a closing answer is never run
    if (st?.lingering) {
      req.socket.destroy();
      return;
    }
    // Pipelined requests (sent without waiting for answers) wait their turn:
    // node:http emits every request of a chunk it reads in one go, and run
    // there, 200 readLog calls held every answer in memory (2 GB) and kept
    // child output, SIGCHLD and other clients waiting for 15 s. One at a
    // time, the loop turning between, as medusa reads a chunk per pass.
    if (st && st.busy > 0 && !st.stream) {
      (st.waiting ??= []).push([req, res]);
      st.socket.pause();
      return;
    }
    // the headers are in; from here until the answer is out the connection is ours to keep
    if (st) {
      this.disarm(st);
      st.busy++;
      whenAnswered(res, () => {
        st.busy = Math.max(0, st.busy - 1);
        if (st.busy === 0) st.idleSince = performance.now();
        if (st.busy === 0 && st.waiting?.length) setImmediate(() => this.nextWaiting(st));
        else if (st.busy === 0 && st.closeWhenIdle) st.socket.destroySoon();
      });
    }
    try {
      this.route(req, res, st);
    } catch (e) {
      this.internalError(res, e, null);
    }
  }

  /** The next pipelined request of a connection whose last answer is out; none of a client that has gone. */
  private nextWaiting(st: ConnState): void {
    const next = st.waiting?.shift();
    if (!next) return;
    if (st.socket.destroyed) {
      st.waiting = [];
      return;
    }
    if (!st.waiting?.length) st.socket.resume();
    this.onRequest(next[0], next[1]);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, st: ConnState | undefined): void {
    const creds = this.opts.credentials;
    if (creds && !authorized(req.headers.authorization, creds)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="default"');
      // The answer closes the connection, so it waits for the body first: Python's
      // http.client writes the body after the headers, and a write to a closed
      // socket makes supervisorctl report a broken pipe instead of the 401.
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > 0 && length <= this.limits.maxBody && !req.complete) {
        req.once('end', () => this.error(res, 401, true));
        req.resume();
      } else this.error(res, 401, true);
      return;
    }
    // medusa splits a fragment off the request target as a browser would (a
    // raw `#` can reach a server from hand-made requests): it selects nothing
    if (req.url?.includes('#')) req.url = req.url.slice(0, req.url.indexOf('#'));
    const path = requestPath(req.url ?? '/');
    if (path.startsWith('/RPC2')) this.rpc(req, res, st);
    else if (path.startsWith('/logtail')) {
      if (this.asStream(res, st)) this.logtail(req, res, path);
    } else if (path.startsWith('/mainlogtail')) {
      if (this.asStream(res, st)) this.mainlogtail(req, res);
    } else if (path === '/events' && req.method === 'GET') {
      // tsv's event stream (src/events/stream.ts); GET only, like the log tails
      if (this.asStream(res, st)) serveEventStream(req, res, this.opts.api.engine.eventHub);
    } else if (path === '/metrics' && this.opts.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
      this.metrics(req, res, this.opts.metrics);
    } else this.page(req, res, st, path.replace(/^\/+/, ''));
  }

  /**
   * A request with `Connection: upgrade` and an `Upgrade` header. Only
   * `tsv attach`'s (./attach.ts) becomes something else; any other is answered
   * as a plain request, as medusa ignores the header: Java's HttpClient sends
   * `Upgrade: h2c` with every http:// request, and an nginx set up for
   * websockets passes a browser's `Upgrade` on.
   */
  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (!headerTokens(req.headers.upgrade).includes(ATTACH_PROTOCOL)) {
      this.asPlainRequest(req, socket, head);
      return;
    }
    const st = this.conns.get(socket);
    // from here the connection is the attach's for as long as it lasts: no deadline, never evicted
    if (st) {
      this.disarm(st);
      st.busy++;
      st.stream = true;
      st.inputOnly = true;
    }
    const creds = this.opts.credentials;
    if (creds && !authorized(req.headers.authorization, creds)) {
      refuseUpgrade(socket, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const path = requestPath(req.url ?? '/');
    if (!path.startsWith('/attach/')) {
      refuseUpgrade(socket, 404, 'Not Found', 'Not Found');
      return;
    }
    if (this.streams >= this.limits.maxStreams) {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'too many streams');
      return;
    }
    this.streams++;
    socket.once('close', () => this.streams--);
    try {
      serveAttach(req, socket, head, this.opts.api.engine, path.slice('/attach/'.length));
    } catch (e) {
      this.opts.logger?.error(`attach: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
  }

  /**
   * node:http gives a request that asks for an upgrade to the 'upgrade'
   * listener, parsed, with whatever followed its headers (`head`: the body's
   * start, pipelined requests). Node 20 has no way to decline (22.x's
   * shouldUpgradeCallback), so the request goes back in front of the rest,
   * without the upgrade, and the connection to node:http again (a handle it
   * consumed once it reads through the stream, where the bytes wait).
   */
  private asPlainRequest(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      const lower = name.toLowerCase();
      if (lower === 'upgrade') continue;
      if (lower === 'connection') {
        const rest = value.split(',').filter((t) => t.trim() !== '' && t.trim().toLowerCase() !== 'upgrade');
        if (rest.length) lines.push(`${name}:${rest.join(',')}`);
        continue;
      }
      lines.push(`${name}: ${value}`);
    }
    // node:http read the header bytes as latin1, so latin1 gives them back unchanged
    socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
    this.http.emit('connection', socket);
  }

  /** Counts the connection as a stream from now on; false (503 sent) when there are too many. */
  private asStream(res: http.ServerResponse, st: ConnState | undefined): boolean {
    if (!st) return true;
    if (this.streams >= this.limits.maxStreams) {
      this.error(res, 503);
      return false;
    }
    this.streams++;
    st.stream = true;
    // an answer that ends (404, 400, the stream's end) gives the connection back to maxConnections
    whenAnswered(res, () => {
      this.streams--;
      st.stream = false;
    });
    return true;
  }

  /** The web UI's pages and files, named without the leading slashes (ok.html among them). */
  private page(req: http.IncomingMessage, res: http.ServerResponse, st: ConnState | undefined, page: string): void {
    if (page === 'ok.html' && (req.method === 'GET' || req.method === 'POST')) {
      this.withBody(req, res, st, () => this.send(res, 200, 'text/plain', 'OK'));
    } else if (isWebRequest(req.method, page)) {
      this.withBody(req, res, st, (body) => this.webPage(req, res, page, body));
    } else {
      // medusa's last handler serves files: 404 for a GET or HEAD it has no file for, 400 for any other method
      this.error(res, req.method === 'GET' || req.method === 'HEAD' ? 404 : 400);
    }
  }

  /** tsv's /metrics (src/metrics): read when asked, answered without blocking other requests. */
  private metrics(req: http.IncomingMessage, res: http.ServerResponse, metrics: DaemonMetrics): void {
    req.resume();
    metrics.text().then(
      (text) => {
        const body = Buffer.from(text, 'utf8');
        if (body.length < GZIP_FROM || !acceptsGzip(req.headers['accept-encoding'])) return this.send(res, 200, METRICS_TYPE, body, { Vary: 'Accept-Encoding' });
        // Level 1, here on the event loop: 1,000 programs' ~1 MB pack to
        // ~8 % in a few ms, less than one of the turns the text is read in
        // (bench/metrics); the async form would start libuv's thread pool
        // (threads, and a malloc arena each) in a daemon that otherwise never needs it.
        this.send(res, 200, METRICS_TYPE, zlib().gzipSync(body, { level: 1 }), { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
      },
      (e: unknown) => this.internalError(res, e, null),
    );
  }

  private internalError(res: http.ServerResponse, e: unknown, body: Buffer | null): void {
    const err = e instanceof Error ? e : new Error(String(e));
    // Supervisor logs a traceback; an error that names its file and cause (an
    // AUTO log that cannot be made when `update` adds a program) needs none
    const what = (err as Error & { explained?: boolean }).explained === true ? `${err.name}: ${err.message}` : (err.stack ?? err.message);
    this.opts.logger?.critical(
      body === null ? `Server Error: ${what}` : `Handling XML-RPC request with data ${excerpt(body)} raised an unexpected exception: ${what}`,
    );
    if (!res.headersSent) this.error(res, 500);
    else res.destroy();
  }

  private send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): void {
    if (res.destroyed) return;
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    // the status line says what the error page says (node's own text for 413 is "Payload Too Large")
    const reason = REASONS[status];
    if (reason) res.statusMessage = reason;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, ...headers });
    res.end(buf);
  }

  private error(res: http.ServerResponse, code: number, close = false): void {
    if (close) {
      res.setHeader('Connection', 'close');
      if (!res.req.complete) this.lingerAfter(res);
    }
    this.send(res, code, 'text/html', errorPage(code));
  }

  /**
   * An answer that closes the connection before the request's body is in
   * (411, 413, …): the client may still be writing that body, and a close now
   * makes its next write fail (EPIPE; over TCP a reset, which can discard the
   * answer unread), so the client never sees why. As nginx's lingering close:
   * once the answer is out, only the sending side is shut, and what still
   * arrives is read and dropped until the client closes or LINGER_MS pass.
   */
  private lingerAfter(res: http.ServerResponse): void {
    const socket = res.socket;
    const st = socket ? this.conns.get(socket) : undefined;
    if (!socket || !st) return;
    st.lingering = true;
    // node:http ends a `Connection: close` answer with socket.destroySoon() (end, then destroy once written)
    socket.destroySoon = (): void => {
      socket.end();
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      socket.once('close', () => clearTimeout(timer));
    };
  }

  /** medusa's collector: Content-Length required, then the body (bounded in size and time). */
  private withBody(req: http.IncomingMessage, res: http.ServerResponse, st: ConnState | undefined, then: (body: Buffer) => void): void {
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      then(Buffer.alloc(0));
      return;
    }
    const cl = req.headers['content-length'];
    if (cl === undefined) {
      this.error(res, 411, true);
      return;
    }
    const length = Number(cl);
    if (!/^\d+$/.test(cl) || !Number.isSafeInteger(length)) {
      this.error(res, 400, true);
      return;
    }
    if (length > this.limits.maxBody) {
      this.error(res, 413, true);
      return;
    }
    if (this.buffered + length > this.limits.maxBuffered) {
      // many large bodies at once: memory stays bounded, the client may retry
      this.error(res, 503, true);
      return;
    }
    this.buffered += length;
    let held = length;
    const release = (): void => {
      this.buffered -= held;
      held = 0;
    };
    if (st) {
      this.arm(st);
      st.receiving = true;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', release);
    req.on('close', release);
    req.on('end', () => {
      release();
      if (st) {
        this.disarm(st);
        st.receiving = false;
      }
      const body = Buffer.concat(chunks);
      try {
        then(body);
      } catch (e) {
        this.internalError(res, e, body);
      }
    });
  }

  // ------------------------------------------------------------------ RPC

  private rpc(req: http.IncomingMessage, res: http.ServerResponse, st: ConnState | undefined): void {
    if (req.method !== 'POST') {
      this.error(res, 400);
      return;
    }
    this.withBody(req, res, st, (body) => {
      let call;
      try {
        // Supervisor decodes the body as strict UTF-8 before parsing it
        const text = utf8.decode(body);
        call = decodeMethodCall(text, { maxBytes: this.limits.maxBody, maxDepth: this.limits.maxDepth });
        if (!call.params.every(base64IsText)) throw new TypeError('a <base64> value that is not UTF-8');
      } catch (e) {
        if (!(e instanceof XmlRpcParseError) && !(e instanceof TypeError)) throw e;
        const why = e instanceof XmlRpcParseError && e.kind !== 'NOT_XMLRPC' && e.kind !== 'MALFORMED' ? e.message : 'unmarshallable';
        this.opts.logger?.error(`XML-RPC request data ${excerpt(body)} is invalid: ${why}`);
        this.error(res, 400);
        return;
      }
      if (!call.methodName) {
        this.opts.logger?.error(`XML-RPC request data ${excerpt(body)} is invalid: no method name`);
        this.error(res, 400);
        return;
      }
      const json = acceptsJsonAnswer(req.headers.accept);
      // a client that goes before its answer: a waiting stop stops reporting (Supervisor's deferred is dropped with it)
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const out = this.opts.dispatcher.call(call.methodName, call.params, gone.signal);
      if (out instanceof Promise) {
        out.then(
          (o) => this.answer(res, o, body, json),
          (e: unknown) => this.internalError(res, e, body),
        );
      } else this.answer(res, out, body, json);
    });
  }

  private answer(res: http.ServerResponse, o: RpcOutcome, body: Buffer, json: boolean): void {
    let asJson: string | null;
    try {
      asJson = json ? encodeJsonAnswer(o) : null;
    } catch (e) {
      // too large for one string: encodeOutcome's XML answer says so
      if (!tooLarge(e)) throw e;
      asJson = null;
    }
    if (asJson !== null) {
      this.send(res, 200, JSON_ANSWER_TYPE, asJson);
      return;
    }
    // A log line with a colour code would make the answer ill-formed XML, as
    // supervisord's is, and every strict client (Python's supervisorctl
    // among them) would fail on it; tsv's own client reads it as it is.
    let xml: string;
    try {
      xml = encodeOutcome(o, json ? 'as-python' : 'well-formed');
    } catch (e) {
      this.internalError(res, o.kind === 'error' ? o.error : e, body);
      return;
    }
    this.send(res, 200, 'text/xml', xml);
  }

  // ---------------------------------------------------------------- web UI

  private webPage(req: http.IncomingMessage, res: http.ServerResponse, path: string, body: Buffer): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const { localAddress: address, localFamily: family, localPort: port } = req.socket;
    this.web
      .handle({ method: req.method ?? 'GET', path, query: q < 0 ? '' : url.slice(q + 1), body, headers: req.headers, local: { address, family, port } })
      .then(
        (r: WebResponse) => {
          if (res.destroyed) return;
          for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
          this.send(res, r.status, r.headers['Content-Type'] ?? 'text/html', r.body ?? errorPage(r.status));
        },
        (e: unknown) => this.internalError(res, e, null),
      );
  }

  // ------------------------------------------------------------- log tails

  private logtail(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    if (req.method !== 'GET') {
      this.error(res, 400);
      return;
    }
    // /logtail/<namespec>[/<channel>]
    const rest = path.replace(/^\/+/, '');
    const slash = rest.indexOf('/');
    if (slash < 0) {
      this.error(res, 404);
      return;
    }
    const spec = rest.slice(slash + 1);
    const cut = spec.indexOf('/');
    const name = cut < 0 ? spec : spec.slice(0, cut);
    const channel = cut < 0 ? 'stdout' : spec.slice(cut + 1);
    const [gname, pname] = splitNamespec(name);
    const proc = pname === null ? undefined : this.opts.api.engine.groups.get(gname)?.processes.get(pname);
    const logfile = !proc ? null : channel === 'stdout' ? proc.stdoutLogfile : channel === 'stderr' ? proc.stderrLogfile : null;
    const url = req.url ?? '';
    this.stream(req, res, logfile, offsetQuery(url) ?? (proc && (channel === 'stdout' || channel === 'stderr') ? runOffset(url, proc.logRunStart(channel), logfile) : null));
  }

  private mainlogtail(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET') {
      this.error(res, 400);
      return;
    }
    this.stream(req, res, this.opts.api.mainLogfile());
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse, logfile: string | null, offset: number | null = null): void {
    let mtime: number;
    try {
      if (logfile === null) throw new Error('no log file');
      mtime = statSync(logfile).mtimeMs;
    } catch {
      // no log file yet is a temporary condition: 404, as Supervisor answers
      this.error(res, 404);
      return;
    }
    // a directory, a FIFO, a terminal: Supervisor's open() fails (or, for a FIFO, waits for a writer) and it
    // answers 500; a 200 would be a stream that never sends a byte
    const fd = openLog(logfile);
    if (fd === null) {
      this.error(res, 500);
      return;
    }
    closeSync(fd);
    req.resume();
    const headers: http.OutgoingHttpHeaders = {
      'Last-Modified': httpDate(mtime),
      'Content-Type': 'text/plain;charset=utf-8',
    };
    // Supervisor sends it for /logtail only; behind nginx's default buffering `maintail -f` then shows nothing
    headers['X-Accel-Buffering'] = 'no';
    // a browser otherwise holds back text/plain until it has enough bytes to sniff (Chromium: 512),
    // so the web page's Tail -f showed a slow log seconds late
    headers['X-Content-Type-Options'] = 'nosniff';
    const follower = followLog(logfile as string, offset === null ? { head: 1024 } : { offset }, res);
    // tsv's: where in the file the stream begins, so that `tsv logs` continues its history exactly
    // (also from the last 1,024 bytes: a file past 2 GiB, whose end XML-RPC's int32 cannot tell)
    headers['X-Tsv-Log-Offset'] = String(follower.start);
    res.writeHead(200, headers);
    // headers now, not with the first chunk: clients wait for them
    res.flushHeaders();
    follower.begin();
    this.followers.add(follower);
    res.on('close', () => {
      follower.stop();
      this.followers.delete(follower);
    });
  }
}

/** The request body as Supervisor logs it (%r), shortened: abusive requests must not flood the log. */
function excerpt(body: Buffer): string {
  const max = 256;
  const s = body.subarray(0, max).toString('utf8');
  return body.length > max ? `${pyRepr(s)}... (${body.length} bytes)` : pyRepr(s);
}
