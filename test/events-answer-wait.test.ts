// How the daemon waits for an event listener's answer: awake, for a bounded
// and adaptive time (src/daemon/reply-spin.ts), with the next event written
// the moment a plain `RESULT 2\nOKREADY\n` is read (native awaitAnswers). On
// real pipes (FIFOs opened read-write), then in a daemon: every event
// delivered once and in order through that path, and a listener that takes
// longer than the budget does not make the daemon burn CPU waiting for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { requireNative } from '../src/daemon/native';
import { ReplySpin } from '../src/daemon/reply-spin';
import { sleep, TempDir } from './helpers/daemon-env';
import { PY, startDaemon, waitUp, type Daemon } from './helpers/events-env';

const ANSWER = 'RESULT 2\nOKREADY\n';
const pythonSkip = existsSync(PY) ? false : 'needs /usr/bin/python3';

/** Two FIFOs standing in for a listener's stdout (we read) and stdin (we write); each fd is both ends. */
function pipes(dir: TempDir): { out: number; inp: number; close(): void } {
  const open = (name: string): number => {
    const p = dir.join(name);
    assert.equal(spawnSync('mkfifo', [p]).status, 0);
    return openSync(p, constants.O_RDWR | constants.O_NONBLOCK);
  };
  const out = open('stdout');
  const inp = open('stdin');
  return {
    out,
    inp,
    close() {
      closeSync(out);
      closeSync(inp);
    },
  };
}

/** What is waiting in a FIFO, as text ('' when empty). */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536);
  try {
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString('latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw e;
  }
}

/** prepared events as the pool hands them over */
function prepared(...events: string[]): { bytes: Buffer; ends: Uint32Array } {
  const parts = events.map((e) => Buffer.from(e));
  let end = 0;
  return { bytes: Buffer.concat(parts), ends: Uint32Array.from(parts.map((p) => (end += p.length))) };
}

test('awaitAnswers: a prepared event goes out after each plain answer, and after nothing else', () => {
  const native = requireNative();
  const dir = new TempDir('tsv-answer-');
  const p = pipes(dir);
  try {
    const buf = Buffer.alloc(65536);
    const out = new Float64Array(2);
    const next = prepared('ver:3.0 server:supervisor serial:1 pool:l poolserial:1 eventname:TICK_5 len:8\nwhen:100');
    const run = (answer: string, budgetNs = 20e6, events: { bytes: Buffer; ends: Uint32Array } | null = next) => {
      if (answer) writeSync(p.out, answer);
      const t = performance.now();
      const n = native.awaitAnswers(p.out, budgetNs, buf, p.inp, events?.bytes ?? null, events?.ends ?? null, out);
      const ms = performance.now() - t;
      return { got: buf.subarray(0, n).toString('latin1'), waited: out[0] as number, written: out[1] as number, sent: drain(p.inp), ms };
    };

    const plain = run(ANSWER);
    assert.equal(plain.got, ANSWER);
    assert.ok(plain.waited >= 0);
    assert.equal(plain.written, 1);
    assert.equal(plain.sent, next.bytes.toString('latin1'));

    for (const other of ['RESULT 4\nFAILREADY\n', 'RESULT 2\nOKREADY\nX', 'RESULT 2\nNOREADY\n', 'READY\n', 'RESULT 3\nOK READY\n']) {
      const r = run(other);
      assert.equal(r.got.slice(0, ANSWER.length), other.slice(0, ANSWER.length), JSON.stringify(other));
      assert.equal(r.written, 0, JSON.stringify(other));
      assert.equal(r.sent, '', JSON.stringify(other));
      drain(p.out);
    }

    // nothing within the budget: -1, nothing read, nothing written, and no longer than the budget (with slack)
    const none = run('', 2e6);
    assert.deepEqual([none.got, none.waited, none.written, none.sent], ['', -1, 0, '']);
    assert.ok(none.ms >= 1.9 && none.ms < 500, `${none.ms} ms`);

    // the first half of the answer, then the budget runs out: the half is handed back, nothing written
    const half = run('RESULT 2\nOK', 2e6);
    assert.equal(half.got, 'RESULT 2\nOK');
    assert.ok(half.waited >= 0);
    assert.equal(half.written, 0);
    drain(p.out);

    // nothing prepared: the answer is read, nothing written
    const bare = run(ANSWER, 20e6, null);
    assert.deepEqual([bare.got, bare.written, bare.sent], [ANSWER, 0, '']);

    // two answers at once (one event in flight: the second is output in READY state): handed back whole
    const two = run(ANSWER + ANSWER, 2e6, prepared('e1', 'e2'));
    assert.deepEqual([two.got, two.written, two.sent], [ANSWER + ANSWER, 0, '']);
  } finally {
    p.close();
    dir.cleanup();
  }
});

test('awaitAnswers: an answer written in two pieces by another process (as childutils does) is waited for whole', async () => {
  const native = requireNative();
  const dir = new TempDir('tsv-answer-');
  const p = pipes(dir);
  try {
    const buf = Buffer.alloc(65536);
    const out = new Float64Array(2);
    const next = prepared('the next event');
    // the second piece comes from a shell ~50 ms from now, while the wait below holds our thread
    const child = spawn('sh', ['-c', `sleep 0.05; printf 'READY\\n' > ${dir.join('stdout')}`], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    writeSync(p.out, 'RESULT 2\nOK');
    const n = native.awaitAnswers(p.out, 5e9, buf, p.inp, next.bytes, next.ends, out);
    await exited;
    assert.equal(buf.subarray(0, n).toString(), ANSWER);
    assert.equal(out[1], 1);
    assert.equal(drain(p.inp), 'the next event');
  } finally {
    p.close();
    dir.cleanup();
  }
});

test('awaitAnswers: with a listener answering each event, the prepared events go out one after each answer', async () => {
  const native = requireNative();
  const dir = new TempDir('tsv-answer-');
  const p = pipes(dir);
  try {
    // a listener on the other ends of the FIFOs: one answer per event line, ~1 ms after it
    const script = dir.file(
      'echo.py',
      `import sys, time\nout = open(sys.argv[2], 'wb', buffering=0)\nfor line in open(sys.argv[1], 'rb'):\n    time.sleep(0.001)\n    out.write(b${JSON.stringify(ANSWER)})\n`,
    );
    const child = spawn(PY, [script, dir.join('stdin'), dir.join('stdout')], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const buf = Buffer.alloc(65536);
    const out = new Float64Array(2);
    const events = prepared('e1\n', 'e2\n', 'e3\n');
    writeSync(p.out, ANSWER); // the answer to the event in flight
    const n = native.awaitAnswers(p.out, 5e9, buf, p.inp, events.bytes, events.ends, out);
    assert.equal(out[1], 3);
    // it returns once the last is written, without waiting for the answer to it
    assert.equal(buf.subarray(0, n).toString(), ANSWER.repeat(3));
    closeSync(p.inp);
    await exited;
  } finally {
    try {
      closeSync(p.out);
    } catch {
      // closed above
    }
    dir.cleanup();
  }
});

test('ReplySpin: a wait that runs out stops the spinning until an answer comes soon enough again; the batch follows use', async () => {
  const dir = new TempDir('tsv-answer-');
  const p = pipes(dir);
  try {
    const spin = new ReplySpin();
    const buf = Buffer.alloc(65536);
    const max = spin.budget;
    assert.ok(max > 0 && max <= 1e6, `at most a millisecond: ${max} ns`);
    assert.equal(spin.batch, 1);
    writeSync(p.out, ANSWER);
    assert.equal(spin.await(p.out, buf, p.inp, prepared('e1')), ANSWER.length);
    assert.equal(spin.written, 1);
    assert.equal(spin.batch, 2, 'all went out: twice as many next time');
    drain(p.inp);
    writeSync(p.out, ANSWER);
    assert.equal(spin.await(p.out, buf, p.inp, prepared('e1', 'e2')), ANSWER.length);
    assert.equal(spin.written, 1);
    assert.equal(spin.batch, 1, 'as many as went out');
    drain(p.inp);
    assert.equal(spin.budget, max);
    // nobody answers: the whole budget once, then none
    assert.equal(spin.await(p.out, buf, p.inp, null), -1);
    assert.equal(spin.budget, 0);
    const t = performance.now();
    assert.equal(spin.await(p.out, buf, p.inp, null), -1);
    assert.ok(performance.now() - t < 5, 'no spinning with no budget');
    // an answer that took milliseconds: still none
    await sleep(5);
    spin.woke();
    assert.equal(spin.budget, 0);
    // one that came within the maximum: twice what it took
    assert.equal(spin.await(p.out, buf, p.inp, null), -1);
    spin.woke();
    assert.ok(spin.budget > 0 && spin.budget <= max, `${spin.budget}`);
  } finally {
    p.close();
    dir.cleanup();
  }
});

/** A listener that answers each event with one write, `delay` seconds after it arrives; it records the serials of `count` events. */
const LISTENER = `
import os, sys, time
delay = float(sys.argv[1]); rec = sys.argv[2]; go = sys.argv[3]; count = int(sys.argv[4])
inp = sys.stdin.buffer
serials = []
os.write(1, b'READY\\n')
while True:
    header = inp.readline()
    if not header:
        break
    h = dict(f.split(b':', 1) for f in header.split())
    inp.read(int(h[b'len']))
    serials.append(h[b'serial'].decode())
    if len(serials) == 1:
        while not os.path.exists(go):
            time.sleep(0.001)
    if delay:
        time.sleep(delay)
    if len(serials) == count:
        with open(rec + '.tmp', 'w') as f:
            f.write(' '.join(serials))
        os.rename(rec + '.tmp', rec)
    os.write(1, b'RESULT 2\\nOKREADY\\n')
`;

/** read(2) calls a process has made (/proc/PID/io syscr): a spinning wait reads the listener's pipe over and over */
function readCalls(pid: number): number {
  return Number(/^syscr: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

/** user + system CPU of a process, ms (10 ms ticks) */
function cpuMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * `events` REMOTE_COMMUNICATION events buffered, then delivered to LISTENER
 * answering after `delay` s: the serials it saw, and the daemon's CPU and the
 * time from the first answer to the last.
 */
async function deliver(delay: number, events: number): Promise<{ serials: string[]; seconds: number; cpuMs: number; reads: number }> {
  const scripts = new TempDir('tsv-answer-');
  const script = scripts.file('listener.py', LISTENER);
  const d: Daemon = startDaemon(
    'tsv',
    `[eventlistener:l]\ncommand=${PY} ${script} ${delay} {DIR}/rec {DIR}/go ${events}\nevents=REMOTE_COMMUNICATION\nbuffer_size=${events + 10}\n`,
  );
  try {
    await waitUp(d);
    for (;;) {
      const info = (await d.rpc.call('supervisor.getProcessInfo', ['l'])) as { state: number };
      if (info.state === 20) break;
      await sleep(20);
    }
    const calls = [];
    for (let i = 0; i < events; i++) calls.push({ methodName: 'supervisor.sendRemoteCommEvent', params: ['t', `e${i}`] });
    await d.rpc.call('system.multicall', [calls]);
    await sleep(100);
    const pid = d.child.pid as number;
    const cpu0 = cpuMs(pid);
    const reads0 = readCalls(pid);
    const t0 = performance.now();
    writeFileSync(d.dir.join('go'), '');
    for (let waited = 0; !existsSync(d.dir.join('rec')); waited += 5) {
      assert.ok(waited < 60000, `${events} events not delivered within a minute`);
      await sleep(5);
    }
    const serials = d.dir.read('rec').split(' ');
    const seconds = (performance.now() - t0) / 1000;
    return { serials, seconds, cpuMs: cpuMs(pid) - cpu0, reads: readCalls(pid) - reads0 };
  } finally {
    await d.stop();
    d.cleanup();
    scripts.cleanup();
  }
}

const inOrder = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

test('a listener answering at once gets every event once and in order (most sent from the wait, as each answer is read)', { skip: pythonSkip, timeout: 90000 }, async () => {
  const r = await deliver(0, 3000);
  assert.deepEqual(r.serials, inOrder(3000));
});

test('a listener slower than the wait budget does not keep the daemon spinning', { skip: pythonSkip, timeout: 90000 }, async (t) => {
  // Each answer ~1.1 ms after its event. A spinning wait reads the listener's pipe until the answer
  // or the budget's end, so spinning shows as read(2) calls, whatever the machine's speed. Measured
  // here: 2.1-2.5 reads per event with the adaptive wait; 190-215 when every wait spins out its budget
  // (0.1 ms). The daemon's share of the CPU moved with the VM's wake-up cost (6-8 % on one day, 10-13 %
  // on another, 19-20 % spinning), so it is only reported.
  const r = await deliver(0.001, 1000);
  assert.deepEqual(r.serials, inOrder(1000));
  const perEvent = r.reads / 1000;
  t.diagnostic(`daemon: ${perEvent.toFixed(1)} read calls per event; CPU ${r.cpuMs} ms over ${r.seconds.toFixed(2)} s (${((r.cpuMs / 10 / r.seconds)).toFixed(1)} %)`);
  assert.ok(perEvent < 20, `${perEvent.toFixed(1)} read calls per event: the daemon spins waiting for answers that take milliseconds`);
});
