// Requests that ask for a protocol upgrade tsv does not offer (Java's
// HttpClient sends `Upgrade: h2c` with every http:// request, `curl --http2`
// too, and an nginx set up for websockets passes a browser's `Upgrade` on):
// supervisord ignores the header and answers, and so must tsv, which takes
// over only `Upgrade: tsv-attach` (test/daemon-pty.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, httpRequest, rpcBody, type Target } from './helpers/raw-http';
import { startPair, type Daemon } from './helpers/rpc-daemons';

let both: Daemon[] = [];

before(async () => {
  ({ both } = await startPair('[program:sleeper]\ncommand=/bin/sleep 100000\nstartsecs=0\n'));
});

after(async () => {
  await Promise.all(both.map((d) => d.stop()));
});

const H2C = { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAAQCAAAAAAIAAAAA', 'Content-Type': 'text/xml' };

/** Everything the daemon sends on one connection until it closes: headers first, the body `gap` ms later. */
function exchange(target: Target, parts: Buffer[], gap = 50): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(target);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), 10000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.on('error', () => s.destroy());
    s.on('connect', () => {
      parts.forEach((p, i) => setTimeout(() => s.write(p), i * gap));
    });
  });
}

/** The answers on one connection to `first` then a plain `Connection: close` call (so that both daemons close it). */
async function thenClose(d: Daemon, first: Buffer[]): Promise<{ statuses: string[]; text: string }> {
  const text = await exchange({ path: d.sock }, [...first, httpRequest('POST', '/RPC2', {}, rpcBody('supervisor.getState'))]);
  return { statuses: responses(text).map((r) => r.status), text };
}

/** Responses one after another, each framed by its Content-Length (every answer here has one). */
function responses(text: string): { status: string; body: string }[] {
  const out: { status: string; body: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = text.slice(at, end);
    const length = Number(/^Content-Length: *(\d+)/im.exec(head)?.[1] ?? NaN);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
    if (!status || !Number.isFinite(length)) break;
    out.push({ status, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

test('XML-RPC with Upgrade: h2c (Java HttpClient, curl --http2) is answered as any call, as supervisord answers it', async () => {
  const answers: string[] = [];
  for (const d of both) {
    const { statuses, text } = await thenClose(d, [httpRequest('POST', '/RPC2', H2C, rpcBody('supervisor.getAPIVersion'))]);
    assert.deepEqual(statuses, ['200', '200'], `${d.kind}: ${text}`);
    assert.doesNotMatch(text, /^Upgrade:/im, d.kind);
    answers.push(text.replace(/^(Date|Server|Content-Type|Connection|Keep-Alive):.*\r\n/gim, ''));
  }
  assert.match(answers[1] as string, /<string>3\.0<\/string>[^]*<string>RUNNING<\/string>/);
  assert.equal(answers[1], answers[0]);
});

test('the status page and ok.html with Upgrade: websocket are served as without it', async () => {
  for (const d of both) {
    for (const path of ['/', '/ok.html']) {
      const headers = { Connection: 'keep-alive, Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
      const { statuses, text } = await thenClose(d, [httpRequest('GET', path, headers)]);
      assert.deepEqual(statuses, ['200', '200'], `${d.kind} ${path}: ${text.slice(0, 300)}`);
    }
  }
});

test('a body sent after such a request\'s headers arrives', async () => {
  for (const d of both) {
    const body = rpcBody('supervisor.getAPIVersion');
    const head = httpRequest('POST', '/RPC2', { ...H2C, 'Content-Length': String(Buffer.byteLength(body)) });
    const { statuses, text } = await thenClose(d, [head, Buffer.from(body)]);
    assert.deepEqual(statuses, ['200', '200'], `${d.kind}: ${text}`);
    assert.match(text, /<string>3\.0<\/string>[^]*<string>RUNNING<\/string>/, d.kind);
  }
});
