// One raw HTTP exchange over a fresh connection (unix socket or TCP): write
// bytes as given, read until the server closes, return the status code. For
// requests no HTTP library would send.
import { createConnection, type Socket } from 'node:net';

export type Target = { path: string } | { host: string; port: number };

export interface RawResponse {
  /** null: the server closed without an HTTP answer */
  status: number | null;
  head: string;
  body: string;
}

export function connect(target: Target): Socket {
  return 'path' in target ? createConnection({ path: target.path }) : createConnection({ host: target.host, port: target.port });
}

export function rawRequest(target: Target, data: string | Buffer | (string | Buffer)[], timeoutMs = 10000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const s = connect(target);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const sep = text.indexOf('\r\n\r\n');
      const head = sep < 0 ? text : text.slice(0, sep);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, head, body: sep < 0 ? '' : text.slice(sep + 4) });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', finish);
    s.on('error', () => finish());
    s.on('connect', () => {
      for (const part of Array.isArray(data) ? data : [data]) s.write(part);
    });
  });
}

/**
 * `METHOD PATH HTTP/1.1` with Host: localhost, the body's Content-Length and
 * Connection: close (so rawRequest reads the whole answer), each overridden by
 * `headers`; a header given as '' is left out.
 */
export function httpRequest(method: string, path: string, headers: Record<string, string> = {}, body: string | Buffer = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const h = { Host: 'localhost', 'Content-Length': String(b.length), Connection: 'close', ...headers };
  const lines = Object.entries(h)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines}\r\n`, 'latin1'), b]);
}

/** A POST /RPC2 with a correct Content-Length (unless overridden) and Connection: close. */
export function post(body: string | Buffer, headers: Record<string, string> = {}): Buffer {
  return httpRequest('POST', '/RPC2', { 'Content-Type': 'text/xml', ...headers }, body);
}

/** The first value of a header in a response head (case-insensitive), or null. */
export function headerValue(head: string, name: string): string | null {
  const lower = name.toLowerCase();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === lower) return line.slice(colon + 1).trim();
  }
  return null;
}

export function rpcBody(method: string, paramsXml = ''): string {
  return `<?xml version='1.0'?>\n<methodCall>\n<methodName>${method}</methodName>\n<params>${paramsXml}</params>\n</methodCall>\n`;
}
