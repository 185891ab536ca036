// 10,000 malformed or hostile requests against tsv's daemon (broken XML,
// entity bombs, DTDs, deep nesting, huge bodies, wrong types, unknown
// methods, bad auth, bad HTTP) while connections stall half-way and a
// well-formed client keeps calling: the daemon must answer every hostile
// request with the right status, never crash, keep its memory bounded, and
// give the well-formed client correct answers throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { XmlRpcValue } from '../src/rpc/xmlrpc';
import { RpcClient } from '../src/rpc/client';
import { connect, post, rawRequest, rpcBody, type Target } from './helpers/raw-http';
import { settled, startDaemon, type Daemon } from './helpers/rpc-daemons';
import { makeRng } from './helpers/common';

const TOTAL = 10_000;
const CONCURRENCY = 16;
const STALLED = 600;

let d: Daemon;
let port: number;
let unix: Target;
let inet: Target;

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

before(async () => {
  port = await freePort();
  const programs = `
[inet_http_server]
port=127.0.0.1:${port}
username=user
password={SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4

[program:sleeper]
command=/bin/sleep 100000
startsecs=0
numprocs=5
process_name=%(program_name)s_%(process_num)d

[program:talker]
command=/bin/sh -c "echo hello; exec /bin/sleep 100000"
startsecs=0
`;
  d = await startDaemon('tsv', programs);
  await settled(d);
  unix = { path: d.sock };
  inet = { host: '127.0.0.1', port };
});

after(async () => {
  await d?.stop();
});

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

interface Case {
  kind: string;
  target: Target;
  data: Buffer | (string | Buffer)[];
  ok: (status: number | null, body: string) => boolean;
}

const VALID = rpcBody('supervisor.getState');
const BASIC = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const is = (...codes: (number | null)[]) => (s: number | null): boolean => codes.includes(s);
const fault = (code: number) => (s: number | null, body: string): boolean =>
  s === 200 && body.includes(`<name>faultCode</name>\n<value><int>${code}</int>`);

function nested(depth: number): string {
  return '<value><array><data>'.repeat(depth) + '<value><int>1</int></value>' + '</data></array></value>'.repeat(depth);
}

const BOMB = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<methodCall><methodName>&lol9;</methodName></methodCall>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<methodCall><methodName>supervisor.getProcessInfo</methodName><params><param><value><string>&xxe;</string></value></param></params></methodCall>`;

const WRONG_TYPES: [string, string][] = [
  ['supervisor.getProcessInfo', '<param><value><int>123</int></value></param>'],
  ['supervisor.getProcessInfo', '<param><value><array><data/></array></value></param>'],
  ['supervisor.readLog', '<param><value><string>x</string></value></param><param><value><int>0</int></value></param>'],
  ['supervisor.readLog', '<param><value><double>nan</double></value></param><param><value><int>0</int></value></param>'],
  ['supervisor.startProcessGroup', '<param><value><struct/></value></param>'],
  ['supervisor.signalProcess', '<param><value>sleeper:sleeper_0</value></param><param><value><array><data/></array></value></param>'],
  ['supervisor.sendProcessStdin', '<param><value>talker</value></param><param><value><int>5</int></value></param>'],
  ['system.multicall', '<param><value><string>abc</string></value></param>'],
  ['system.multicall', '<param><value><array><data><value><int>5</int></value></data></array></value></param>'],
  ['system.methodHelp', '<param><value><dateTime.iso8601>20200101T00:00:00</dateTime.iso8601></value></param>'],
  ['supervisor.tailProcessStdoutLog', '<param><value>talker</value></param><param><value><boolean>1</boolean></value></param><param><value><base64>MTA=</base64></value></param>'],
  ['supervisor.addProcessGroup', '<param><value><struct><member><name>__proto__</name><value>x</value></member></struct></value></param>'],
];

const UNKNOWN = ['nosuch', 'a.b.c', 'supervisor._update', 'supervisor.__proto__', 'supervisor.constructor', 'system.namespaces', '__proto__.toString', 'supervisor.hasOwnProperty', '.', 'supervisor.'];

function makeCase(i: number, rnd: () => number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  switch (i % 20) {
    case 0: {
      // valid body cut short
      const cut = Math.floor(rnd() * (VALID.length - 1));
      return { kind: 'truncated xml', target: unix, data: post(VALID.slice(0, cut)), ok: is(400) };
    }
    case 1: {
      // random bytes as the body
      const b = Buffer.alloc(1 + Math.floor(rnd() * 300));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rnd() * 256);
      return { kind: 'random body', target: unix, data: post(b), ok: is(400) };
    }
    case 2:
      return { kind: 'entity bomb', target: unix, data: post(BOMB), ok: is(400) };
    case 3:
      return { kind: 'external entity', target: unix, data: post(XXE), ok: is(400) };
    case 4: {
      const depth = 100 + Math.floor(rnd() * 20000);
      return { kind: 'deep nesting', target: unix, data: post(rpcBody('supervisor.getState', `<param>${nested(depth)}</param>`)), ok: is(400) };
    }
    case 5:
      return {
        kind: 'declared huge body',
        target: unix,
        data: [post('', { 'Content-Length': String(1e9) }), Buffer.alloc(4096, 0x3c)],
        ok: is(413),
      };
    case 6: {
      const [m, p] = pick(WRONG_TYPES);
      return { kind: 'wrong types', target: unix, data: post(rpcBody(m, p)), ok: (s, body) => s === 200 && body.includes('<methodResponse>') };
    }
    case 7:
      return { kind: 'unknown method', target: unix, data: post(rpcBody(pick(UNKNOWN))), ok: fault(1) };
    case 8: {
      const auth = pick(['', BASIC('user', 'wrong'), BASIC('nobody', 'secret'), 'Basic !!!', 'Digest x', 'Basic', BASIC('user', '')]);
      return { kind: 'bad auth', target: inet, data: post(VALID, { Authorization: auth }), ok: is(401) };
    }
    case 9:
      return {
        kind: 'no content-length',
        target: unix,
        data: Buffer.from(`POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`),
        ok: is(411),
      };
    case 10:
      return { kind: 'GET /RPC2', target: unix, data: Buffer.from('GET /RPC2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), ok: is(400) };
    case 11: {
      const b = Buffer.alloc(1 + Math.floor(rnd() * 200));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rnd() * 256);
      return { kind: 'garbage http', target: unix, data: Buffer.concat([b, Buffer.from('\r\n\r\n')]), ok: is(400, null) };
    }
    case 12:
      return { kind: 'invalid utf-8', target: unix, data: post(Buffer.concat([Buffer.from(VALID.slice(0, 60)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(VALID.slice(60))])), ok: is(400) };
    case 13:
      // nil is read as supervisord reads it (Python's None, false here), and is no name: a fault (supervisord: 500)
      return { kind: 'nil', target: unix, data: post(rpcBody('supervisor.getProcessInfo', '<param><value><nil/></value></param>')), ok: is(200) };
    case 14:
      return { kind: 'huge int', target: unix, data: post(rpcBody('supervisor.readLog', '<param><value><int>99999999999999999999999</int></value></param><param><value><int>0</int></value></param>')), ok: is(400) };
    case 15:
      return { kind: 'unknown path', target: unix, data: Buffer.from(`GET /${pick(['x', 'index.htm', 'logtail', 'logtail/nosuch', 'logtail/talker/stdin', 'RPC2/../etc', 'ok.htmlx'])} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), ok: is(400, 404) };
    case 16:
      return { kind: 'header flood', target: unix, data: Buffer.from(`POST /RPC2 HTTP/1.1\r\n${`X-A: ${'b'.repeat(100)}\r\n`.repeat(1000)}\r\n`), ok: is(400, 431, null) };
    case 17: {
      const calls = '<value><struct><member><name>methodName</name><value>supervisor.getPID</value></member></struct></value>'.repeat(2000);
      return { kind: 'multicall flood', target: unix, data: post(rpcBody('system.multicall', `<param><value><array><data>${calls}</data></array></value></param>`)), ok: (s, body) => s === 200 && !body.includes('faultCode') };
    }
    case 18:
      return { kind: 'bad content-length', target: unix, data: Buffer.from(`POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: ${pick(['-1', 'abc', '1e3', '99999999999999999999'])}\r\nConnection: close\r\n\r\n`), ok: is(400, 413) };
    default: {
      // a real 5 MB body now and then, a recursive or huge-struct call otherwise
      if (i % 400 === 19) return { kind: 'actual huge body', target: unix, data: post(Buffer.alloc(5 * 1024 * 1024, 0x61)), ok: is(413, null) };
      const members = '<member><name>k</name><value><int>1</int></value></member>'.repeat(20000);
      return {
        kind: 'wide struct',
        target: unix,
        data: post(rpcBody('supervisor.sendRemoteCommEvent', `<param><value><struct>${members}</struct></value></param><param><value>x</value></param>`)),
        ok: (s, body) => s === 200 && body.includes('<boolean>1</boolean>'),
      };
    }
  }
}

test('10,000 hostile requests: right answers, no crash, bounded memory, a well-formed client served throughout', { timeout: 600_000 }, async () => {
  const pid = (await d.rpc.call('supervisor.getPID')) as number;
  const baseRss = rss(pid);
  const baseFds = openFds(pid);
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rss(pid))), 100);

  // connections that stall half-way through a request
  const stalled: Socket[] = [];
  for (let i = 0; i < STALLED; i++) {
    const s = connect(i % 2 ? unix : inet);
    s.on('error', () => {});
    s.write(i % 3 === 0 ? 'POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<?xml' : 'POST /RPC2 HTTP/1.1\r\nHost: x\r\n');
    stalled.push(s);
  }

  // the well-formed client, calling all the time
  const good = new RpcClient({ serverurl: `unix://${d.sock}` });
  const goodInet = new RpcClient({ serverurl: `http://127.0.0.1:${port}`, username: 'user', password: 'secret' });
  let goodCalls = 0;
  const goodErrors: string[] = [];
  let flooding = true;
  const wellFormed = (async () => {
    while (flooding) {
      try {
        const client = goodCalls % 2 ? goodInet : good;
        assert.equal(await client.call('supervisor.getPID'), pid);
        const infos = (await client.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
        assert.deepEqual(
          infos.map((x) => `${x.group}:${x.name}:${x.statename}`),
          [0, 1, 2, 3, 4].map((n) => `sleeper:sleeper_${n}:RUNNING`).concat('talker:talker:RUNNING'),
        );
        const multi = await client.call('system.multicall', [[{ methodName: 'supervisor.getAPIVersion' }, { methodName: 'nosuch' }]]);
        assert.deepEqual(multi, ['3.0', { faultCode: 1, faultString: 'UNKNOWN_METHOD' }]);
        const tail = (await client.call('supervisor.tailProcessStdoutLog', ['talker', 0, 100])) as XmlRpcValue[];
        assert.equal(tail[0], 'hello\n');
        goodCalls += 4;
      } catch (e) {
        goodErrors.push(String(e));
        if (goodErrors.length > 20) break;
      }
    }
  })();

  // the flood
  const rnd = makeRng(20261122);
  const cases = Array.from({ length: TOTAL }, (_, i) => makeCase(i, rnd));
  const wrong: string[] = [];
  const byKind = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        const r = await rawRequest(c.target, c.data);
        byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
        if (!c.ok(r.status, r.body)) wrong.push(`${c.kind}: got ${r.status} ${r.body.slice(0, 200)}`);
      }
    }),
  );
  flooding = false;
  await wellFormed;
  clearInterval(sampler);
  for (const s of stalled) s.destroy();
  good.close();
  goodInet.close();

  const peakMb = (peakRss / 2 ** 20).toFixed(1);
  const baseMb = (baseRss / 2 ** 20).toFixed(1);
  process.stdout.write(`# hostile requests: ${TOTAL} (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})\n`);
  process.stdout.write(`# stalled connections: ${STALLED}; well-formed calls answered: ${goodCalls}\n`);
  process.stdout.write(`# daemon RSS: ${baseMb} MB before, ${peakMb} MB peak\n`);

  const wrongKinds = new Map<string, number>();
  for (const w of wrong) wrongKinds.set(w.split(':')[0] as string, (wrongKinds.get(w.split(':')[0] as string) ?? 0) + 1);
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} wrong answers: ${[...wrongKinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.deepEqual(goodErrors, []);
  assert.ok(goodCalls >= 40, `only ${goodCalls} well-formed calls were answered`);
  // still alive and serving
  assert.equal(d.child.exitCode, null);
  assert.deepEqual(await d.rpc.call('supervisor.getState'), { statecode: 1, statename: 'RUNNING' });
  assert.ok(peakRss < baseRss + 200 * 2 ** 20, `RSS grew from ${baseMb} MB to ${peakMb} MB`);
  // every connection released (stalled and hostile ones included)
  const deadline = Date.now() + 5000;
  while (openFds(pid) > baseFds + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(openFds(pid) <= baseFds + 5, `fds: ${baseFds} before, ${openFds(pid)} after`);
  assert.doesNotMatch(d.output(), /TypeError|RangeError|ReferenceError|Uncaught|FATAL ERROR/);
});
