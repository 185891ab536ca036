// The HTTP layer on its own (in-process engine, real sockets, small limits):
// status codes and pages, keep-alive and pipelining, Basic auth, request
// deadlines and the connection cap, waits that block only their own client,
// and tail -f following appends, rotation and truncation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { EngineApi } from '../src/daemon/api';
import { RpcClient } from '../src/rpc/client';
import { RpcHttpServer, authorized } from '../src/rpc/http';
import { RpcDispatcher } from '../src/rpc/server';
import { TempDir, engineApi, load, startEngine, waitState, withTimeout, writeConf, type TestEngine } from './helpers/daemon-env';
import { connect, post, rawRequest, rpcBody, type Target } from './helpers/raw-http';
import { ProcessState } from '../src/daemon/states';

const BODY = `
[program:sleeper]
command=/bin/sleep 100000
startsecs=0
stdout_logfile=%(here)s/sleeper.log

[program:slow]
command=/bin/sleep 100000
startsecs=2
autostart=false

[program:nolog]
command=/bin/sleep 100000
autostart=false
stdout_logfile=NONE
stderr_logfile=%(here)s/nolog.err

[program:never]
command=/bin/sleep 100000
autostart=false
`;

let dir: TempDir;
let te: TestEngine;
let api: EngineApi;
const listeners: Server[] = [];
const httpServers: RpcHttpServer[] = [];
let open: Target;
let authed: Target;
let authedPlain: Target;
let tiny: Target;
let tinyServer: RpcHttpServer;
let streamy: Target;
let sweepy: Target;

async function serve(name: string, opts: Partial<ConstructorParameters<typeof RpcHttpServer>[0]> = {}): Promise<[Target, RpcHttpServer]> {
  const s = new RpcHttpServer({ dispatcher: new RpcDispatcher(api, null), api, logger: null, credentials: null, ...opts });
  const path = dir.join(`${name}.sock`);
  const l = createServer((sock: Socket) => s.accept(sock));
  await new Promise<void>((r) => l.listen(path, r));
  listeners.push(l);
  httpServers.push(s);
  return [{ path }, s];
}

before(async () => {
  dir = new TempDir('tsv-rpc-http-');
  const conf = writeConf(dir, BODY.replace(/%\(here\)s/g, dir.path));
  te = startEngine(load(conf));
  api = engineApi(te, conf);
  await waitState(te.engine, 'sleeper', ProcessState.RUNNING);
  [open] = await serve('open');
  const sha = createHash('sha1').update('secret').digest('hex');
  [authed] = await serve('authed', { credentials: { username: 'user', password: `{SHA}${sha}` } });
  [authedPlain] = await serve('plain', { credentials: { username: 'user', password: 'secret' } });
  [tiny, tinyServer] = await serve('tiny', { limits: { requestTimeout: 300, maxConnections: 4, maxBody: 1000, maxBuffered: 1500 }, logger: te.engine.logger, label: 'tiny.sock' });
  [streamy] = await serve('streamy', { limits: { maxConnections: 2, maxStreams: 3 } });
  [sweepy] = await serve('sweepy', { limits: { idleTimeout: 100, zombieSweepEvery: 3 } });
});

after(async () => {
  for (const s of httpServers) s.close();
  for (const l of listeners) l.close();
  await te.close();
  dir.cleanup();
});

const getReq = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`;

test('status codes and pages as medusa sends them', async () => {
  const ok = await rawRequest(open, getReq('/ok.html'));
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'OK');
  assert.match(ok.head, /Content-Type: text\/plain/);
  const nf = await rawRequest(open, getReq('/nothing.html'));
  assert.equal(nf.status, 404);
  assert.match(nf.body, /<p>Error code 404\.\r\n<p>Message: Not Found\./);
  // medusa's file handler: 404 for GET and HEAD, 400 for other methods
  assert.equal((await rawRequest(open, 'HEAD /nothing.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 404);
  assert.equal((await rawRequest(open, 'PUT /nothing.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')).status, 400);
  assert.equal((await rawRequest(open, 'OPTIONS / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 400);
  assert.equal((await rawRequest(open, getReq('/RPC2'))).status, 400);
  assert.equal((await rawRequest(open, 'POST /ok.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')).status, 411);
  assert.equal((await rawRequest(open, post('', { 'Content-Length': '', 'Transfer-Encoding': 'chunked' }))).status, 411);
  const big = await rawRequest(tiny, post('x'.repeat(1001)));
  assert.match(big.head, /^HTTP\/1\.1 413 Request Entity Too Large\r\n/);
  assert.match(big.body, /<p>Message: Request Entity Too Large\./);
  assert.equal((await rawRequest(open, post('<methodCall>'))).status, 400);
  assert.equal((await rawRequest(open, post(rpcBody('')))).status, 400);
  const dtd = await rawRequest(open, post(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${rpcBody('supervisor.getPID').slice(22)}`));
  assert.equal(dtd.status, 400);
  // the main log says why, in Supervisor's words: a call with no <methodName> (Python's loads gives None) or an empty one has no method name
  const bodies = ['<?xml version="1.0"?><methodCall><params></params></methodCall>', '<?xml version="1.0"?><methodCall><methodName></methodName></methodCall>', '<methodCall>'];
  for (const b of bodies) assert.equal((await rawRequest(tiny, post(b))).status, 400, b);
  const why = readFileSync(api.mainLogfile() as string, 'utf8')
    .split('\n')
    .filter((l) => bodies.some((b) => l.includes(`XML-RPC request data '${b}' is invalid: `)))
    .map((l) => l.replace(/^.* is invalid: /, ''));
  assert.deepEqual(why, ['no method name', 'no method name', 'unmarshallable']);
  // any path under /RPC2, %-escapes decoded first
  const r = await rawRequest(open, Buffer.from(post(rpcBody('supervisor.getPID')).toString('latin1').replace('/RPC2', '/%52PC2/x?y=1'), 'latin1'));
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(`<int>${process.pid}</int>`));
  assert.match(r.head, /Content-Type: text\/xml/);
});

test('bodies held in memory at once are bounded: 503 beyond, room again once received', async () => {
  const held = connect(tiny);
  held.on('error', () => {});
  await new Promise<void>((r) => held.on('connect', () => r()));
  held.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<?xml');
  await new Promise((r) => setTimeout(r, 50));
  const busy = await rawRequest(tiny, post(rpcBody('supervisor.getPID') + ' '.repeat(600)));
  assert.equal(busy.status, 503);
  held.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await rawRequest(tiny, post(rpcBody('supervisor.getPID') + ' '.repeat(600)))).status, 200);
});

test('401 waits for the request body before it closes: a body written after the headers is not refused (supervisorctl -p wrong)', async () => {
  const body = rpcBody('supervisor.getPID');
  const head = `POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from('user:wrong').toString('base64')}\r\nContent-Length: ${body.length}\r\n\r\n`;
  const sock = connect(authed);
  let answer = '';
  sock.setEncoding('utf8').on('data', (c: string) => (answer += c));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  const written = (data: string): Promise<Error | null> => new Promise((r) => sock.write(data, (e) => r(e ?? null)));
  try {
    assert.equal(await written(head), null);
    await new Promise((r) => setTimeout(r, 300));
    // Python's http.client writes the body separately; a socket already closed makes that write fail with EPIPE
    assert.equal(answer, '', 'no answer before the body');
    assert.equal(await written(body), null);
    await withTimeout(closed, 10000, 'the 401 and the close');
    assert.match(answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(answer, /\r\nConnection: close\r\n/i);
  } finally {
    sock.destroy();
  }
});

test('an answer that closes before the body is in (413, 411) still reaches a client that goes on writing the body', async () => {
  // Python's http.client and curl write the body after the headers and read the answer
  // after that: a server that closed at once made their late write fail (EPIPE) unread
  const cases: [string, string, number][] = [
    ['POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n', '<'.repeat(5000), 413],
    ['POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', 411],
  ];
  for (const [head, body, status] of cases) {
    const sock = connect(tiny);
    let answer = '';
    let error: Error | null = null;
    sock.on('error', (e) => (error = e));
    sock.setEncoding('utf8');
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const written = (data: string): Promise<Error | null> => new Promise((r) => sock.write(data, (e) => r(e ?? null)));
    try {
      assert.equal(await written(head), null);
      // the answer is out and the server done with the request before the body is written
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await written(body), null, `${status}: the body's write`);
      sock.on('data', (c: string) => (answer += c));
      await withTimeout(closed, 10000, `the ${status} and the close`);
      assert.equal(error, null);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(answer, /\r\nConnection: close\r\n/i);
    } finally {
      sock.destroy();
    }
  }
  // a client that keeps its side open is let go after a while; a request that
  // follows the dropped body is not run
  const start = rpcBody('supervisor.startProcess', '<param><value><string>never</string></value></param><param><value><boolean>0</boolean></value></param>');
  for (const after of ['', post(start).toString('latin1')]) {
    const before = tinyServer.connectionCount;
    const sock = createConnection({ path: (tiny as { path: string }).path, allowHalfOpen: true });
    sock.on('error', () => {});
    let answer = '';
    const ended = new Promise<void>((r) => sock.once('end', () => r()));
    sock.setEncoding('utf8').on('data', (c: string) => (answer += c));
    sock.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    sock.write(`0\r\n\r\n${after}`);
    try {
      await withTimeout(ended, 10000, 'the 411');
      assert.match(answer, /^HTTP\/1\.1 411 /);
      assert.equal(answer.split('HTTP/1.1').length, 2, 'one answer');
      const t0 = performance.now();
      while (tinyServer.connectionCount > before && performance.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
      assert.ok(performance.now() - t0 < 5000, `the server held a half-open client for ${Math.round(performance.now() - t0)} ms`);
    } finally {
      sock.destroy();
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(api.engine.groups.get('never')?.processes.get('never')?.state, ProcessState.STOPPED);
});

test('a request followed by bytes that are not one (or by a request after Connection: close) gets its own answer, then the connection closes', async () => {
  const body = rpcBody('supervisor.getAPIVersion');
  const req = (version: string): string => `POST /RPC2 HTTP/${version}\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  for (const data of [req('1.0') + 'junk', req('1.0') + req('1.0'), req('1.1') + 'garbage\r\n\r\n']) {
    const r = await rawRequest(open, data);
    assert.equal(r.status, 200, JSON.stringify(data.slice(-20)));
    assert.match(r.body, /<string>3\.0<\/string>/);
    assert.doesNotMatch(r.body, /400 Bad Request/, 'one answer, not a 400 after it');
  }
  // on its own the junk still gets medusa's 400
  assert.equal((await rawRequest(open, 'junk\r\n\r\n')).status, 400);
});

/** How many `200 OK` answers a connection's bytes hold. */
const answered = (text: string): number => text.split('HTTP/1.1 200 OK').length - 1;

test('keep-alive (HTTP/1.1 and 1.0) and pipelined requests', async () => {
  const body = rpcBody('supervisor.getAPIVersion');
  const one = (version: string, conn: string): string =>
    `POST /RPC2 HTTP/${version}\r\nHost: x\r\nContent-Length: ${body.length}\r\n${conn ? `Connection: ${conn}\r\n` : ''}\r\n${body}`;
  // three pipelined requests on one connection, answered in order; the 1.0 one without keep-alive closes it
  const r = await rawRequest(open, one('1.1', '') + one('1.0', 'keep-alive') + one('1.0', ''));
  assert.equal(answered(r.head + '\r\n\r\n' + r.body), 3);
  assert.match(r.body, /Connection: keep-alive/i);
});

/** K pipelined sendRemoteCommEvent('pipe', i) requests, and for each one run, the turn of the loop it ran in. */
function turnsOfPipelined(k: number): { requests: Buffer; turns: number[]; stop: () => void } {
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const turns: number[] = [];
  const off = te.engine.events.on('remoteCommunication', (e) => {
    if (e.type === 'pipe') turns.push(turn);
  });
  const str = (v: string): string => `<param><value><string>${v}</string></value></param>`;
  // kept alive but the last, which closes the connection once answered
  const requests = Buffer.concat(
    Array.from({ length: k }, (_, i) => post(rpcBody('supervisor.sendRemoteCommEvent', str('pipe') + str(String(i))), i < k - 1 ? { Connection: '' } : {})),
  );
  return {
    requests,
    turns,
    stop: () => {
      ticking = false;
      off();
    },
  };
}

test('pipelined requests run one at a time, the loop turning between them, not at all once their client has gone, and all when it only half-closes', async () => {
  const k = 20;
  const run = turnsOfPipelined(k);
  try {
    const r = await rawRequest(open, run.requests);
    assert.equal(answered(r.head + '\r\n\r\n' + r.body), k, 'every request answered');
    assert.equal(run.turns.length, k);
    // node:http emits every request of a chunk at once; run there, all k shared one turn
    for (let i = 1; i < k; i++) assert.ok(run.turns[i]! > run.turns[i - 1]!, `request ${i} ran in a later turn than request ${i - 1}: ${run.turns.join(' ')}`);
  } finally {
    run.stop();
  }
  // a client that sends its requests and goes: what it left is not run
  const gone = turnsOfPipelined(k);
  try {
    const s = connect(open);
    s.on('error', () => {});
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.end(gone.requests);
    s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(gone.turns.length < k, `${gone.turns.length} of ${k} requests of a departed client ran`);
  } finally {
    gone.stop();
  }
  // one that shuts only its sending side (nc -N, socat) still reads: every request runs and is answered
  const half = turnsOfPipelined(k);
  try {
    const s = connect(open);
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', () => {});
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.end(half.requests);
    await withTimeout(new Promise<void>((r) => s.on('close', () => r())), 10000, 'the connection to close after the answers');
    assert.equal(answered(got), k, 'every request of a half-closed pipeline answered');
    assert.equal(half.turns.length, k);
  } finally {
    half.stop();
  }
});

test("an idle kept-alive connection is kept until a sweep at every Nth new connection finds it idle too long, as medusa's kill_zombies does", async () => {
  const body = rpcBody('supervisor.getAPIVersion');
  const kept = connect(sweepy);
  let closed = false;
  let got = '';
  kept.on('close', () => (closed = true));
  kept.on('error', () => {});
  kept.on('data', (d: Buffer) => (got += d.toString('latin1')));
  kept.write(`POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  await withTimeout(new Promise<void>((r) => kept.on('data', () => r())), 5000, 'the answer');
  assert.match(got, /^HTTP\/1\.1 200 OK/);
  // idle fifteen times idleTimeout (node:http's keep-alive timer, with its 1 s of slack, would have closed it): no
  // timer closes it (SupervisorTransport keeps one connection for hours)
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(closed, false);
  // the second new connection is the third accepted: the sweep closes the idle one, not the newcomers
  const others: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = connect(sweepy);
    s.on('error', () => {});
    await new Promise<void>((r) => s.on('connect', () => r()));
    others.push(s);
  }
  await withTimeout(new Promise<void>((r) => (closed ? r() : kept.on('close', () => r()))), 5000, 'the sweep');
  const r = await rawRequest(sweepy, post(rpcBody('supervisor.getAPIVersion')));
  assert.equal(r.status, 200);
  for (const s of others) s.destroy();
});

test('Basic auth: realm "default", {SHA} and plain passwords, 401 closes', async () => {
  const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const denied = await rawRequest(authed, post(rpcBody('supervisor.getPID'), { Connection: '' }));
  assert.equal(denied.status, 401);
  assert.match(denied.head, /WWW-Authenticate: Basic realm="default"/);
  assert.match(denied.head, /Connection: close/i);
  assert.equal((await rawRequest(authed, getReq('/ok.html'))).status, 401, 'everything is behind auth');
  assert.equal((await rawRequest(authed, getReq('/nothing'))).status, 401);
  for (const t of [authed, authedPlain]) {
    assert.equal((await rawRequest(t, post(rpcBody('supervisor.getPID'), { Authorization: basic('user', 'secret') }))).status, 200);
    assert.equal((await rawRequest(t, post(rpcBody('supervisor.getPID'), { Authorization: basic('user', 'wrong') }))).status, 401);
  }
  const client = new RpcClient({ serverurl: `unix://${(authed as { path: string }).path}`, username: 'user', password: 'secret' });
  try {
    assert.equal(await client.call('supervisor.getPID'), process.pid);
  } finally {
    client.close();
  }
  const creds = { username: 'user', password: 'secret' };
  assert.equal(authorized(basic('user', 'secret'), creds), true);
  assert.equal(authorized(`BASIC ${Buffer.from('user:secret').toString('base64')}`, creds), true);
  assert.equal(authorized(basic('user2', 'secret'), creds), false);
  assert.equal(authorized(basic('user', 'secret2'), creds), false);
  assert.equal(authorized(`Basic ${Buffer.from('usersecret').toString('base64')}`, creds), false);
  assert.equal(authorized('Digest abc', creds), false);
  assert.equal(authorized(undefined, creds), false);
  assert.equal(authorized(basic('user', 'pa:ss'), { username: 'user', password: 'pa:ss' }), true);
  // padding as Python's base64.decodebytes wants it (medusa answers 400 where it is short, tsv 401)
  const colon = { username: 'user', password: 'pa:ss' };
  assert.equal(Buffer.from('user:pa:ss').toString('base64'), 'dXNlcjpwYTpzcw==');
  for (const [b64, ok] of [['dXNlcjpwYTpzcw', false], ['dXNlcjpwYTpzcw=', false], ['dXNlcjpwYTpzcw===', true], ['dXNlcjpw YTpzcw==', true], ['dXNlcjpwYTpzcw==!!', true]] as const) {
    assert.equal(authorized(`Basic ${b64}`, colon), ok, b64);
  }
});

function closedWithin(t: Target, data: string, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(t);
    const t0 = performance.now();
    s.on('error', () => {});
    s.on('connect', () => s.write(data));
    s.on('close', () => resolve(performance.now() - t0));
    setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after ${ms} ms`));
    }, ms);
  });
}

test('a request must arrive within the deadline: stalled headers or body are dropped', async () => {
  const headersStalled = await closedWithin(tiny, 'POST /RPC2 HTTP/1.1\r\nHost: x\r\n', 3000);
  assert.ok(headersStalled >= 250, `closed after ${headersStalled} ms`);
  const bodyStalled = await closedWithin(tiny, 'POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<?xml', 3000);
  assert.ok(bodyStalled >= 250);
  // a trickle does not extend it
  const s = connect(tiny);
  s.on('error', () => {});
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  const trickle = setInterval(() => s.write('X'), 50);
  s.write('POST /RPC2 HTTP/1.1\r\nX-Slow: ');
  await withTimeout(closed, 3000, 'trickling connection to be closed');
  clearInterval(trickle);
});

test('the connection cap closes the longest-idle connection, never a busy one', async () => {
  const idle: Socket[] = [];
  const closedOrder: number[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(tiny);
    s.on('error', () => {});
    s.on('close', () => closedOrder.push(i));
    await new Promise<void>((r) => s.on('connect', () => r()));
    idle.push(s);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(tinyServer.connectionCount, 4);
  // a fifth client is served; the oldest idle connection made room
  const r = await rawRequest(tiny, post(rpcBody('supervisor.getPID')));
  assert.equal(r.status, 200);
  await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(closedOrder.slice(0, 1), [0]);
  // The main log says so once per spell at the cap: the answered client has gone (3 open), the
  // next one finds room and ends the spell, the two after it meet the cap again (one line).
  for (let i = 0; i < 3; i++) {
    const s = connect(tiny);
    s.on('error', () => {});
    await new Promise<void>((r) => s.on('connect', () => r()));
    idle.push(s);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(tinyServer.connectionCount, 4);
  const said = readFileSync(api.mainLogfile() as string, 'utf8').split('\n').filter((l) => l.includes('tiny.sock: '));
  assert.equal(said.length, 2, said.join('\n'));
  for (const line of said) assert.match(line, / WARN tiny\.sock: 4 connections open, the most kept \(log and event streams aside\): each new one closes the longest-idle until fewer are open$/);
  for (const s of idle) s.destroy();
});

test('the connection cap: a connection still sending its request\'s body counts as idle, so half-sent bodies cannot lock out other clients', async () => {
  const half: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(tiny);
    s.on('error', () => {});
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.write('POST /RPC2 HTTP/1.1\r\nContent-Length: 100\r\n\r\n<?xml');
    half.push(s);
  }
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(tinyServer.connectionCount, 4);
  // well inside the 300 ms request deadline that would drop them anyway
  const r = await rawRequest(tiny, post(rpcBody('supervisor.getPID')));
  assert.equal(r.status, 200);
  for (const s of half) s.destroy();
});

test('log and event streams have their own budget: many streams do not lock out requests, and beyond it 503', async () => {
  // answers that are not streams (404) take no place in the budget
  for (let i = 0; i < 5; i++) assert.equal((await rawRequest(streamy, getReq('/logtail/nosuch'))).status, 404);
  const streams = [await tailf('/logtail/sleeper', streamy), await tailf('/mainlogtail', streamy), await tailf('/events?follow=1', streamy)];
  for (const t of streams) assert.equal(t.res.statusCode, 200);
  // three streams open and maxConnections 2: requests are still served, one after another and two at once
  assert.equal((await rawRequest(streamy, post(rpcBody('supervisor.getPID')))).status, 200);
  const both = await Promise.all([rawRequest(streamy, post(rpcBody('supervisor.getPID'))), rawRequest(streamy, post(rpcBody('supervisor.getState')))]);
  assert.deepEqual(
    both.map((r) => r.status),
    [200, 200],
  );
  const fourth = await tailf('/logtail/sleeper', streamy);
  assert.equal(fourth.res.statusCode, 503, 'a fourth stream is over maxStreams');
  fourth.res.destroy();
  (streams.shift() as { res: IncomingMessage }).res.destroy();
  await new Promise((r) => setTimeout(r, 50));
  const again = await tailf('/logtail/sleeper', streamy);
  assert.equal(again.res.statusCode, 200, 'a closed stream gives its place back');
  for (const t of [...streams, again]) t.res.destroy();
});

test('a waiting start blocks only its own client', async () => {
  const a = new RpcClient({ serverurl: `unix://${(open as { path: string }).path}` });
  const b = new RpcClient({ serverurl: `unix://${(open as { path: string }).path}` });
  try {
    const t0 = performance.now();
    const waiting = a.call('supervisor.startProcess', ['slow']);
    let answered = 0;
    while (performance.now() - t0 < 1000) {
      assert.equal(await b.call('supervisor.getPID'), process.pid);
      answered++;
    }
    assert.equal(await waiting, true);
    assert.ok(performance.now() - t0 >= 2000, 'startProcess waited for startsecs');
    assert.ok(answered > 10, `only ${answered} calls answered during the wait`);
    assert.equal(await a.call('supervisor.stopProcess', ['slow']), true);
  } finally {
    a.close();
    b.close();
  }
});

function tailf(path: string, target: Target = open): Promise<{ res: IncomingMessage; text: () => string; waitFor: (re: RegExp) => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: (target as { path: string }).path, path, headers: { Host: 'localhost' }, agent: false }, (res) => {
      let text = '';
      const waiters: [RegExp, () => void][] = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        for (const w of waiters.slice()) if (w[0].test(text)) w[1]();
      });
      resolve({
        res,
        text: () => text,
        waitFor: (re) => (re.test(text) ? Promise.resolve() : withTimeout(new Promise<void>((r) => waiters.push([re, r])), 5000, `${re} in ${JSON.stringify(text)}`)),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('tail -f: last 1024 bytes, then appends, rotation and truncation', async () => {
  const log = dir.join('sleeper.log');
  writeFileSync(log, 'x'.repeat(2000) + 'END-OF-HEAD\n');
  const t = await tailf('/logtail/sleeper');
  assert.equal(t.res.statusCode, 200);
  assert.equal(t.res.headers['content-type'], 'text/plain;charset=utf-8');
  assert.equal(t.res.headers['x-accel-buffering'], 'no');
  assert.ok(t.res.headers['last-modified']);
  assert.equal(t.res.headers['transfer-encoding'], 'chunked');
  await t.waitFor(/END-OF-HEAD\n$/);
  assert.equal(t.text().length, 1024);
  appendFileSync(log, 'appended 1\n');
  await t.waitFor(/appended 1\n$/);
  // rotation: the name now points at a new file, which is sent from its start
  renameSync(log, `${log}.1`);
  writeFileSync(log, 'fresh file\n');
  await t.waitFor(/fresh file\n$/);
  // truncation in place, noticed even when the file is refilled past its old size at once
  truncateSync(log, 0);
  appendFileSync(log, 'after truncation\n');
  await t.waitFor(/fresh file\n==> File truncated <==\nafter truncation\n$/);
  truncateSync(log, 0);
  await t.waitFor(/==> File truncated <==\n$/);
  appendFileSync(log, 'more\n');
  await t.waitFor(/==> File truncated <==\nmore\n$/);
  t.res.destroy();
});

test('tail -f: 404 for unknown processes, channels and missing files, 500 for a path that is no file to read; GET only; /mainlogtail', async () => {
  assert.equal((await rawRequest(open, getReq('/logtail/nosuch'))).status, 404);
  assert.equal((await rawRequest(open, getReq('/logtail/sleeper/stdin'))).status, 404);
  assert.equal((await rawRequest(open, getReq('/logtail/nolog'))).status, 404, 'stdout_logfile=NONE');
  assert.equal((await rawRequest(open, getReq('/logtail/nolog/stderr'))).status, 404, 'a named log is created by the first start');
  // something at the log's path that is no file to read: 500 at once, as Supervisor's failed open() gives
  // (it was 200 and a stream that never sent a byte); a FIFO is never opened (openLog), so no wait for a writer
  const errPath = dir.join('nolog.err');
  mkdirSync(errPath);
  assert.equal((await rawRequest(open, getReq('/logtail/nolog/stderr'))).status, 500, 'a directory');
  rmdirSync(errPath);
  execFileSync('mkfifo', [errPath]);
  assert.equal((await rawRequest(open, getReq('/logtail/nolog/stderr'))).status, 500, 'a FIFO');
  unlinkSync(errPath);
  assert.equal((await rawRequest(open, getReq('/logtail/sleeper:*'))).status, 404);
  assert.equal((await rawRequest(open, getReq('/logtail'))).status, 404);
  assert.equal((await rawRequest(open, post('x').toString('latin1').replace('/RPC2', '/logtail/sleeper'))).status, 400);
  te.engine.logger.info('a line for mainlogtail');
  const t = await tailf('/mainlogtail');
  assert.equal(t.res.statusCode, 200);
  // a proxy must pass the stream on as it comes (docs/differences.md)
  assert.equal(t.res.headers['x-accel-buffering'], 'no');
  await t.waitFor(/a line for mainlogtail\n$/);
  te.engine.logger.info('and another');
  await t.waitFor(/and another\n$/);
  t.res.destroy();
});
