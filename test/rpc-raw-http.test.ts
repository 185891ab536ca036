// The ctl's raw HTTP/1.1 client (src/rpc/raw-http.ts) against a real unix
// socket server that answers in each framing HTTP allows, closes kept-alive
// connections, hangs up and sends garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawHttpConnection } from '../src/rpc/raw-http';

type Handler = (sock: Socket, request: string, n: number) => void;

async function withServer(handler: Handler, run: (conn: RawHttpConnection, stats: { connections: number }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-raw-http-'));
  const path = join(dir, 's.sock');
  const stats = { connections: 0 };
  const sockets = new Set<Socket>();
  let n = 0;
  const server: Server = createServer((sock) => {
    stats.connections++;
    sockets.add(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const req = buf.slice(0, end + 4 + len);
      buf = buf.slice(end + 4 + len);
      handler(sock, req, n++);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  const conn = new RawHttpConnection({ socketPath: path });
  try {
    await run(conn, stats);
  } finally {
    conn.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const post = (conn: RawHttpConnection, body = 'ping') =>
  conn.request(`POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`, Buffer.from(body));

test('Content-Length answers on one kept-alive connection, split across writes', async () => {
  await withServer(
    (sock, req, n) => {
      assert.match(req, /^POST \/RPC2 HTTP\/1\.1\r\n/);
      const body = `answer ${n} ` + 'x'.repeat(100000);
      const whole = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      sock.write(whole.slice(0, 10));
      setImmediate(() => sock.write(whole.slice(10)));
    },
    async (conn, stats) => {
      for (let i = 0; i < 3; i++) {
        const r = await post(conn);
        assert.equal(r.status, 200);
        assert.equal(r.body.toString().slice(0, 9), `answer ${i} `);
        assert.equal(r.body.length, 9 + 100000);
      }
      assert.equal(stats.connections, 1);
    },
  );
});

test('chunked and close-delimited answers', async () => {
  await withServer(
    (sock, _req, n) => {
      if (n === 0) sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n');
      else sock.end('HTTP/1.0 200 OK\r\n\r\nuntil close');
    },
    async (conn, stats) => {
      assert.equal((await post(conn)).body.toString(), 'hello world');
      assert.equal((await post(conn)).body.toString(), 'until close');
      assert.equal(stats.connections, 1);
    },
  );
});

test('a kept-alive connection the server closed is re-opened; a non-200 status is handed back', async () => {
  await withServer(
    (sock, _req, n) => {
      if (n === 0) {
        sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        return;
      }
      sock.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope!');
    },
    async (conn, stats) => {
      assert.equal((await post(conn)).body.toString(), 'ok');
      await new Promise((r) => setTimeout(r, 50));
      const r = await post(conn);
      assert.deepEqual([r.status, r.reason], [401, 'Unauthorized']);
      assert.equal(stats.connections, 2);
    },
  );
});

test('hang-ups and garbage are errors with the codes node:http gives them', async () => {
  await withServer(
    (sock, _req, n) => {
      if (n === 0) sock.destroy();
      else if (n === 1) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
      else sock.end('SSH-2.0-OpenSSH\r\n\r\n');
    },
    async (conn) => {
      await assert.rejects(post(conn), { code: 'ECONNRESET', message: 'socket hang up' });
      await assert.rejects(post(conn), { code: 'ECONNRESET', message: 'aborted' });
      await assert.rejects(post(conn), { code: 'HPE_INVALID_CONSTANT' });
    },
  );
});

test('connecting to a missing socket fails with ENOENT', async () => {
  const conn = new RawHttpConnection({ socketPath: join(tmpdir(), 'tsv-raw-http-missing', 'no.sock') });
  await assert.rejects(post(conn), { code: 'ENOENT' });
});
