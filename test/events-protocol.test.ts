// The pieces of the event system that need no daemon, each checked against
// Supervisor's own code where it exists: the listener protocol (a seeded
// fuzz of output sequences run through PEventListenerDispatcher and through
// tsv's parser), payloads and envelopes (Python's events.py and
// EventListenerPool._eventEnvelope), type matching, the buffer and ticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListenerProtocol, pyIntBytes } from '../src/events/protocol';
import { ListenerState, listenerStateName, isA, matchCount } from '../src/events/types';
import { envelopeText, pyLen } from '../src/events/envelope';
import { processLogEvent, processStateEvent, splitPayload } from '../src/events/payload';
import { outputText } from '../src/log/output-text';
import { Deque } from '../src/events/deque';
import { TickClock, timeslice } from '../src/events/ticks';
import { EventListenerPool, type ListenerProcess } from '../src/events/pool';
import { MainLogger, type LogSink } from '../src/log/mainlog';
import { Level } from '../src/log/levels';
import { ProcessState } from '../src/daemon/states';
import { makeEvent } from '../src/events/payload';
import { makeRng, pick, repoRoot } from './helpers/common';

const PY = '/usr/bin/python3';
const haveSupervisorPy = existsSync(PY) && spawnSync(PY, ['-c', 'import supervisor.tests.base']).status === 0;
const skip = haveSupervisorPy ? false : 'needs /usr/bin/python3 with the supervisor package (apt-get install supervisor)';

type Step = { feed: string } | { send: string };
interface Outcome {
  log: string[];
  rejected: (string | null)[];
  state: string;
}

/** tsv's parser driven like the oracle drives Supervisor's dispatcher, logging the same lines. */
function runTsv(steps: Step[]): Outcome {
  const log: string[] = [];
  const rejected: (string | null)[] = [];
  let event: string | null = null;
  const p = new ListenerProtocol({
    changed: (from, to) => {
      log.push(`process1: ${listenerStateName(from)} -> ${listenerStateName(to)}`);
      if (to === ListenerState.UNKNOWN) {
        log.push(
          'process1: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol',
        );
      }
    },
    result: (ok) => log.push(ok ? 'process1: event was processed' : 'process1: event was rejected'),
    badResultLine: (line) => log.push(`process1: bad result line: '${outputText(line)}'`),
    reject: () => rejected.push(event),
    forgetEvent: () => {
      event = null;
    },
  });
  for (const s of steps) {
    if ('send' in s) {
      if (p.state === ListenerState.READY) {
        p.sent();
        event = s.send;
      }
    } else p.feed(Buffer.from(s.feed, 'latin1'));
  }
  return { log, rejected, state: listenerStateName(p.state) };
}

function runOracle(scenarios: Step[][]): Outcome[] {
  const r = spawnSync(PY, [join(repoRoot(), 'test/oracle/listener_protocol.py')], {
    input: JSON.stringify(scenarios),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

const PIECES = [
  'READY\n', 'READY\n', 'READY\n', 'RESULT 2\nOK', 'RESULT 2\nOK', 'RESULT 4\nFAIL', 'RESULT 2\nOKREADY\n', 'RESULT 0\n',
  'RESULT 2\r\nOK', 'RESULT  3 \nabc', 'RESULT +1_0\n0123456789', 'RESULT x\n', 'RESULT\n', 'RESULT 2\nO', 'K', 'READY', '\n',
  'READ', 'Y\nRESULT 2', '\nOK', 'garbage\n', 'XXXXXXX2\nOK', 'RESULT 1_\nx', 'RESULT 2\nok', '\xff\xfe\n', 'RESULT \xe9\n',
];

function scenario(rng: () => number): Step[] {
  const steps: Step[] = [];
  const n = 1 + Math.floor(rng() * 12);
  let ev = 0;
  for (let i = 0; i < n; i++) {
    if (rng() < 0.35) steps.push({ send: `e${ev++}` });
    // sometimes glue pieces together, sometimes split one
    let text = pick(rng, PIECES);
    if (rng() < 0.3) text += pick(rng, PIECES);
    if (rng() < 0.3 && text.length > 1) {
      const cut = 1 + Math.floor(rng() * (text.length - 1));
      steps.push({ feed: text.slice(0, cut) }, { feed: text.slice(cut) });
    } else steps.push({ feed: text });
  }
  return steps;
}

test('listener protocol: fixed cases match Supervisor', { skip }, () => {
  const cases: Step[][] = [
    [{ feed: 'READY\n' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT 2\nOKREADY\n' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT 4\nFAIL' }, { feed: 'READY\n' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT x\n' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT 0\n' }, { feed: 'READY\n' }],
    [{ feed: 'READY\n' }, { feed: 'spurious' }],
    [{ feed: 'hello!' }],
    [{ feed: 'READ' }, { feed: 'Y\n' }, { send: 'a' }, { feed: 'RESULT 2\n' }, { feed: 'O' }, { feed: 'K' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT 2\r\nOK' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'FOOBAR 2\nOK' }],
    [{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT \xe9\n' }],
  ];
  const want = runOracle(cases);
  cases.forEach((c, i) => assert.deepEqual(runTsv(c), want[i], JSON.stringify(c)));
});

test('listener protocol: 3,000 generated output sequences match Supervisor', { skip }, () => {
  const rng = makeRng(5);
  const cases = Array.from({ length: 3000 }, () => scenario(rng));
  const want = runOracle(cases);
  let differ = 0;
  cases.forEach((c, i) => {
    const got = runTsv(c);
    if (differ++ < 1 || JSON.stringify(got) !== JSON.stringify(want[i])) assert.deepEqual(got, want[i], JSON.stringify(c));
  });
});

test("listener protocol: tsv's bounds on broken listeners", () => {
  // a negative length is a bad result line (Supervisor recurses until the channel is closed)
  const neg = runTsv([{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT -1\nxyz' }]);
  assert.equal(neg.state, 'UNKNOWN');
  assert.deepEqual(neg.rejected, ['a']);
  // an endless result line is cut off at 64 KiB
  const long = runTsv([{ feed: 'READY\n' }, { send: 'a' }, { feed: 'x'.repeat(70 * 1024) }]);
  assert.equal(long.state, 'UNKNOWN');
  assert.deepEqual(long.rejected, ['a']);
  // a huge announced body is counted, not kept
  const big = runTsv([{ feed: 'READY\n' }, { send: 'a' }, { feed: 'RESULT 3000000\n' }, { feed: 'y'.repeat(3_000_000) }, { feed: 'READY\n' }]);
  assert.equal(big.state, 'READY');
  assert.deepEqual(big.rejected, ['a']);
  assert.equal(pyIntBytes(Buffer.from(' 1_0\r')), 10);
  assert.equal(pyIntBytes(Buffer.from('1__0')), null);
  assert.equal(pyIntBytes(Buffer.from('')), null);
});

/** Python: payloads of events built by Supervisor's own classes, and the envelope. */
function pythonPayloads(): string[] {
  const code = `
import json, sys
from supervisor import events
from supervisor.process import EventListenerPool
from supervisor.tests.base import DummyOptions, DummyPConfig, DummyProcess
class D: pass
opts = DummyOptions()
proc = DummyProcess(DummyPConfig(opts, 'cat', '/bin/cat'))
proc.group = D(); proc.group.config = D(); proc.group.config.name = 'grp'
proc.pid = 42
out = []
for data in [b'hello\\n', 'h\\u00e9llo \\U0001F600\\n'.encode('utf-8'), b'\\xff\\xfe\\'q"\\\\\\x00\\x7f', b"it's", b'']:
    out.append(events.ProcessLogStdoutEvent(proc, 42, data).payload())
    out.append(events.ProcessCommunicationStderrEvent(proc, 42, data).payload())
proc.backoff = 3
out.append(events.ProcessStateBackoffEvent(proc, 10).payload())
out.append(events.ProcessStateExitedEvent(proc, 20, expected=False).payload())
out.append(events.ProcessStateStoppedEvent(proc, 40).payload())
out.append(events.ProcessStateFatalEvent(proc, 30).payload())
out.append(events.ProcessStateUnknownEvent(proc, 20).payload())
pool = D(); pool.config = D(); pool.config.options = opts; pool.config.name = 'pool'
env = EventListenerPool._eventEnvelope(pool, events.ProcessLogStdoutEvent, 7, 3, out[2])
out.append(env)
json.dump(out, sys.stdout)
`;
  const r = spawnSync(PY, ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test('listener protocol: an answer is owed from an event until the READY after its result, never for the first READY', () => {
  const hooks = { changed: () => {}, result: () => {}, badResultLine: () => {}, reject: () => {}, forgetEvent: () => {} };
  const p = new ListenerProtocol(hooks);
  const owed: boolean[] = [p.awaitingReply];
  const step = (f: () => void): void => {
    f();
    owed.push(p.awaitingReply);
  };
  step(() => p.feed(Buffer.from('READY\n')));
  step(() => p.sent());
  step(() => p.feed(Buffer.from('RESULT 2\n')));
  step(() => p.feed(Buffer.from('OK')));
  step(() => p.feed(Buffer.from('READY\n')));
  step(() => p.sent());
  step(() => p.feed(Buffer.from('RESULT x\n')));
  // starting: ACKNOWLEDGED, yet nothing owed; BUSY through the result; ACKNOWLEDGED after it until READY; UNKNOWN owes nothing
  assert.deepEqual(owed, [false, false, true, true, true, false, true, false]);
  assert.equal(p.state, ListenerState.UNKNOWN);
});

test('payloads and envelope are byte-identical to Supervisor', { skip }, () => {
  const want = pythonPayloads();
  const got: string[] = [];
  const datas = [
    Buffer.from('hello\n'),
    Buffer.from('h\u00e9llo \u{1F600}\n', 'utf8'),
    Buffer.from([0xff, 0xfe, 0x27, 0x71, 0x22, 0x5c, 0x00, 0x7f]),
    Buffer.from("it's"),
    Buffer.alloc(0),
  ];
  for (const d of datas) {
    got.push(processLogEvent('cat', 'grp', 42, 'stdout', d).payload);
    got.push(`processname:cat groupname:grp pid:42\n${outputText(d)}`);
  }
  const st = (to: string, from: string, expected = true): string =>
    (processStateEvent({ name: 'cat', group: 'grp', from, to, pid: 42, tries: 3, expected }) as { payload: string }).payload;
  got.push(st('BACKOFF', 'STARTING'), st('EXITED', 'RUNNING', false), st('STOPPED', 'STOPPING'), st('FATAL', 'BACKOFF'), st('UNKNOWN', 'RUNNING'));
  got.push(envelopeText({ identifier: 'supervisor', serial: 7, pool: 'pool', poolSerial: 3, eventName: 'PROCESS_LOG_STDOUT', payload: got[2] as string }));
  assert.deepEqual(got, want);
});

test('len: counts characters like Python', () => {
  assert.equal(pyLen('abc'), 3);
  assert.equal(pyLen('h\u00e9'), 2);
  assert.equal(pyLen('\u{1F600}x'), 2);
});

test('event types: abstract parents match their children, overlapping subscriptions count twice', () => {
  assert.ok(isA('PROCESS_STATE_RUNNING', 'PROCESS_STATE'));
  assert.ok(isA('TICK_60', 'EVENT'));
  assert.ok(!isA('TICK_60', 'PROCESS_STATE'));
  assert.ok(!isA('PROCESS_STATE', 'PROCESS_STATE_RUNNING'));
  assert.equal(matchCount('PROCESS_STATE_RUNNING', ['EVENT', 'PROCESS_STATE', 'PROCESS_STATE_RUNNING', 'TICK']), 3);
  assert.deepEqual(splitPayload('groupname:cat\n'), { headers: { groupname: 'cat' }, data: '' });
  assert.deepEqual(splitPayload('type:t\na b\nc'), { headers: { type: 't' }, data: 'a b\nc' });
});

test('deque: FIFO with front insertion across growth', () => {
  const d = new Deque<number>();
  for (let i = 0; i < 40; i++) d.push(i);
  for (let i = 0; i < 30; i++) assert.equal(d.shift(), i);
  for (let i = 0; i < 40; i++) d.unshift(-i - 1);
  assert.equal(d.length, 50);
  assert.deepEqual([...d].slice(0, 3), [-40, -39, -38]);
  assert.equal(d.peek(), -40);
});

test('ticks: the slice rule, no timer without subscribers, one per boundary', () => {
  assert.equal(timeslice(5, 1000.9), 1000);
  assert.equal(timeslice(60, 1019), 960);
  let now = 1000.5;
  const got: string[] = [];
  const clock = new TickClock((name, when) => got.push(`${name} ${when}`), () => now);
  assert.equal(clock.armed, false);
  clock.setWanted(new Set(['TICK_60']));
  assert.equal(clock.armed, true);
  clock.setWanted(new Set());
  assert.equal(clock.armed, false);
  // time passed unobserved: arming again does not replay the slices it missed
  now = 3601;
  clock.setWanted(new Set(['TICK_5']));
  now = 3604.9;
  clock.check();
  assert.deepEqual(got, []);
  now = 3605.01;
  clock.check();
  now = 3607;
  clock.check();
  now = 3660.2;
  clock.check();
  assert.deepEqual(got, ['TICK_5 3605', 'TICK_5 3660', 'TICK_60 3660']);
  now = 7200;
  clock.check();
  assert.deepEqual(got.slice(3), ['TICK_5 7200', 'TICK_60 7200', 'TICK_3600 7200']);
  clock.close();
  assert.equal(clock.armed, false);
});

class Fake implements ListenerProcess {
  written: string[] = [];
  broken = false;
  constructor(
    readonly name: string,
    public state: ProcessState = ProcessState.RUNNING,
  ) {}
  write(chars: Buffer): void {
    if (this.broken) throw Object.assign(new Error('closed'), { code: 'EPIPE' });
    this.written.push(chars.toString('utf8'));
  }
}

class Lines implements LogSink {
  lines: string[] = [];
  emit(line: string): void {
    this.lines.push(line.replace(/^\S+ \S+ /, '').trimEnd());
  }
  reopen(): void {}
  remove(): void {}
  close(): void {}
}

function makePool(bufferSize: number, procs: Fake[]): { pool: EventListenerPool; log: Lines } {
  const logger = new MainLogger(Level.INFO);
  const log = new Lines();
  logger.setSinks([log]);
  let serial = -1;
  const pool = new EventListenerPool({
    name: 'pool',
    bufferSize,
    events: ['PROCESS_STATE', 'REMOTE_COMMUNICATION'],
    identifier: () => 'supervisor',
    logger,
    nextSerial: () => ++serial,
    processes: () => procs,
  });
  return { pool, log };
}

test('pool: overflow drops the oldest with an error line; rejected events go back to the front', () => {
  const a = new Fake('a');
  const { pool, log } = makePool(3, [a]);
  const feedA = pool.attach(a).feed;
  for (let i = 0; i < 5; i++) pool.notify(makeEvent('REMOTE_COMMUNICATION', `type:t\n${i}`));
  pool.notify(makeEvent('TICK_5', 'when:5')); // not subscribed
  assert.equal(pool.buffered, 3);
  assert.deepEqual(log.lines, ['ERRO pool pool event buffer overflowed, discarding event 0', 'ERRO pool pool event buffer overflowed, discarding event 1']);
  feedA(Buffer.from('READY\n'));
  assert.equal(a.written.length, 1);
  assert.match(a.written[0] as string, /^ver:3\.0 server:supervisor serial:2 pool:pool poolserial:2 eventname:REMOTE_COMMUNICATION len:8\ntype:t\n2$/);
  feedA(Buffer.from('RESULT 4\nFAILREADY\n'));
  // the same event again (same serials), first in line
  assert.equal(a.written[1], a.written[0]);
  assert.ok(log.lines.includes('WARN a: event was rejected'));
  feedA(Buffer.from('RESULT 2\nOKREADY\n'));
  assert.match(a.written[2] as string, /serial:3 pool:pool poolserial:3 /);
  // dies while BUSY: the event is buffered again at the front
  pool.died(a);
  feedA(Buffer.from('garbage'));
  const b = new Fake('a');
  const feedB = pool.attach(b).feed;
  assert.equal(pool.buffered, 2);
  void feedB;
});

test('pool: events go to the first READY and RUNNING listener; EPIPE skips a listener', async () => {
  const a = new Fake('a');
  const b = new Fake('b');
  const c = new Fake('c', ProcessState.STARTING);
  const { pool } = makePool(10, [c, a, b]);
  const fa = pool.attach(a).feed;
  const fb = pool.attach(b).feed;
  const fc = pool.attach(c).feed;
  fc(Buffer.from('READY\n'));
  fa(Buffer.from('READY\n'));
  fb(Buffer.from('READY\n'));
  a.broken = true;
  pool.notify(makeEvent('REMOTE_COMMUNICATION', 'type:x\n1'));
  pool.notify(makeEvent('REMOTE_COMMUNICATION', 'type:x\n2'));
  await new Promise((r) => setImmediate(r));
  assert.equal(c.written.length, 0, 'not RUNNING');
  assert.equal(a.written.length, 0, 'EPIPE');
  assert.equal(b.written.length, 1);
  assert.equal(pool.buffered, 1, 'one outstanding event per listener');
  c.state = ProcessState.RUNNING;
  pool.wake();
  await new Promise((r) => setImmediate(r));
  assert.equal(c.written.length, 1);
  assert.equal(pool.buffered, 0);
});

// The events that follow plain `RESULT 2\nOKREADY\n` answers may be written
// by the native wait, each the moment its answer is read
// (Subprocess.readListener): prepareEvents() must be exactly what dispatch
// would write after each answer, and the pool must then count each as sent
// without writing it again.
const PLAIN = 'RESULT 2\nOKREADY\n';

/** What the native wait does with prepared events: after each plain answer (while any are left), the next one. */
function exchange(prepared: { bytes: Buffer; ends: Uint32Array } | null, answers: string[]): { written: string[]; plain: number } {
  const written: string[] = [];
  let plain = 0;
  for (const a of answers) {
    if (a !== PLAIN || !prepared || written.length === prepared.ends.length) break;
    const i = written.length;
    written.push(prepared.bytes.subarray(i ? prepared.ends[i - 1] : 0, prepared.ends[i]).toString('utf8'));
    plain++;
  }
  return { written, plain };
}

test('pool: events written ahead of OK answers are the ones dispatch sends, and are not written twice', () => {
  // the same answers to two pools: one writes every event itself, the other has events written ahead when it can
  const answers = ['READY\n', PLAIN, PLAIN, 'RESULT 4\nFAILREADY\n', 'RESULT 2\nOK', 'READY\n', PLAIN, PLAIN, PLAIN, PLAIN, 'RESULT 2\nOKREADY\nX'];
  const run = (batch: number): { bytes: string[]; aheadCount: number; buffered: number; log: string[] } => {
    const a = new Fake('a');
    const { pool, log } = makePool(20, [a]);
    const out = pool.attach(a);
    for (let i = 0; i < 9; i++) pool.notify(makeEvent('REMOTE_COMMUNICATION', `type:t\n${i}`));
    pool.dispatch();
    const bytes: string[] = [];
    let aheadCount = 0;
    for (let k = 0; k < answers.length; ) {
      const prepared = batch ? out.prepareEvents(batch) : null;
      const { written, plain } = exchange(prepared, answers.slice(k));
      // as readListener feeds them: each plain answer after marking the event that followed it
      for (let i = 0; i < plain; i++) {
        bytes.push(written[i] as string);
        out.sentPrepared();
        const before = a.written.length;
        out.feed(Buffer.from(answers[k + i] as string));
        bytes.push(...a.written.slice(before));
      }
      aheadCount += plain;
      k += plain;
      if (plain === 0) {
        const before = a.written.length;
        out.feed(Buffer.from(answers[k] as string));
        bytes.push(...a.written.slice(before));
        k++;
      }
    }
    return { bytes, aheadCount, buffered: pool.buffered, log: log.lines };
  };
  const plain = run(0);
  assert.equal(plain.aheadCount, 0);
  for (const batch of [1, 2, 3, 64]) {
    const ahead = run(batch);
    assert.ok(ahead.aheadCount >= 4, `batch ${batch}: written ahead ${ahead.aheadCount} times`);
    // the listener sees the same bytes in the same order, and the pool ends in the same place
    assert.deepEqual(ahead.bytes, plain.bytes, `batch ${batch}`);
    assert.equal(ahead.buffered, plain.buffered);
    assert.deepEqual(ahead.log, plain.log);
    assert.ok(!ahead.log.some((l) => l.startsWith('CRIT')));
  }
});

test('pool: nothing is prepared ahead where dispatch might do otherwise', () => {
  const a = new Fake('a');
  const b = new Fake('b');
  const { pool } = makePool(10, [a, b]);
  const oa = pool.attach(a);
  const ob = pool.attach(b);
  oa.feed(Buffer.from('READY\n'));
  assert.equal(oa.prepareEvents(8), null, 'not BUSY: no answer owed');
  pool.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n0'));
  pool.dispatch();
  assert.equal(a.written.length, 1);
  assert.equal(oa.prepareEvents(8), null, 'nothing buffered');
  pool.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n1'));
  pool.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n2'));
  assert.equal(oa.prepareEvents(8)?.ends.length, 2, 'b is not READY yet: both buffered events');
  assert.equal(oa.prepareEvents(1)?.ends.length, 1, 'at most max');
  ob.feed(Buffer.from('READY\n'));
  assert.equal(b.written.length, 1, 'b READY took a buffered event');
  assert.equal(oa.prepareEvents(8)?.ends.length, 1, 'b is BUSY');
  // a listener of the pool READY and RUNNING: dispatch may pick it
  const c = new Fake('c');
  const { pool: pool2 } = makePool(10, [c, a]);
  const oc = pool2.attach(c);
  const oa2 = pool2.attach(a);
  oa2.feed(Buffer.from('READY\n'));
  pool2.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n0'));
  pool2.dispatch();
  pool2.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n1'));
  assert.notEqual(oa2.prepareEvents(8), null);
  oc.feed(Buffer.from('READY\n'));
  assert.equal(oa2.prepareEvents(8), null, 'c is READY and first in order');
  // part of the answer read already: the plain answer would not be what comes next
  const d = new Fake('d');
  const { pool: pool3 } = makePool(10, [d]);
  const od = pool3.attach(d);
  od.feed(Buffer.from('READY\n'));
  pool3.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n0'));
  pool3.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n1'));
  pool3.dispatch();
  od.feed(Buffer.from('RESULT 2\n'));
  assert.equal(od.prepareEvents(8), null, 'half an answer read');
  // an envelope a pipe might not take whole in one write ends the run
  const e = new Fake('e');
  const { pool: pool4 } = makePool(10, [e]);
  const oe = pool4.attach(e);
  oe.feed(Buffer.from('READY\n'));
  pool4.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n0'));
  pool4.dispatch();
  pool4.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n1'));
  pool4.notify(makeEvent('REMOTE_COMMUNICATION', `type:t\n${'x'.repeat(5000)}`));
  pool4.notify(makeEvent('REMOTE_COMMUNICATION', 'type:t\n3'));
  assert.equal(oe.prepareEvents(8)?.ends.length, 1, 'up to the one longer than PIPE_BUF');
  pool4.dispatch();
  oe.feed(Buffer.from(PLAIN));
  assert.equal(oe.prepareEvents(8), null, 'the long one is next');
  // a listener that is not RUNNING is not sent anything
  e.state = ProcessState.STOPPING;
  assert.equal(oe.prepareEvents(8), null);
});
