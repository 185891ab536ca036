// The web page's request fields and URLs, with the meaning Supervisor's web UI
// gives them (supervisor/web.py on Python 3): the query string and, for a
// POST, an application/x-www-form-urlencoded body; empty values are dropped
// (parse_qs without keep_blank_values); the first value of a repeated query
// key wins, the last of a repeated body key, and body fields override the
// query's. URLSearchParams splits on '&' only and decodes '+' and %XX as
// Python's parse_qs does (invalid UTF-8 becomes U+FFFD in both).

import { localDate } from '../log/asctime';

export type WebForm = ReadonlyMap<string, string>;

export function readForm(query: string, body: Buffer | null): WebForm {
  const form = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(query)) if (v !== '' && !form.has(k)) form.set(k, v);
  if (body && body.length > 0) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (v !== '') form.set(k, v);
  }
  return form;
}

/** Python's urllib.parse.quote(s, safe): UTF-8 bytes, %XX in upper case for all but letters, digits, `_.-~` and `safe`. */
export function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.~-]/.test(c) || (b < 0x80 && safe.includes(c))) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The address a socket answers on: IP and port for TCP, nothing for a unix socket. */
export interface LocalAddress {
  address?: string;
  family?: string;
  port?: number;
}

/**
 * Where the page redirects to after an action: `http://` + the Host header
 * (its port left out when it is 80), or, for a client that sent none
 * (HTTP/1.0), the server's own name as medusa's get_server_url builds it: the
 * reverse lookup of its address, which is localhost for the loopback.
 */
export function serverUrl(host: string | undefined, local: LocalAddress): string {
  const h = host?.trim();
  if (!h) {
    if (!local.port) return 'http://localhost';
    const loopback = local.address === '127.0.0.1' || local.address === '::1';
    const name = loopback ? 'localhost' : local.family === 'IPv6' ? `[${local.address}]` : local.address;
    return `http://${name}:${local.port}`;
  }
  const m = /^(.*):(\d*)$/.exec(h);
  const name = m ? (m[1] as string) : h;
  const port = m && m[2] ? m[2] : null;
  return `http://${port === null || port === '80' ? name : `${name}:${port}`}`.replace(/\/$/, '');
}

/** time.ctime(): `Mon Nov  3 12:42:20 2026` in local time. */
export function ctime(ms: number = Date.now()): string {
  const d = localDate(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return (
    `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`
  );
}
