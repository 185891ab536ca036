// The ctl's two HTTP/1.1 clients, the evented one (src/rpc/raw-http.ts, for
// the shell and TCP) and the blocking one (src/rpc/blocking-http.ts, for
// one-shot commands on a unix socket), against the same scripted server:
// every framing HTTP allows, kept-alive connections the server closes,
// hang-ups and garbage, and a socket that is missing or refuses. Both must
// answer, and fail, alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawHttpConnection, type HttpConnection as Conn, type RawResponse } from '../src/rpc/raw-http';
import { BlockingHttpConnection } from '../src/rpc/blocking-http';
import { requireNative } from '../src/daemon/native';
import { startScriptedServer, type Script } from './helpers/scripted-http-server';

const TRANSPORTS: Record<string, (path: string) => Conn> = {
  evented: (path) => new RawHttpConnection({ socketPath: path }),
  blocking: (path) => new BlockingHttpConnection(path, (p) => requireNative().connectUnix(p)),
};

async function withServer(script: Script, transport: string, run: (conn: Conn, connections: () => Promise<number>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-raw-http-'));
  const path = join(dir, 's.sock');
  const server = await startScriptedServer(path, script);
  const conn = (TRANSPORTS[transport] as (p: string) => Conn)(path);
  try {
    await run(conn, () => server.connections());
  } finally {
    conn.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const post = (conn: Conn, body = 'ping'): Promise<RawResponse> =>
  conn.request(`POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`, Buffer.from(body));

for (const transport of Object.keys(TRANSPORTS)) {
  test(`${transport}: Content-Length answers on one kept-alive connection, split across writes`, async () => {
    await withServer('split', transport, async (conn, connections) => {
      for (let i = 0; i < 3; i++) {
        const r = await post(conn);
        assert.equal(r.status, 200);
        assert.equal(r.body.toString().slice(0, 9), `answer ${i} `);
        assert.equal(r.body.length, 9 + 100000);
      }
      assert.equal(await connections(), 1);
    });
  });

  test(`${transport}: chunked and close-delimited answers`, async () => {
    await withServer('framings', transport, async (conn, connections) => {
      assert.equal((await post(conn)).body.toString(), 'hello world');
      assert.equal((await post(conn)).body.toString(), 'until close');
      assert.equal(await connections(), 1);
    });
  });

  test(`${transport}: a kept-alive connection the server closed is re-opened; a non-200 status is handed back`, async () => {
    await withServer('closed-then-401', transport, async (conn, connections) => {
      assert.equal((await post(conn)).body.toString(), 'ok');
      await new Promise((r) => setTimeout(r, 50));
      const r = await post(conn);
      assert.deepEqual([r.status, r.reason], [401, 'Unauthorized']);
      assert.equal(await connections(), 2);
    });
  });

  test(`${transport}: hang-ups and garbage are the errors Python's http.client raises for them (supervisorctl prints their class)`, async () => {
    await withServer('hangups', transport, async (conn) => {
      await assert.rejects(post(conn), { code: 'ECONNRESET', message: 'socket hang up' });
      await assert.rejects(post(conn), { pyClass: 'http.client.IncompleteRead', pyMessage: 'IncompleteRead(5 bytes read, 5 more expected)' });
      await assert.rejects(post(conn), { pyClass: 'http.client.BadStatusLine', pyMessage: 'SSH-2.0-OpenSSH\r\n', message: 'the answer is not HTTP: "SSH-2.0-OpenSSH"' });
      // at its first line, not at a close or a blank line that never comes
      await assert.rejects(post(conn), { pyClass: 'http.client.BadStatusLine', pyMessage: 'SSH-2.0-OpenSSH_9.2p1\r\n' });
    });
  });
}

/** The error a transport gives when it cannot connect, reduced to what the ctl reads. */
async function connectError(transport: string, path: string): Promise<Record<string, unknown>> {
  const conn = (TRANSPORTS[transport] as (p: string) => Conn)(path);
  try {
    await post(conn);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { code: err.code, errno: err.errno, syscall: err.syscall, message: err.message };
  } finally {
    conn.close();
  }
  throw new Error('connected');
}

test('a missing socket and one nobody listens on fail alike in both transports (ENOENT, ECONNREFUSED)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-raw-http-'));
  try {
    const missing = join(dir, 'no.sock');
    const evented = await connectError('evented', missing);
    assert.equal(evented.code, 'ENOENT');
    assert.deepEqual(await connectError('blocking', missing), evented);
    // bound, never listening: what a daemon killed before listen() leaves
    const dead = join(dir, 'dead.sock');
    const py = spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', dead]);
    assert.equal(py.status, 0, String(py.stderr));
    const refused = await connectError('evented', dead);
    assert.equal(refused.code, 'ECONNREFUSED');
    assert.deepEqual(await connectError('blocking', dead), refused);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
