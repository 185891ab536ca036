// The JSON answers tsv's ctl asks a tsv daemon for (src/rpc/json-answer.ts):
// whenever the daemon answers JSON, the value must be exactly the one the XML
// answer decodes to; whenever JSON could differ it must answer XML; and every
// client that does not ask (supervisorctl, scripts) keeps getting XML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RpcHttpServer } from '../src/rpc/http';
import { acceptsJsonAnswer, decodeJsonAnswer, encodeJsonAnswer, JSON_ANSWER_TYPE, ACCEPT_JSON_OR_XML } from '../src/rpc/json-answer';
import { encodeOutcome, RpcDispatcher, type RpcOutcome } from '../src/rpc/server';
import { decodeMethodResponse, XmlRpcDateTime, type MethodResponse, type XmlRpcValue } from '../src/rpc/xmlrpc';
import { ProcessState } from '../src/daemon/states';
import { makeRng, pick } from './helpers/common';
import { TempDir, engineApi, load, startEngine, waitState, writeConf, type TestEngine } from './helpers/daemon-env';
import { post, rawRequest, rpcBody, type Target } from './helpers/raw-http';

/** What the ctl would get from the XML answer (it decodes with control characters allowed). */
function viaXml(o: RpcOutcome): MethodResponse | Error {
  try {
    return decodeMethodResponse(encodeOutcome(o, 'as-python'), { allowControlChars: true });
  } catch (e) {
    return e as Error;
  }
}

test('Accept: only a client that names the JSON type gets JSON', () => {
  assert.equal(acceptsJsonAnswer(undefined), false);
  assert.equal(acceptsJsonAnswer('text/xml'), false);
  assert.equal(acceptsJsonAnswer('*/*'), false);
  assert.equal(acceptsJsonAnswer('application/json'), false);
  assert.equal(acceptsJsonAnswer(`${JSON_ANSWER_TYPE}x`), false);
  assert.equal(acceptsJsonAnswer(ACCEPT_JSON_OR_XML), true);
  assert.equal(acceptsJsonAnswer(`text/xml;q=0.5, ${JSON_ANSWER_TYPE};q=1`), true);
  assert.equal(acceptsJsonAnswer(JSON_ANSWER_TYPE.toUpperCase()), false, 'the cheap pre-check is case-sensitive; tsv sends lower case');
});

// Characters that XML changes (CR), refuses (C0 controls, U+FFFE, lone
// surrogates) or carries unchanged (everything else, astral characters too).
const PIECES = ['a', 'Z', ' ', '\t', '\n', '\r', '\r\n', '\x00', '\x07', '\x1b[31m', '\x7f', '\x85', '&', '<', '>', ']]>', 'é', '€', '😀', '\ud800', '\udc00', '\ufffe', '\uffff', '"', "'", '\\', '\u2028'];

function randomString(rng: () => number): string {
  let s = '';
  const n = Math.floor(rng() * 6);
  for (let i = 0; i < n; i++) s += pick(rng, PIECES);
  return s;
}

function randomValue(rng: () => number, depth: number): XmlRpcValue {
  const r = rng();
  if (depth < 3 && r < 0.15) return Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(rng, depth + 1));
  if (depth < 3 && r < 0.3) {
    const o: Record<string, XmlRpcValue> = {};
    for (let i = Math.floor(rng() * 4); i > 0; i--) o[rng() < 0.8 ? `k${Math.floor(rng() * 5)}` : randomString(rng)] = randomValue(rng, depth + 1);
    return o;
  }
  if (r < 0.55) return randomString(rng);
  if (r < 0.7) return pick(rng, [0, 1, -1, 2147483647, -2147483648, 2147483648, -2147483649, 1e12, 1700000000123]);
  if (r < 0.8) return pick(rng, [0.5, -1.25, 1e-7, 1e21, NaN, Infinity, -Infinity, 3.141592653589793]);
  if (r < 0.9) return rng() < 0.5;
  return rng() < 0.5 ? new Uint8Array([0, 1, 255]) : new XmlRpcDateTime('20261122T07:00:00');
}

test('a JSON answer decodes to exactly what the XML answer decodes to (5,000 generated values and faults)', () => {
  const rng = makeRng(20261122);
  let json = 0;
  for (let i = 0; i < 5000; i++) {
    const o: RpcOutcome = rng() < 0.1 ? { kind: 'fault', code: pick(rng, [10, 70, 2 ** 31]), text: randomString(rng) } : { kind: 'result', value: randomValue(rng, 0) };
    const body = encodeJsonAnswer(o);
    if (body === null) continue;
    json++;
    const fromJson = decodeJsonAnswer(Buffer.from(body, 'utf8'), 1 << 20);
    const fromXml = viaXml(o);
    assert.ok(!(fromXml instanceof Error), `JSON answered where XML fails (${String(fromXml)}): ${body}`);
    if (fromJson.kind === 'fault' && fromXml.kind === 'fault') {
      assert.deepEqual([fromJson.fault.faultCode, fromJson.fault.faultString], [fromXml.fault.faultCode, fromXml.fault.faultString]);
    } else {
      assert.deepEqual(fromJson, fromXml, body);
    }
  }
  // The test must see both kinds: plenty of values can go as JSON, plenty cannot.
  assert.ok(json > 1000 && json < 4500, `${json} of 5000 as JSON`);
});

test('what cannot go as JSON goes as XML', () => {
  const values: XmlRpcValue[] = ['a\r\nb', 'colour \x1b[31m', 'lone \ud800', '\uffff', 2 ** 31, NaN, new Uint8Array([1]), new XmlRpcDateTime('20260101T00:00:00'), [{ x: 'ok' }, { y: 'a\rb' }], { ['k\r']: 1 }];
  for (const value of values) {
    assert.equal(encodeJsonAnswer({ kind: 'result', value }), null, JSON.stringify(String(value)));
  }
  assert.equal(encodeJsonAnswer({ kind: 'error', error: new Error('x') }), null);
  const info = { name: 'web', group: 'web', start: 1763794800, stop: 0, now: 1763794801, state: 20, statename: 'RUNNING', spawnerr: '', exitstatus: 0, logfile: '/var/log/é.log', stdout_logfile: '/l', stderr_logfile: '', pid: 42, description: 'pid 42, uptime 0:00:01' };
  assert.notEqual(encodeJsonAnswer({ kind: 'result', value: [info, info] }), null);
});

test('a broken JSON answer is a parse error, never a value', () => {
  for (const bad of ['', '{', '[]', 'null', '{"result":null}', '{"fault":{"faultCode":"1","faultString":"x"}}', '{"other":1}']) {
    assert.throws(() => decodeJsonAnswer(Buffer.from(bad), 1000), { name: 'XmlRpcParseError' }, bad);
  }
  assert.throws(() => decodeJsonAnswer(Buffer.from('{"result":1}'), 5), { name: 'XmlRpcParseError' });
});

// ---- a live server: an engine with real programs, its HTTP on a unix socket

let dir: TempDir;
let te: TestEngine;
let listener: Server;
let server: RpcHttpServer;
let target: Target;

before(async () => {
  dir = new TempDir('tsv-rpc-json-');
  writeFileSync(dir.join('log-with-cr'), 'line one\r\ncolour \x1b[31mred\x1b[0m\n');
  const conf = writeConf(
    dir,
    `
[program:a]
command=/bin/sleep 100000
startsecs=0
[program:b]
command=/bin/sleep 100000
startsecs=0
stdout_logfile=${dir.join('log-with-cr')}
stdout_logfile_maxbytes=0
`,
  );
  te = startEngine(load(conf));
  const api = engineApi(te, conf);
  await waitState(te.engine, 'a', ProcessState.RUNNING);
  await waitState(te.engine, 'b', ProcessState.RUNNING);
  server = new RpcHttpServer({ dispatcher: new RpcDispatcher(api, null), api, logger: null, credentials: null });
  const path = dir.join('rpc.sock');
  listener = createServer((sock: Socket) => server.accept(sock));
  await new Promise<void>((r) => listener.listen(path, r));
  target = { path };
});

after(async () => {
  server.close();
  listener.close();
  await te.close();
  dir.cleanup();
});

async function ask(method: string, params: string, accept: string | null): Promise<{ type: string; value: MethodResponse }> {
  const headers: Record<string, string> = accept === null ? {} : { Accept: accept };
  const r = await rawRequest(target, post(rpcBody(method, params), headers));
  assert.equal(r.status, 200);
  const type = /^Content-Type: ([^\r\n;]+)/im.exec(r.head)?.[1] ?? '';
  const body = Buffer.from(r.body, 'latin1');
  return { type, value: type === JSON_ANSWER_TYPE ? decodeJsonAnswer(body, 1 << 24) : decodeMethodResponse(body, { allowControlChars: true }) };
}

test('the daemon answers JSON only when asked, with the same values as its XML', async () => {
  const param = (s: string): string => `<param><value><string>${s}</string></value></param>`;
  for (const [method, params] of [
    ['supervisor.getAllProcessInfo', ''],
    ['supervisor.getProcessInfo', param('a')],
    ['supervisor.getState', ''],
    ['supervisor.getProcessInfo', param('nosuch')], // a fault
    ['system.listMethods', ''],
  ] as const) {
    const xml = await ask(method, params, null);
    assert.equal(xml.type, 'text/xml', `${method} without Accept`);
    assert.equal((await ask(method, params, 'text/xml')).type, 'text/xml', `${method} Accept: text/xml`);
    const json = await ask(method, params, ACCEPT_JSON_OR_XML);
    assert.equal(json.type, JSON_ANSWER_TYPE, method);
    // Only "now" may move between the two calls.
    const strip = (m: MethodResponse): unknown => JSON.parse(JSON.stringify(m, (k, v: unknown) => (k === 'now' ? 0 : k === 'description' ? String(v).replace(/uptime \S+/, '') : v)));
    assert.deepEqual(strip(json.value), strip(xml.value), method);
  }
  // A log with CR and colour codes: XML even when JSON is asked for, and the ctl reads it as before.
  const log = await ask('supervisor.readProcessStdoutLog', '<param><value><string>b</string></value></param><param><value><int>0</int></value></param><param><value><int>0</int></value></param>', ACCEPT_JSON_OR_XML);
  assert.equal(log.type, 'text/xml');
  assert.deepEqual(log.value, { kind: 'result', value: 'line one\ncolour \x1b[31mred\x1b[0m\n' });
});
