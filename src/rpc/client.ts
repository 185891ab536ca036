// XML-RPC client for Supervisor's control socket: HTTP/1.1 POST /RPC2 over a
// unix socket (`unix:///path`) or TCP (`http://host:port`), Basic auth and a
// kept-alive connection. Failures are typed so a caller can tell a refused
// connection, a missing socket, a permission problem and an HTTP 401 apart,
// the way supervisorctl does.
import type * as Http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawHttpConnection, type HttpConnection } from './raw-http';
import { BlockingHttpConnection, type UnixConnector } from './blocking-http';
import { ACCEPT_JSON_OR_XML, decodeJsonAnswer, JSON_ANSWER_TYPE } from './json-answer';
import { decodeMethodResponse, DEFAULT_LIMITS, encodeMethodCall, XmlRpcFault } from './xmlrpc';
import type { DecodeLimits, XmlRpcValue } from './xmlrpc';
import { netlocError } from '../config/datatypes';
import { pyRepr } from '../config/pyformat';

// node:http is loaded only for streams (/logtail): the calls go over the raw client.
const http = (): typeof Http => require('node:http') as typeof Http;

export type ServerUrl =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'http'; url: string; host: string; port: number };

/** A serverurl supervisorctl cannot use, with the class of the exception Python raises for it. */
export class ServerUrlError extends Error {
  override name = 'ServerUrlError';
  constructor(
    message: string,
    readonly pyClass = 'ValueError',
  ) {
    super(message);
  }
}

/** The socket could not be reached: errno code such as ECONNREFUSED, ENOENT, EACCES. */
export class RpcConnectionError extends Error {
  override name = 'RpcConnectionError';
  constructor(
    readonly code: string,
    readonly errno: number | undefined,
    readonly syscall: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A non-200 HTTP answer (Python's xmlrpc.client.ProtocolError). */
export class RpcHttpError extends Error {
  override name = 'RpcHttpError';
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`HTTP ${status} ${reason}`);
  }
}

export function parseServerUrl(url: string): ServerUrl {
  if (url.startsWith('unix://')) return { kind: 'unix', url, socketPath: url.slice(7) };
  if (url.startsWith('http://')) {
    const { host, port } = hostAndPort(url.slice(7));
    return { kind: 'http', url, host, port };
  }
  throw new ServerUrlError(`Unknown protocol for serverurl ${url}`);
}

/**
 * The host and port SupervisorTransport takes from an http:// URL (urlparse's
 * hostname and port, then http.client's host check), failing as they do.
 */
function hostAndPort(rest: string): { host: string; port: number } {
  const end = rest.search(/[/?#]/);
  const netloc = end < 0 ? rest : rest.slice(0, end);
  const bad = netlocError(netloc);
  if (bad !== null) throw new ServerUrlError(bad);
  const hostinfo = netloc.slice(netloc.lastIndexOf('@') + 1);
  let host: string;
  let port: string;
  if (hostinfo.includes('[')) {
    const [inside, after] = hostinfo.slice(hostinfo.indexOf('[') + 1).split(/\](.*)/s) as [string, string];
    host = inside;
    port = after.includes(':') ? after.slice(after.indexOf(':') + 1) : '';
  } else {
    const colon = hostinfo.indexOf(':');
    host = colon < 0 ? hostinfo : hostinfo.slice(0, colon);
    port = colon < 0 ? '' : hostinfo.slice(colon + 1);
  }
  let portNumber = 80;
  if (port !== '') {
    if (!/^[0-9]+$/.test(port)) throw new ServerUrlError(`Port could not be cast to integer value as ${pyRepr(port)}`);
    portNumber = Number(port);
    if (portNumber > 65535) throw new ServerUrlError('Port out of range 0-65535');
  }
  if (host === '') throw new ServerUrlError("expected string or bytes-like object, got 'NoneType'", 'TypeError');
  const control = /[\x00-\x20\x7f]/.exec(host);
  if (control) {
    throw new ServerUrlError(`URL can't contain control characters. ${pyRepr(host.toLowerCase())} (found at least ${pyRepr(control[0])})`, 'http.client.InvalidURL');
  }
  return { host: host.toLowerCase(), port: portNumber };
}

export interface RpcClientOptions {
  serverurl: string;
  username?: string | null;
  password?: string | null;
  limits?: DecodeLimits;
  userAgent?: string;
  /** Talk to a unix socket with blocking reads and writes on a socket this makes (./blocking-http.ts): for one-shot commands. Else node:net. */
  connectUnix?: UnixConnector | null;
}

function connectionError(err: unknown): RpcConnectionError | Error {
  if (!(err instanceof Error)) return new Error(String(err));
  // Happy-eyeballs connects report an AggregateError; the first attempt decides.
  const inner = err instanceof AggregateError && err.errors.length ? (err.errors[0] as Error) : err;
  const e = inner as NodeJS.ErrnoException;
  if (typeof e.code === 'string') return new RpcConnectionError(e.code, e.errno, e.syscall, e.message);
  return err;
}

export class RpcClient {
  readonly server: ServerUrl;
  private readonly conn: HttpConnection;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: RpcClientOptions) {
    this.server = parseServerUrl(opts.serverurl);
    if (this.server.kind === 'unix' && opts.connectUnix) this.conn = new BlockingHttpConnection(this.server.socketPath, opts.connectUnix);
    else this.conn = new RawHttpConnection(this.server.kind === 'unix' ? { socketPath: this.server.socketPath } : { host: this.server.host, port: this.server.port });
    this.headers = {
      'User-Agent': opts.userAgent ?? 'tsv',
      'Content-Type': 'text/xml',
      // A tsv daemon may answer in JSON (./json-answer.ts); others answer XML.
      Accept: ACCEPT_JSON_OR_XML,
    };
    // Like Supervisor's transport: credentials only when both are configured.
    if (opts.username != null && opts.password != null) {
      this.headers.Authorization = basicAuth(opts.username, opts.password);
    }
  }

  private requestOptions(method: string, path: string, headers: Record<string, string>, agent: Http.Agent): Http.RequestOptions {
    const base: Http.RequestOptions = { method, path, headers, agent };
    // servername '': no TLS here, and it spares node:http its IPv6 check of the host name.
    if (this.server.kind === 'unix') return { ...base, socketPath: this.server.socketPath, host: 'localhost', servername: '' } as Http.RequestOptions;
    return { ...base, host: this.server.host, port: this.server.port };
  }

  /** The Host header node:http would send. */
  private hostHeader(): string {
    if (this.server.kind === 'unix') return 'localhost';
    const h = this.server.host.includes(':') ? `[${this.server.host}]` : this.server.host;
    return this.server.port === 80 ? h : `${h}:${this.server.port}`;
  }

  /** Calls `method`; resolves with its value or rejects with XmlRpcFault / RpcConnectionError / RpcHttpError / XmlRpcParseError. */
  async call(method: string, params: readonly XmlRpcValue[] = []): Promise<XmlRpcValue> {
    const body = Buffer.from(encodeMethodCall(method, params), 'utf8');
    let head = 'POST /RPC2 HTTP/1.1\r\n';
    for (const [k, v] of Object.entries(this.headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${body.length}\r\nHost: ${this.hostHeader()}\r\nConnection: keep-alive\r\n\r\n`;
    // `open unix://`: an empty path is no socket (as connect(2) tells Python);
    // node:net would take it for TCP to localhost, a sun_path of NULs for an abstract socket
    if (this.server.kind === 'unix' && this.server.socketPath === '') throw new RpcConnectionError('EINVAL', 22, 'connect', 'connect EINVAL');
    let res;
    try {
      res = await this.conn.request(head, body);
    } catch (err) {
      throw connectionError(err);
    }
    if (res.status !== 200) throw new RpcHttpError(res.status, res.reason);
    const decoded =
      res.contentType === JSON_ANSWER_TYPE
        ? decodeJsonAnswer(res.body, this.opts.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes)
        : decodeMethodResponse(res.body, { allowControlChars: true, ...this.opts.limits });
    if (decoded.kind === 'fault') throw decoded.fault;
    return decoded.value;
  }

  /**
   * GET `path` (e.g. /logtail/name/stdout, /mainlogtail) and hand back the
   * streaming response, or reject with RpcConnectionError / RpcHttpError.
   * Unlike `call`, this uses its own connection: the stream holds it open.
   * Destroying the response closes it.
   */
  stream(path: string): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      'Accept-Encoding': 'chunked',
      Accept: '*/*',
      'User-agent': this.headers['User-Agent'] as string,
    };
    // Supervisor's HTTP client sends credentials whenever a password is set.
    if (this.opts.password) headers.Authorization = basicAuth(this.opts.username ?? '', this.opts.password);
    return new Promise((resolve, reject) => {
      // Not `Connection: close` (what agent:false sends): Supervisor's log
      // tail handler then withholds the response; keep-alive gets it chunked.
      const h = http();
      const agent = new h.Agent({ keepAlive: true, maxSockets: 1 });
      const req = h.request(this.requestOptions('GET', path, headers, agent), (res) => {
        res.on('close', () => agent.destroy());
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          res.socket.destroy();
          agent.destroy();
          reject(new RpcHttpError(status, res.statusMessage ?? ''));
          return;
        }
        resolve(res);
      });
      req.on('error', (err) => {
        agent.destroy();
        reject(connectionError(err));
      });
      req.end();
    });
  }

  /**
   * Asks the server to switch a connection of its own to `protocol` at `path`
   * (tsv attach) and hands back that connection and any bytes that came with
   * the switch; rejects with RpcConnectionError, or RpcHttpError whose reason
   * is the refusal's text (the server's words: not running, no such process),
   * or the status line's reason when the answer is not plain text.
   */
  upgrade(path: string, protocol: string): Promise<{ socket: Duplex; head: Buffer }> {
    const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: protocol, 'User-Agent': this.headers['User-Agent'] as string };
    if (this.headers.Authorization) headers.Authorization = this.headers.Authorization;
    return new Promise((resolve, reject) => {
      const h = http();
      const req = h.request(this.requestOptions('GET', path, headers, new h.Agent({ keepAlive: false })));
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        // tsv's refusals are a line of text/plain; another server's (supervisord's medusa) is an HTML page, whose status line says it
        const plain = /^text\/plain\b/i.test(res.headers['content-type'] ?? '');
        const text = (): string => (plain ? Buffer.concat(chunks).toString('utf8').trim() : '');
        res.on('end', () => reject(new RpcHttpError(res.statusCode ?? 0, text() || (res.statusMessage ?? ''))));
        res.on('error', (err) => reject(connectionError(err)));
      });
      req.on('error', (err) => reject(connectionError(err)));
      req.end();
    });
  }

  /** Releases the kept-alive connection so the process can exit. */
  close(): void {
    this.conn.close();
  }
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export { XmlRpcFault };
