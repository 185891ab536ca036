// How the daemon learns of a program's output. A pipe that anyone has ever
// polled makes Linux wake its readers on every write from then on (a cost the
// writing program pays even when nobody waits), so a program's output pipes
// are never polled: inotify (and O_ASYNC's signal, for a write that waits
// for room) reports the first write into an empty pipe and
// the writers' last close (src/daemon/native/tsv_native.c, watchReadable).
// Shown here: the daemon never hands those pipes to epoll, poll or select
// (strace; TSV_OUTPUT_WATCH=poll, the fallback, does, which shows the check
// can see it), and output is noticed while the program runs, whichever
// system call wrote it, including a burst that the daemon drains on its
// timer and the quiet that follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ROOT, TempDir, writeConf, load, startEngine, waitState, withTimeout } from './helpers/daemon-env';
import { TSV, cleanEnv, poll, killTree } from './helpers/daemon-cli';
import { ProcessState } from '../src/daemon/states';
import { requireNative, type ReadableWatch } from '../src/daemon/native';

const skip = process.platform !== 'linux' ? 'Linux only' : spawnSync('strace', ['-V']).status !== 0 ? 'strace is not installed' : false;

function compileWriter(dir: TempDir): string {
  const out = dir.join('pipe-writer');
  const r = spawnSync('cc', ['-O2', '-o', out, join(ROOT, 'test', 'fixtures', 'c', 'pipe-writer.c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `cc: ${r.stderr}`);
  return out;
}

/** the daemon's fd numbers of the pipes that are the child's fds 1 and 2 */
function daemonEnds(daemon: number, child: number): number[] {
  const childPipes = [1, 2].map((fd) => readlinkSync(`/proc/${child}/fd/${fd}`));
  const ends: number[] = [];
  for (const fd of readdirSync(`/proc/${daemon}/fd`)) {
    try {
      if (childPipes.includes(readlinkSync(`/proc/${daemon}/fd/${fd}`))) ends.push(Number(fd));
    } catch {
      // closed meanwhile
    }
  }
  return ends.sort((a, b) => a - b);
}

/** strace lines, from the pipe2() that made `fd` to its close(), that ask the kernel to poll it */
function pollsOf(trace: string[], fd: number): string[] {
  const made = trace.map((l) => new RegExp(`^pipe2\\(\\[${fd}, \\d+\\]`).test(l)).lastIndexOf(true);
  assert.ok(made >= 0, `the trace shows fd ${fd} made by pipe2`);
  const closed = trace.findIndex((l, i) => i > made && l.startsWith(`close(${fd})`));
  const span = trace.slice(made + 1, closed < 0 ? undefined : closed);
  const asks = [
    new RegExp(`^epoll_ctl\\(\\d+, EPOLL_CTL_(ADD|MOD), ${fd},`),
    new RegExp(`^p?poll\\(\\[.*\\{fd=${fd}, `),
    new RegExp(`^p?select6?\\(\\d+, \\[([\\d ]* )?${fd}( [\\d ]*)?\\]`),
  ];
  return span.filter((l) => asks.some((re) => re.test(l)));
}

/** a daemon under strace, its program's output noticed while it runs; the daemon's ends of that output's pipes and the trace's polls of them */
async function tracedDaemon(env: Record<string, string>): Promise<{ polls: string[]; ends: number[] }> {
  const dir = new TempDir('tsv-watch-');
  try {
    const conf = writeConf(
      dir,
      `[program:p]\ncommand=sh -c 'echo out1; echo err1 >&2; sleep 0.3; echo out2; echo err2 >&2; exec sleep 60'\n` +
        `stdout_logfile=${dir.join('p.out')}\nstderr_logfile=${dir.join('p.err')}\n`,
    );
    const traceFile = dir.join('trace');
    const strace = spawn(
      'strace',
      ['-qq', '-e', 'trace=pipe2,close,epoll_ctl,poll,ppoll,select,pselect6', '-o', traceFile, process.execPath, TSV, 'daemon', '-n', '-c', conf],
      { env: cleanEnv(env), stdio: 'ignore' },
    );
    const exited = new Promise<void>((r) => strace.on('exit', () => r()));
    try {
      // both second lines come while the program sleeps on: noticed, not drained at its exit
      await poll(() => (dir.read('p.out') === 'out1\nout2\n' && dir.read('p.err') === 'err1\nerr2\n' ? true : undefined), 'the output in the logs', 20000);
      const daemon = Number(readFileSync(dir.join('supervisord.pid'), 'utf8'));
      const child = Number(/spawned: 'p' with pid (\d+)/.exec(dir.read('supervisord.log'))?.[1]);
      assert.ok(existsSync(`/proc/${child}`), 'the program still runs');
      const ends = daemonEnds(daemon, child);
      process.kill(daemon, 'SIGTERM');
      await withTimeout(exited, 20000, 'the traced daemon to stop');
      const trace = readFileSync(traceFile, 'utf8').split('\n');
      return { polls: ends.flatMap((fd) => pollsOf(trace, fd)), ends };
    } finally {
      if (strace.exitCode === null) killTree(strace.pid!);
    }
  } finally {
    dir.cleanup();
  }
}

test("a program's output pipes are never polled by the daemon (inotify tells it of new bytes)", { skip }, async () => {
  const quiet = await tracedDaemon({});
  assert.equal(quiet.ends.length, 2, 'the daemon holds the read ends of stdout and stderr');
  assert.deepEqual(quiet.polls, [], 'no epoll_ctl, poll or select on either pipe');
  // the check itself: the fallback polls them, and the trace shows it
  const polled = await tracedDaemon({ TSV_OUTPUT_WATCH: 'poll' });
  assert.equal(polled.ends.length, 2);
  for (const fd of polled.ends) {
    assert.ok(
      polled.polls.some((l) => l.includes(`, ${fd},`)),
      `TSV_OUTPUT_WATCH=poll: fd ${fd} handed to epoll (${polled.polls.join(' | ')})`,
    );
  }
});

test('output is noticed while the program runs, whichever system call wrote it', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir('tsv-watch-');
  const writer = compileWriter(dir);
  const methods = ['write', 'vmsplice', 'splice', 'tee', 'sendfile'];
  let body = '';
  for (const m of methods) body += `[program:${m}]\ncommand=${writer} ${m} ${m}-one ${m}-two ${m}-three\nstdout_logfile=${dir.join(`${m}.log`)}\nstartsecs=0\n`;
  // stderr too, and after a quiet spell
  body += `[program:err]\ncommand=sh -c 'echo e1 >&2; sleep 1; echo e2 >&2; exec sleep 60'\nstderr_logfile=${dir.join('err.log')}\nstartsecs=0\n`;
  const te = startEngine(load(writeConf(dir, body)));
  try {
    for (const m of methods) {
      await poll(() => (dir.read(`${m}.log`) === `${m}-one\n${m}-two\n${m}-three\n` ? true : undefined), `${m}: three lines in its log`, 10000);
      assert.equal(te.engine.groups.get(m)?.processes.get(m)?.state, ProcessState.RUNNING, `${m} still runs`);
    }
    await poll(() => (dir.read('err.log') === 'e1\ne2\n' ? true : undefined), 'stderr lines', 10000);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('a burst of 100-byte writes, then a line after a quiet spell: every byte, while the program runs', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir('tsv-watch-');
  const writer = compileWriter(dir);
  const lines = 40000;
  const te = startEngine(load(writeConf(dir, `[program:burst]\ncommand=${writer} write +${lines} after-the-quiet\nstdout_logfile=${dir.join('burst.log')}\nstartsecs=0\n`)));
  try {
    await waitState(te.engine, 'burst', ProcessState.RUNNING);
    const want = lines * 100 + 'after-the-quiet\n'.length;
    await poll(() => (existsSync(dir.join('burst.log')) && statSync(dir.join('burst.log')).size >= want ? true : undefined), 'the whole burst and the last line', 20000);
    const text = readFileSync(dir.join('burst.log'), 'utf8');
    assert.equal(text.length, want, 'every byte once');
    assert.ok(text.endsWith('x\nafter-the-quiet\n'));
    assert.equal(te.engine.groups.get('burst')?.processes.get('burst')?.state, ProcessState.RUNNING);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('one write larger than the pipe holds: the program is not left blocked in it, and every byte is logged', { skip: process.platform !== 'linux' }, async () => {
  // The kernel reports a write to inotify when it returns, and a write larger
  // than the room in the pipe returns only once someone reads: the first part
  // must be noticed while the program still waits in its write. A pipe of one
  // page (what a non-root daemon's pipes get once its user has many) meets it
  // at a write of 4 KiB and more; the daemon's usual 1 MiB pipe above 1 MiB.
  const dir = new TempDir('tsv-watch-');
  const py = (setup: string, bytes: number, fd: number): string =>
    `/usr/bin/python3 -c "import fcntl,os,time; ${setup}os.write(${fd}, b'w'*${bytes}); os.write(${fd}, b'|after'); time.sleep(60)"`;
  const te = startEngine(
    load(
      writeConf(
        dir,
        `[program:big]\ncommand=${py('', 3_000_000, 1)}\nstdout_logfile=${dir.join('big.log')}\nstartsecs=0\n` +
          `[program:late]\ncommand=${py('time.sleep(1); ', 2_500_000, 2)}\nstderr_logfile=${dir.join('late.log')}\nstartsecs=0\n` +
          // F_SETPIPE_SZ (1031) from the program's own end: one page
          `[program:small]\ncommand=${py('fcntl.fcntl(1, 1031, 4096); ', 200_000, 1)}\nstdout_logfile=${dir.join('small.log')}\nstartsecs=0\n`,
      ),
    ),
  );
  try {
    for (const [name, bytes] of [['big', 3_000_000], ['late', 2_500_000], ['small', 200_000]] as const) {
      const file = dir.join(`${name}.log`);
      await poll(() => (existsSync(file) && statSync(file).size === bytes + 6 ? true : undefined), `${name}: ${bytes} bytes and the write after them`, 10000);
      assert.ok(readFileSync(file, 'latin1').endsWith('w|after'), name);
    }
    // SIGIO, the kernel's fallback when realtime signals queue up (and what
    // kills a process that does not handle it), makes the armed watches look
    process.kill(process.pid, 'SIGIO');
    await settle();
    assert.equal(te.engine.groups.get('small')?.processes.get('small')?.state, ProcessState.RUNNING);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

/** a FIFO (a pipe with a name) opened at both ends, without blocking */
function fifo(dir: TempDir, name: string): { r: number; w: number } {
  execFileSync('mkfifo', [dir.join(name)]);
  const r = openSync(dir.join(name), constants.O_RDONLY | constants.O_NONBLOCK);
  return { r, w: openSync(dir.join(name), constants.O_WRONLY | constants.O_NONBLOCK) };
}

/** a quiet watch that reads what wakes it ("EOF" at the end, and stops there) */
function quietReader(fd: number): { watch: ReadableWatch; got: string[] } {
  const native = requireNative();
  const got: string[] = [];
  const buf = Buffer.alloc(4096);
  const watch = native.watchReadable(
    fd,
    () => {
      const n = native.readInto(fd, buf);
      if (n > 0) got.push(buf.toString('utf8', 0, n));
      else if (n === 0) {
        got.push('EOF');
        watch.stop();
      } else if (n !== -osConstants.errno.EAGAIN) got.push(`error ${n}`);
    },
    true,
  );
  return { watch, got };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));

test('native quiet watch: bytes waiting before start, each write after a drain, nothing while stopped, the writers\' last close', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir('tsv-watch-');
  const a = fifo(dir, 'a');
  const { watch, got } = quietReader(a.r);
  try {
    writeSync(a.w, 'early');
    watch.start();
    await poll(() => (got.length === 1 ? true : undefined), 'bytes written before start()', 3000);
    writeSync(a.w, 'two');
    await poll(() => (got.length === 2 ? true : undefined), 'a write after the first drain', 3000);
    writeSync(a.w, 'three');
    await poll(() => (got.length === 3 ? true : undefined), 'and after the next', 3000);
    watch.stop();
    writeSync(a.w, 'while-stopped');
    await settle();
    assert.deepEqual(got, ['early', 'two', 'three'], 'no callback while stopped');
    watch.start();
    await poll(() => (got.length === 4 ? true : undefined), 'what came while stopped, on start()', 3000);
    closeSync(a.w);
    a.w = -1;
    await poll(() => (got.length === 5 ? true : undefined), 'the end of file when the last writer closes', 3000);
    await settle();
    assert.deepEqual(got, ['early', 'two', 'three', 'while-stopped', 'EOF']);
  } finally {
    watch.close();
    closeSync(a.r);
    if (a.w >= 0) closeSync(a.w);
    dir.cleanup();
  }
});

test('native quiet watch: started on a pipe whose writers are gone, it reports the end of file', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir('tsv-watch-');
  const b = fifo(dir, 'b');
  closeSync(b.w);
  const { watch, got } = quietReader(b.r);
  try {
    watch.start();
    await poll(() => (got.length === 1 ? true : undefined), 'EOF on start()', 3000);
    assert.deepEqual(got, ['EOF']);
  } finally {
    watch.close();
    closeSync(b.r);
    dir.cleanup();
  }
});

test('native quiet watch: a callback that leaves bytes in the pipe is called again on the next turn of the event loop, not in a loop of its own', { skip: process.platform !== 'linux' }, async () => {
  const native = requireNative();
  const dir = new TempDir('tsv-watch-');
  const c = fifo(dir, 'c');
  const one = Buffer.alloc(1);
  let calls = 0;
  const watch = native.watchReadable(
    c.r,
    () => {
      calls++;
      if (native.readInto(c.r, one) <= 0) watch.stop();
    },
    true,
  );
  try {
    writeSync(c.w, 'x'.repeat(100));
    watch.start();
    // the first turns of the loop after start(): each sees at most a call or two, not all 100
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      seen.push(calls);
    }
    assert.ok(seen[4] < 100, `calls after 5 turns of the loop: ${seen.join(', ')}`);
    await poll(() => (calls >= 100 ? true : undefined), 'every byte read, one per call', 5000);
  } finally {
    watch.close();
    closeSync(c.r);
    closeSync(c.w);
    dir.cleanup();
  }
});
