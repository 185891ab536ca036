// Supervisor's web UI on every control socket: the status page with its
// actions (/, /index.html), the tail page (/tail.html) and the stylesheet,
// answered as Supervisor answers them (an action ends in a 301 to
// /?message=…, an unknown action in a 500), plus what Supervisor lacks:
// actions a browser was sent to by another site are not carried out (CSRF;
// the page asks for a confirmation instead), and no page can be framed.
import { hostname } from 'node:os';
import type { EngineApi } from '../daemon/api';
import type { MainLogger } from '../log/mainlog';
import type { RpcDispatcher } from '../rpc/server';
import { tsvVersion } from '../cli/version';
import { runAction, UnknownActionError } from './actions';
import { readForm, pyQuote, serverUrl, type LocalAddress, type WebForm } from './form';
import { esc, page } from './html';
import { renderStatus } from './status-page';
import { STYLESHEET } from './style';
import { renderTail } from './tail-page';

export interface WebRequest {
  method: string;
  /** the path without its leading slashes: '' for / */
  path: string;
  query: string;
  body: Buffer | null;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** where the socket answers, for a client that sends no Host header */
  local: LocalAddress;
}

export interface WebResponse {
  status: number;
  headers: Record<string, string>;
  /** null: the server's own error page for `status` */
  body: string | null;
}

const NO_CACHE = {
  Pragma: 'no-cache',
  'Cache-Control': 'no-cache',
  Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
};

// No page runs script or is meant to be framed; forms post only back here.
const SAFETY = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

const html = (body: string, status = 200): WebResponse => ({
  status,
  headers: { 'Content-Type': 'text/html;charset=utf-8', ...NO_CACHE, ...SAFETY },
  body,
});

const STYLESHEET_PATH = 'stylesheets/supervisor.css';

/** Does the web UI answer this? Its pages take GET and POST, the stylesheet GET and HEAD (Supervisor's static files). */
export function isWebRequest(method: string | undefined, path: string): boolean {
  if (path === STYLESHEET_PATH) return method === 'GET' || method === 'HEAD';
  return (method === 'GET' || method === 'POST') && (path === '' || path === 'index.html' || path === 'tail.html');
}

function header(h: WebRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Did another site send the browser here? Browsers say so in Sec-Fetch-Site
 * (a link followed from another site: cross-site or same-site; a bookmark,
 * a typed URL: none; a click on this page: same-origin); older ones only in
 * Origin, for a POST. Scripts (curl, wget) send neither and are not asked.
 */
function fromElsewhere(h: WebRequest['headers']): boolean {
  const site = header(h, 'sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = header(h, 'origin');
  if (origin === undefined) return false;
  // a sandboxed frame or a redirect chain hides where it came from: not this page
  if (origin === 'null') return true;
  try {
    return new URL(origin).host !== header(h, 'host');
  } catch {
    return true;
  }
}

export class WebUi {
  constructor(
    private readonly rpc: RpcDispatcher,
    private readonly api: EngineApi,
    private readonly logger: MainLogger | null,
  ) {}

  async handle(req: WebRequest): Promise<WebResponse> {
    if (req.path === STYLESHEET_PATH) {
      return { status: 200, headers: { 'Content-Type': 'text/css', 'Cache-Control': 'max-age=3600' }, body: STYLESHEET };
    }
    const form = readForm(req.query, req.method === 'POST' ? req.body : null);
    if (req.path === 'tail.html') return html(await renderTail(this.rpc, form));
    const action = form.get('action');
    if (action === undefined) return html(this.status(form.get('message') ?? null));
    if (action !== 'refresh' && fromElsewhere(req.headers)) return html(this.confirmation(form, action), 403);
    let message: string;
    try {
      message = await runAction(this.rpc, this.api, action, form.get('processname'));
    } catch (e) {
      if (!(e instanceof UnknownActionError)) throw e;
      this.logger?.error(`Web interface error: unknown action '${action}'${form.has('processname') ? ` for '${form.get('processname')}'` : ''}`);
      return { status: 500, headers: {}, body: null };
    }
    const location = `${serverUrl(header(req.headers, 'host'), req.local)}/?message=${pyQuote(message)}`;
    return { status: 301, headers: { Location: location, 'Content-Type': 'text/html', ...NO_CACHE }, body: null };
  }

  private status(message: string | null): string {
    return renderStatus({
      rows: this.api.processRows(),
      message,
      host: hostname(),
      footer: `tsv ${tsvVersion}`,
    });
  }

  /** Instead of an action another site asked for: what it would do, and a button that does it from this page. */
  private confirmation(form: WebForm, action: string): string {
    const name = form.get('processname');
    const what = name === undefined ? action : `${action} ${name}`;
    const field = (k: string, v: string | undefined): string => (v === undefined ? '' : `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`);
    return page({
      title: 'tsv: confirm',
      body: [
        '<main class="confirm">',
        `<p>Another web site sent your browser here to <strong>${esc(what)}</strong>. Nothing was done.</p>`,
        '<form action="index.html" method="post">',
        field('action', action),
        field('processname', name),
        `<button type="submit">${esc(what)}</button> <a class="button" href="./">Cancel</a>`,
        '</form>',
        '</main>',
      ].join('\n'),
    });
  }
}
