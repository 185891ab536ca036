// How the supervisor.* methods read their arguments, side by side with
// supervisord over raw XML-RPC (what a Go or JS client writes, which Python's
// xmlrpc.client cannot): `<nil/>` is Python's None, not False; a name and a
// log file are looked up before an offset, length or signal is converted;
// a tail longer than 2 GiB reads to the end of the file; `1_0` is Python's
// int. Status and body must be the same byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { post, rawRequest, rpcBody } from './helpers/raw-http';
import { settled, startPair, type Daemon } from './helpers/rpc-daemons';
import { PY, RECORDER, oracleSkip, readRecords, waitRecords } from './helpers/events-env';

let both: Daemon[] = [];

const PROGRAMS =
  "[program:a]\ncommand=/bin/sh -c 'echo hello; echo hello; echo hello; exec sleep 100000'\nstartsecs=0\n" +
  '[group:grp]\nprograms=g1\n[program:g1]\ncommand=/bin/sleep 100000\nstartsecs=0\n' +
  `[eventlistener:lis]\ncommand=${PY} ${RECORDER}\nevents=REMOTE_COMMUNICATION\nenvironment=REC_OUT="%(here)s/rec.jsonl"\n`;

before(async () => {
  if (oracleSkip) return;
  ({ both } = await startPair(PROGRAMS));
  for (const d of both) await settled(d);
});

after(async () => {
  await Promise.all(both.map((d) => d.stop()));
});

const v = (xml: string): string => `<param><value>${xml}</value></param>`;
const s = (text: string): string => v(`<string>${text}</string>`);
const NIL = v('<nil/>');

/** Each call's status and body from each daemon: [supervisord's, tsv's]. */
async function answers(calls: [string, string][]): Promise<string[][]> {
  const out: string[][] = [];
  for (const d of both) {
    const seen: string[] = [];
    for (const [method, params] of calls) {
      const r = await rawRequest({ path: d.sock }, post(rpcBody(method, params)));
      seen.push(`${method}(${params}) -> ${r.status} ${r.body}`);
    }
    out.push(seen);
  }
  return out;
}

test('<nil/> is None: a fault names no value, int() refuses it, a multicall entry without a methodName', { skip: oracleSkip }, async () => {
  const [ref, tsv] = await answers([
    ['supervisor.addProcessGroup', NIL],
    ['supervisor.removeProcessGroup', NIL],
    ['supervisor.startProcessGroup', NIL],
    ['supervisor.stopProcessGroup', NIL],
    ['supervisor.signalProcessGroup', NIL + s('HUP')],
    ['supervisor.sendProcessStdin', s('nosuch') + NIL],
    ['supervisor.readLog', NIL + v('<int>0</int>')],
    ['supervisor.readProcessStdoutLog', s('a') + v('<int>-3</int>') + NIL],
    ['supervisor.tailProcessStdoutLog', s('a') + v('<int>0</int>') + NIL],
    ['system.multicall', v('<array><data><value><struct><member><name>methodName</name><value><nil/></value></member></struct></value></data></array>')],
  ]);
  assert.deepEqual(tsv, ref);
  assert.match(tsv?.[0] ?? '', /BAD_NAME<\/string>/);
  assert.match(tsv?.[6] ?? '', /INCORRECT_PARAMETERS/);
});

test('<nil/> as a remote communication event: the listener gets None, as Python prints it', { skip: oracleSkip }, async () => {
  await answers([['supervisor.sendRemoteCommEvent', NIL + NIL]]);
  const got = await Promise.all(
    both.map((d) => waitRecords(`${d.dir}/rec.jsonl`, (r) => r.length > 0, `${d.kind}: the event`).then(() => readRecords(`${d.dir}/rec.jsonl`).map((r) => r.payload))),
  );
  assert.deepEqual(got[1], got[0]);
  assert.deepEqual(got[1], ['type:None\nNone']);
});

test('the name and the log file are looked up before an offset, length or signal is converted', { skip: oracleSkip }, async () => {
  const struct = v('<struct></struct>');
  const array = v('<array><data></data></array>');
  const [ref, tsv] = await answers([
    ['supervisor.readProcessStdoutLog', s('nosuch') + struct + v('<int>0</int>')],
    ['supervisor.readProcessStderrLog', s('nosuch') + s('') + v('<int>0</int>')],
    ['supervisor.tailProcessStdoutLog', s('nosuch') + v('<int>0</int>') + array],
    ['supervisor.tailProcessLog', s('nosuch') + s('') + v('<int>0</int>')],
    // no stderr log: NO_FILE, and a tail answers nothing, before the offset is looked at
    ['supervisor.readProcessStderrLog', s('a') + struct + v('<int>0</int>')],
    ['supervisor.tailProcessStderrLog', s('a') + struct + v('<int>0</int>')],
    ['supervisor.signalProcess', s('nosuch') + array],
    ['supervisor.signalProcessGroup', s('nosuch') + struct],
  ]);
  assert.deepEqual(tsv, ref);
  assert.match(tsv?.[0] ?? '', /BAD_NAME: nosuch/);
});

test('a tail of 2 GiB and more reads to the end of the log; 1_0 is an int', { skip: oracleSkip }, async () => {
  const [ref, tsv] = await answers([
    ['supervisor.tailProcessStdoutLog', s('a') + v('<int>0</int>') + v('<int>2147483648</int>')],
    ['supervisor.tailProcessStdoutLog', s('a') + v('<int>0</int>') + v('<int>4294967296</int>')],
    ['supervisor.tailProcessStdoutLog', s('a') + v('<int>0</int>') + v('<int>4294967306</int>')],
    ['supervisor.readProcessStdoutLog', s('a') + v('<int>1_0</int>') + v('<int>0</int>')],
  ]);
  assert.deepEqual(tsv, ref);
  assert.match(tsv?.[0] ?? '', /hello\nhello\nhello\n<\/string>.*<int>18<\/int>/s);
});
