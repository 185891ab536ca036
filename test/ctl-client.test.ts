// The XML-RPC client against the real supervisord: values, faults, HTTP
// errors, connection errors told apart, kept-alive connections, log streams.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Server } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RpcClient, RpcConnectionError, RpcHttpError, ServerUrlError, parseServerUrl } from '../src/rpc/client';
import { XmlRpcFault } from '../src/rpc/xmlrpc';
import { startCtlFixture } from './helpers/ctl-oracle';
import type { CtlFixture } from './helpers/ctl-oracle';

const skip = existsSync('/usr/bin/supervisord') ? false : 'Supervisor is not installed';
let fx: CtlFixture;

before(async () => {
  if (!skip) fx = await startCtlFixture();
});
after(async () => {
  await fx?.stop();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

test('server urls', () => {
  assert.deepEqual(parseServerUrl('unix:///run/x.sock'), { kind: 'unix', url: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
  assert.deepEqual(parseServerUrl('http://127.0.0.1:9001'), { kind: 'http', url: 'http://127.0.0.1:9001', host: '127.0.0.1', port: 9001 });
  assert.deepEqual(parseServerUrl('http://localhost'), { kind: 'http', url: 'http://localhost', host: 'localhost', port: 80 });
  assert.throws(() => parseServerUrl('ftp://x'), ServerUrlError);
  assert.throws(() => new RpcClient({ serverurl: 'localhost:9001' }), /Unknown protocol for serverurl localhost:9001/);
});

test('calls over the unix socket: values and faults', { skip }, async () => {
  const c = new RpcClient({ serverurl: `unix://${fx.sock}` });
  try {
    assert.equal(await c.call('supervisor.getVersion'), '3.0');
    assert.deepEqual(await c.call('supervisor.getState'), { statecode: 1, statename: 'RUNNING' });
    const info = (await c.call('supervisor.getProcessInfo', ['grp:a1'])) as Record<string, unknown>;
    assert.equal(info.group, 'grp');
    assert.equal(info.name, 'a1');
    const fault = await rejection(c.call('supervisor.getProcessInfo', ['nosuch']));
    assert.ok(fault instanceof XmlRpcFault);
    assert.equal(fault.faultCode, 10);
    assert.equal(fault.faultString, 'BAD_NAME: nosuch');
    const unknown = await rejection(c.call('supervisor.noSuchMethod'));
    assert.ok(unknown instanceof XmlRpcFault && unknown.faultCode === 1);
  } finally {
    c.close();
  }
});

test('log text with ANSI colours decodes (supervisorctl fails on it)', { skip }, async () => {
  const c = new RpcClient({ serverurl: `unix://${fx.sock}` });
  try {
    assert.equal(await c.call('supervisor.readProcessStdoutLog', ['colors', 0, 0]), '\x1b[31mred\x1b[0m plain\n');
  } finally {
    c.close();
  }
});

test('tcp with Basic auth: right, wrong and missing credentials', { skip }, async () => {
  const url = `http://127.0.0.1:${fx.port}`;
  const good = new RpcClient({ serverurl: url, username: 'user', password: 'secret' });
  const bad = new RpcClient({ serverurl: url, username: 'user', password: 'nope' });
  const none = new RpcClient({ serverurl: url });
  try {
    assert.equal(await good.call('supervisor.getVersion'), '3.0');
    for (const c of [bad, none]) {
      const err = await rejection(c.call('supervisor.getVersion'));
      assert.ok(err instanceof RpcHttpError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.reason, 'Unauthorized');
    }
  } finally {
    for (const c of [good, bad, none]) c.close();
  }
});

test('connection errors are told apart: ENOENT, ECONNREFUSED (unix and tcp)', { skip }, async () => {
  const cases: Array<[string, string]> = [
    [`unix://${join(fx.dir, 'missing.sock')}`, 'ENOENT'],
    [`unix://${fx.staleSock}`, 'ECONNREFUSED'],
    [`http://127.0.0.1:${fx.closedPort}`, 'ECONNREFUSED'],
    [`unix://${fx.conf}/x.sock`, 'ENOTDIR'],
  ];
  for (const [url, code] of cases) {
    const c = new RpcClient({ serverurl: url });
    const err = await rejection(c.call('supervisor.getVersion'));
    c.close();
    assert.ok(err instanceof RpcConnectionError, `${url}: ${String(err)}`);
    assert.equal(err.code, code, url);
  }
});

test('consecutive calls reuse one kept-alive connection', { skip }, async () => {
  // A counting relay in front of supervisord's socket.
  const relayPath = join(fx.dir, 'relay.sock');
  let connections = 0;
  const relay: Server = createServer((downstream) => {
    connections++;
    const upstream = connect(fx.sock);
    downstream.pipe(upstream).pipe(downstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
  });
  await new Promise<void>((r) => relay.listen(relayPath, r));
  const c = new RpcClient({ serverurl: `unix://${relayPath}` });
  try {
    for (let i = 0; i < 5; i++) assert.equal(await c.call('supervisor.getVersion'), '3.0');
    await c.call('supervisor.getAllProcessInfo');
    assert.equal(connections, 1);
  } finally {
    c.close();
    await new Promise((r) => relay.close(r));
  }
});

test('log streams: /logtail data, 404 for an unknown process, 401 without credentials', { skip }, async () => {
  const c = new RpcClient({ serverurl: `unix://${fx.sock}` });
  const res = await c.stream('/logtail/noisy/stdout');
  const first = await new Promise<string>((resolve) => {
    let got = '';
    res.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('out-line-1')) resolve(got);
    });
  });
  res.destroy();
  assert.match(first, /out-line-1\n/);
  const missing = await rejection(c.stream('/logtail/nosuch/stdout'));
  assert.ok(missing instanceof RpcHttpError && missing.status === 404, String(missing));
  c.close();
  const anon = new RpcClient({ serverurl: `http://127.0.0.1:${fx.port}` });
  const denied = await rejection(anon.stream('/mainlogtail'));
  assert.ok(denied instanceof RpcHttpError && denied.status === 401, String(denied));
  anon.close();
  const authed = new RpcClient({ serverurl: `http://127.0.0.1:${fx.port}`, username: 'user', password: 'secret' });
  const main = await authed.stream('/mainlogtail');
  assert.equal(main.statusCode, 200);
  main.destroy();
  authed.close();
});
