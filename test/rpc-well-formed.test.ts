// Strings in XML-RPC answers. A log holding a colour code or a NUL makes
// supervisord's answer ill-formed XML (Python's xmlrpc writes control
// characters as they are), so supervisorctl's `tail` of any program that logs
// in colour fails with an ExpatError. tsv answers such clients with
// well-formed XML (docs/differences.md), and its own client, which reads
// control characters, still gets the bytes as they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PYTHON_CTL, TSV_CTL, clientEnv, runClient, startCtlFixture, type CtlFixture } from './helpers/ctl-oracle';
import { TSV_DAEMON } from './helpers/rpc-conformance';
import { decodeMethodResponse, encodeFault, encodeMethodResponse, wellFormedText, type XmlRpcValue } from '../src/rpc/xmlrpc';
import { makeRng, pick } from './helpers/common';

const skip = existsSync('/usr/bin/supervisord') ? false : 'Supervisor is not installed';
let sd: CtlFixture;
let tsv: CtlFixture;

// After the fixture's own `red plain` line: a NUL, a bell, an unfinished
// escape, a title (OSC) and a cursor move.
const MORE = 'a\x00b\x07c\n\x1b]0;title\x07\x1b[2Kdone \x1b\n';

async function withMoreLog(fx: CtlFixture): Promise<void> {
  const info = (await fx.rpc.call('supervisor.getProcessInfo', ['colors'])) as { stdout_logfile: string };
  appendFileSync(info.stdout_logfile, MORE);
}

before(async () => {
  if (skip) return;
  [sd, tsv] = await Promise.all([startCtlFixture(), startCtlFixture({ daemon: TSV_DAEMON })]);
  await Promise.all([withMoreLog(sd), withMoreLog(tsv)]);
});
after(async () => {
  await Promise.all([sd?.stop(), tsv?.stop()]);
});

test('supervisorctl tail of a log in colour: fails against supervisord, shows the text against tsv', { skip }, async () => {
  const oracle = await runClient(PYTHON_CTL, ['-c', sd.conf, 'tail', 'colors']);
  assert.equal(oracle.code, 1);
  assert.match(oracle.stdout, /ExpatError.*not well-formed/);
  const r = await runClient(PYTHON_CTL, ['-c', tsv.conf, 'tail', 'colors']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'red plain\na\u2400b\u2407c\ndone \u241b\n\n');
  assert.equal(r.code, 0);
});

test("tsv's own ctl still gets the bytes as they are, from either daemon", { skip }, async () => {
  for (const fx of [sd, tsv]) {
    const r = await runClient(TSV_CTL, ['-c', fx.conf, 'tail', 'colors']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `\x1b[31mred\x1b[0m plain\n${MORE}\n`);
  }
});

test("a strict Python client reads tsv's answers", { skip }, () => {
  const script = `
import sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
s = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=SupervisorTransport(None, None, 'unix://' + sys.argv[1]))
print(repr(s.supervisor.readProcessStdoutLog('colors', 0, 0)))
print(repr(s.supervisor.tailProcessStdoutLog('colors', 0, 1000)[0]))
`;
  const run = (sock: string): ReturnType<typeof spawnSync> =>
    spawnSync('/usr/bin/python3', ['-c', script, sock], { encoding: 'utf8', env: clientEnv(), timeout: 20000 });
  const oracle = run(sd.sock);
  assert.match(String(oracle.stderr), /ExpatError/);
  const r = run(tsv.sock);
  assert.equal(r.stderr, '');
  const text = "'red plain\\na\u2400b\u2407c\\ndone \u241b\\n'";
  assert.equal(r.stdout, `${text}\n${text}\n`);
});

test('wellFormedText: sequences removed, other controls as pictures', () => {
  assert.equal(wellFormedText('plain & <b>\t\r\n'), 'plain & <b>\t\r\n');
  assert.equal(wellFormedText('\x1b[1;31mred\x1b[0m \x1b[?25l\x1b[38;5;208mx'), 'red x');
  assert.equal(wellFormedText('\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\'), 'link');
  assert.equal(wellFormedText('cut \x1b[12'), 'cut \u241b[12');
  assert.equal(wellFormedText('\x00\x01\x08\x0b\x0c\x0e\x1f\x7f'), '\u2400\u2401\u2408\u240b\u240c\u240e\u241f\x7f');
  assert.equal(wellFormedText('\ufffe\uffff'), '\ufffd\ufffd');
});

const PIECES = ['a', ' ', '\t', '\n', '\r\n', '\x00', '\x07', '\x1b', '\x1b[31m', '\x1b[', '\x1b]0;t\x07', '\x7f', '&', '<', ']]>', 'é', '😀', '\ufffe', '\uffff'];

test('every well-formed answer parses strictly, to the text wellFormedText gives', () => {
  const rng = makeRng(7);
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let n = Math.floor(rng() * 8); n > 0; n--) s += pick(rng, PIECES);
    const value: XmlRpcValue = { [s]: [s, 1] };
    const expect = wellFormedText(s).replace(/\r\n/g, '\n');
    assert.deepEqual(decodeMethodResponse(encodeMethodResponse(value, 'well-formed')), { kind: 'result', value: { [expect]: [expect, 1] } }, JSON.stringify(s));
    const f = decodeMethodResponse(encodeFault(2, s, 'well-formed'));
    assert.equal(f.kind === 'fault' && f.fault.faultString, expect, JSON.stringify(s));
  }
});

test('the default stays as Python writes it (the lenient reader gets the bytes back)', () => {
  const s = '\x1b[31mred\x00';
  assert.throws(() => decodeMethodResponse(encodeMethodResponse(s)));
  assert.deepEqual(decodeMethodResponse(encodeMethodResponse(s), { allowControlChars: true }), { kind: 'result', value: s });
});
