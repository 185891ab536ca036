// The zero-copy output path: a channel whose bytes only go to a regular log
// file is moved from the child's pipe into the file with splice(2). Rotation
// stays exact (every byte once, in order, backups cut where a write of the
// program's ends, as Supervisor cuts after a read, or at a line end), output
// events are taken only from programs with *_events_enabled (a subscriber
// arriving mid-stream gets the bytes from then on), and the native
// call reports EAGAIN, EOF and EINVAL (what makes the engine fall back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, TempDir, writeConf, load, startEngine, waitState, rotatedLog } from './helpers/daemon-env';
import { ProcessState } from '../src/daemon/states';
import { Level } from '../src/log/levels';
import { requireNative, type NativeSpawnOptions } from '../src/daemon/native';
import { LogFile, ROTATION_READ, SPLICE_READ_INSTEAD } from '../src/log/logfile';
import { until as waitUntil } from './helpers/daemon-cli';

/**
 * bytes this process (and its reaped children) took in with read()-family
 * calls; splice does not count. (wchar would count the children's writes.)
 */
function rchar(): number {
  const m = /rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** native.spawn options for a child as this test process is: no user, umask or directory change, stderr into stdout. */
function plainSpawn(file: string, argv: string[]): NativeSpawnOptions {
  return { file, argv, env: [], cwd: null, umask: -1, uid: -1, gid: -1, groups: null, setuidError: null, redirectStderr: true, minfds: 1024 };
}

test('native spliceToFile: bytes moved, -EAGAIN when empty, 0 at EOF, -EINVAL into an O_APPEND file', { skip: process.platform !== 'linux' }, () => {
  const native = requireNative();
  const dir = new TempDir();
  const child = native.spawn(plainSpawn('/bin/sh', ['sh', '-c', 'printf abcdefghij; exec sleep 0.3']));
  const out = join(dir.path, 'out');
  writeFileSync(out, 'x');
  const app = openSync(out, constants.O_WRONLY | constants.O_APPEND);
  const fd = openSync(out, constants.O_WRONLY);
  try {
    // wait for the 10 bytes (blocking read is not available: ask until they are there)
    let n = -11;
    const until = Date.now() + 5000;
    while (n === -11 && Date.now() < until) {
      assert.equal(native.spliceToFile(child.stdout, app, 4), -22, 'O_APPEND refused with EINVAL');
      n = native.spliceToFile(child.stdout, fd, 4);
    }
    assert.equal(n, 4, 'at most maxBytes');
    assert.equal(native.spliceToFile(child.stdout, fd, 100), 6);
    assert.equal(native.spliceToFile(child.stdout, fd, 100), -11, 'empty pipe: -EAGAIN');
    assert.equal(readFileSync(out, 'utf8'), 'xabcdefghij', 'appended at the end, in order');
    let r = -11;
    while (r === -11 && Date.now() < until + 5000) r = native.spliceToFile(child.stdout, fd, 100);
    assert.equal(r, 0, 'EOF when the child exits');
  } finally {
    closeSync(app);
    closeSync(fd);
    closeSync(child.stdout);
    closeSync(child.stdin);
    native.kill(child.pid, 9);
    while (native.waitpid(child.pid) === -1) execFileSync('sleep', ['0.01']);
    dir.cleanup();
  }
});

test('native spliceToFile: a file that refuses the write gets -errno, takeSpare gives back what it refused, and those bytes never reach the next file', { skip: process.platform !== 'linux' }, () => {
  // Output passes through a spare pipe of the daemon's own on its way to the
  // file; what a failed write left there is taken out by takeSpare (LogFile
  // keeps the end of a torn line from it). RLIMIT_FSIZE makes the kernel
  // refuse writes past 10000 bytes with EFBIG (Node ignores SIGXFSZ).
  const dir = new TempDir();
  try {
    dir.file('data', 'a'.repeat(50000) + 'b'.repeat(100));
    const script = `
      const { closeSync, existsSync, openSync, readFileSync } = require('node:fs');
      const mod = { exports: {} };
      process.dlopen(mod, ${JSON.stringify(join(ROOT, 'build', 'native', 'tsv_native.node'))});
      const native = mod.exports;
      const d = ${JSON.stringify(dir.path)};
      const child = native.spawn({ file: '/bin/sh', argv: ['sh', '-c', 'cat ' + d + '/data; : > ' + d + '/written; exec sleep 5'],
        env: [], cwd: null, umask: -1, uid: -1, gid: -1, groups: null, setuidError: null, redirectStderr: true, minfds: 1024 });
      const until = Date.now() + 10000;
      while (!existsSync(d + '/written') && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      const big = openSync(d + '/big', 'w');
      const first = native.spliceToFile(child.stdout, big, 50000);
      const refused = native.takeSpare().toString('latin1');
      const next = openSync(d + '/next', 'w');
      const second = native.spliceToFile(child.stdout, next, 100);
      closeSync(big); closeSync(next);
      native.kill(child.pid, 9);
      console.log(JSON.stringify({ first, refused, second, big: readFileSync(d + '/big', 'latin1'), next: readFileSync(d + '/next', 'latin1') }));
    `;
    const out = execFileSync('prlimit', ['--fsize=10000', '--', process.execPath, '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { first: number; refused: string; second: number; big: string; next: string };
    assert.equal(r.first, -27, 'EFBIG reported');
    assert.equal(r.big, 'a'.repeat(10000), 'the file took what it could, in order');
    assert.equal(r.refused, 'a'.repeat(40000), 'what it refused, for the caller');
    assert.equal(r.second, 100);
    assert.equal(r.next, 'b'.repeat(100), 'the next file starts with what follows the refused bytes');
  } finally {
    dir.cleanup();
  }
});

test('splice path: rotation under load keeps every byte once, each backup holds maxbytes and at most one 128 KiB piece more (Supervisor\'s read), no bytes through JS', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir();
  const n = 800000; // ~5.9 MB of numbered lines, rotated every 256 KiB
  const body = `[program:flood]\ncommand=seq 1 ${n}\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/flood.log\nstdout_logfile_maxbytes=256KB\nstdout_logfile_backups=100\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  // Someone wants PROCESS_LOG events (as `tsv events -f` does), but this
  // program has no stdout_events_enabled: its output keeps the zero-copy path.
  const seen: Buffer[] = [];
  const off = te.engine.events.on('processOutput', (e) => seen.push(e.data));
  const before = rchar();
  try {
    await waitState(te.engine, 'flood', ProcessState.EXITED, 30000);
    const readIn = rchar() - before;
    const want = execFileSync('seq', ['1', String(n)], { maxBuffer: 64 * 1024 * 1024 });
    const { all, backupSizes } = rotatedLog(dir.path, 'flood.log');
    assert.ok(backupSizes.length > 10, `rotated ${backupSizes.length} times`);
    assert.equal(all.length, want.length, 'byte count');
    assert.ok(all.equals(want), 'content identical, in order');
    for (const size of backupSizes) assert.ok(size >= 256 * 1024 && size <= 256 * 1024 + 128 * 1024, `a spliced backup of ${size} bytes: rotated once a move reached maxbytes`);
    // the output never went through read(): only what seq, sh and the files' reads took in
    assert.ok(readIn < want.length / 10, `${readIn} bytes went through read() for ${want.length} bytes of output`);
    assert.equal(seen.length, 0, 'no output events for a program without stdout_events_enabled');
  } finally {
    off();
    await te.close();
    dir.cleanup();
  }
});

test('splice path: rotation falls where a write ends, so lines written whole stay whole in every file, as under Supervisor (before: cut at exactly maxbytes, mid-line)', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir();
  // 27-byte lines, each its own write, against a maxbytes of 100: every rotation comes in the middle of some line
  const line = (i: number): string => `line ${String(i).padStart(2, '0')} padded to thirty..\n`;
  const body =
    `[program:lines]\ncommand=/bin/sh -c 'for i in $(seq 1 40); do printf "line %%02d padded to thirty..\\n" $i; sleep 0.01; done'\nstartsecs=0\nautorestart=false\n` +
    `stdout_logfile=%(here)s/lines.log\nstdout_logfile_maxbytes=100\nstdout_logfile_backups=50\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  try {
    await waitState(te.engine, 'lines', ProcessState.EXITED, 30000);
    const { all, backupSizes } = rotatedLog(dir.path, 'lines.log');
    assert.equal(all.toString(), Array.from({ length: 40 }, (_, i) => line(i + 1)).join(''), 'every line once, in order');
    assert.ok(backupSizes.length >= 5, `rotated ${backupSizes.length} times`);
    for (let b = 1; b <= backupSizes.length; b++) {
      const text = readFileSync(join(dir.path, `lines.log.${b}`), 'utf8');
      assert.ok(text.length >= 100, `lines.log.${b} rotated before maxbytes: ${text.length} bytes`);
      assert.match(text, /^(line \d\d padded to thirty\.\.\n)+$/, `lines.log.${b} holds whole lines`);
    }
    assert.match(readFileSync(join(dir.path, 'lines.log'), 'utf8'), /^(line \d\d padded to thirty\.\.\n)*$/, 'the current file begins with a whole line');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('a pipe holding more than one read (1 MiB, the daemon busy meanwhile): every backup still ends at a line end, by splice and by read, as Supervisor\'s 64 KiB pipe gives', { skip: process.platform !== 'linux' }, async () => {
  // 37-byte lines, 100 to a write (3700 bytes, under PIPE_BUF: each write lands whole), 800 writes
  const command = `/usr/bin/python3 -c "import os; [os.write(1, (b'x' * 36 + b'\\\\n') * 100) for i in range(800)]"`;
  // strip_ansi takes the read path: pieces cut the same way there
  for (const [name, supervisordExtra] of [['spliced', ''], ['read', 'strip_ansi=true\n']] as const) {
    const dir = new TempDir();
    const body = `[program:${name}]\ncommand=${command}\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/${name}.log\nstdout_logfile_maxbytes=64KB\nstdout_logfile_backups=100\n`;
    const te = startEngine(load(writeConf(dir, body, supervisordExtra)), Level.INFO);
    try {
      await waitState(te.engine, name, ProcessState.RUNNING, 15000);
      // The engine runs in this process: hold its loop while the writer fills its pipe.
      execFileSync('sleep', ['0.5']);
      await waitState(te.engine, name, ProcessState.EXITED, 30000);
      const { all, backupSizes } = rotatedLog(dir.path, `${name}.log`);
      assert.equal(all.length, 800 * 3700, `${name}: byte count`);
      assert.ok(backupSizes.length > 20, `${name}: rotated ${backupSizes.length} times`);
      for (let b = 1; b <= backupSizes.length; b++) {
        const text = readFileSync(join(dir.path, `${name}.log.${b}`), 'latin1');
        assert.ok(text.length >= 64 * 1024 && text.length < 64 * 1024 + 128 * 1024, `${name}.log.${b}: ${text.length} bytes`);
        assert.ok(/^(x{36}\n)+$/.test(text), `${name}.log.${b} (${text.length} bytes) holds whole lines: ends ${JSON.stringify(text.slice(-40))}`);
      }
    } finally {
      await te.close();
      dir.cleanup();
    }
  }
});

test('a write with no line end that the read past maxbytes takes exactly (a whole page, the pipe then empty) is rotated after, as Supervisor rotates after its read: not left over maxbytes until the next output', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir();
  // maxbytes-1 go by splice, then one read of exactly 4096 bytes empties the pipe
  const body =
    `[program:w]\ncommand=/usr/bin/python3 -c "import os, time; os.write(1, b'a' * (9999 + ${ROTATION_READ})); time.sleep(30)"\nstartsecs=0\nautorestart=false\n` +
    'stdout_logfile=%(here)s/w.log\nstdout_logfile_maxbytes=10000\nstdout_logfile_backups=5\n';
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  try {
    await waitState(te.engine, 'w', ProcessState.RUNNING, 15000);
    await waitUntil(() => existsSync(join(dir.path, 'w.log.1')), 'w.log rotated while the program still runs', 5000);
    assert.equal(statSync(join(dir.path, 'w.log.1')).size, 9999 + ROTATION_READ);
    assert.equal(statSync(join(dir.path, 'w.log')).size, 0);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('a child writing a stream of small pieces: every byte once and in order, and no timer left once it stops', { skip: process.platform !== 'linux' }, async () => {
  // dd copying a file in 100-byte writes moves ~100 KiB per millisecond: the
  // daemon empties such a pipe from a 1 ms timer while it keeps coming, and
  // must go back to waiting on the pipe alone (no timer at all) once it stops
  const dir = new TempDir();
  const expected = execFileSync('seq', ['1', '3000000'], { maxBuffer: 64 * 1024 * 1024 });
  dir.file('src', expected.toString('latin1'));
  const te = startEngine(
    load(
      writeConf(
        dir,
        "[program:dd]\ncommand=/bin/sh -c 'sleep 0.5; dd if=%(here)s/src bs=100 status=none; exec sleep 100'\nstartsecs=0\n" +
          'stdout_logfile=%(here)s/dd.log\nstdout_logfile_maxbytes=0\n',
      ),
    ),
  );
  try {
    await waitState(te.engine, 'dd', ProcessState.RUNNING);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const log = join(dir.path, 'dd.log');
    const size = (): number => (existsSync(log) ? statSync(log).size : 0);
    const until = Date.now() + 30000;
    while (size() < expected.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(readFileSync(log).equals(expected), 'the log holds exactly what dd wrote');
    assert.equal(timers(), before, 'no timer is left once the child stops writing');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('splice path: an output subscriber arriving mid-stream gets the bytes from then on, none lost or doubled', { skip: process.platform !== 'linux' }, async () => {
  const dir = new TempDir();
  // about 2 s of numbered lines, paced so the subscriber lands in the middle
  const script = 'i=0; while [ $i -lt 40 ]; do seq $((i*5000+1)) $((i*5000+5000)); i=$((i+1)); sleep 0.05; done';
  const body = `[program:paced]\ncommand=sh -c '${script}'\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/paced.log\nstdout_logfile_maxbytes=64KB\nstdout_logfile_backups=1000\nstdout_events_enabled=true\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  const seen: Buffer[] = [];
  let off: (() => void) | null = null;
  try {
    await waitState(te.engine, 'paced', ProcessState.RUNNING, 10000);
    await new Promise((r) => setTimeout(r, 700));
    off = te.engine.events.on('processOutput', (e) => seen.push(e.data));
    await waitState(te.engine, 'paced', ProcessState.EXITED, 30000);
    const want = execFileSync('seq', ['1', '200000'], { maxBuffer: 64 * 1024 * 1024 });
    const { all } = rotatedLog(dir.path, 'paced.log');
    assert.equal(all.length, want.length, 'byte count');
    assert.ok(all.equals(want), 'content identical, in order');
    const got = Buffer.concat(seen);
    assert.ok(got.length > 0 && got.length < want.length, `the subscriber saw ${got.length} of ${want.length} bytes`);
    assert.ok(want.subarray(want.length - got.length).equals(got), 'it saw exactly the tail, from its arrival on');
  } finally {
    off?.();
    await te.close();
    dir.cleanup();
  }
});

test('output events carry at most 64 KiB each, as a read of Supervisor\'s 64 KiB pipe does, also when the daemon reads a whole 1 MiB pipe at once', async () => {
  const dir = new TempDir();
  const want = execFileSync('seq', ['1', '1000000'], { maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(dir.path, 'numbers'), want);
  // cat fills the pipe faster than one wake-up drains it
  const body = `[program:fast]\ncommand=sh -c 'sleep 0.5; exec cat ${join(dir.path, 'numbers')}'\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/fast.log\nstdout_events_enabled=true\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  const seen: Buffer[] = [];
  const off = te.engine.events.on('processOutput', (e) => seen.push(e.data));
  try {
    await waitState(te.engine, 'fast', ProcessState.EXITED, 30000);
    assert.ok(Buffer.concat(seen).equals(want), 'the events hold the output, in order');
    const largest = Math.max(...seen.map((b) => b.length));
    assert.equal(largest, 64 * 1024, `the largest event: ${largest} bytes`);
    assert.ok(readFileSync(join(dir.path, 'fast.log')).equals(want), 'the log too');
  } finally {
    off();
    await te.close();
    dir.cleanup();
  }
});

test('splice path: a fast stream gets its blocks allocated ahead (not on tmpfs), never past maxbytes, given back at close (its modification time kept) unless someone else wrote', { skip: process.platform !== 'linux' }, () => {
  // Writes into blocks allocated ahead cost the daemon a quarter less CPU on
  // ext4 (bench/daemon/README.md); the allocation must never show in the
  // file's content or size, never outlive the file's close, and never cut
  // what another writer appended.
  const native = requireNative();
  const dir = new TempDir();
  const MiB = 1024 * 1024;
  const source = Buffer.alloc(3 * MiB);
  for (let i = 0; i < source.length; i += 4) source.writeUInt32LE(i, i);
  const src = join(dir.path, 'src');
  writeFileSync(src, source);
  const nap = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  /** bytes the file system has allocated to the file (delayed allocations included) */
  const allocated = (p: string): number => statSync(p).blocks * 512;
  const pageUp = (n: number): number => Math.ceil(n / 4096) * 4096;
  // cat fills its 1 MiB pipe and waits: the first splice then moves a whole pipe
  const stream = (log: LogFile, afterFirst: () => void): void => {
    const child = native.spawn({ ...plainSpawn('/bin/cat', ['cat', src]), pipeSize: MiB });
    try {
      nap(300);
      let first = true;
      const until = Date.now() + 10000;
      for (;;) {
        let n = log.spliceFrom(child.stdout, native);
        if (n === SPLICE_READ_INSTEAD) {
          // as the daemon's pump does: the moves that may end the file are reads
          const buf = Buffer.alloc(ROTATION_READ);
          n = native.readInto(child.stdout, buf);
          if (n > 0) {
            log.write(buf.subarray(0, n), n === buf.length);
            continue;
          }
        }
        if (n === 0) break;
        assert.ok(n > 0 || n === -11, `spliceFrom: ${n}`);
        if (n === -11) nap(2);
        else if (first) {
          first = false;
          assert.equal(n, MiB, 'the first splice took the whole pipe');
          afterFirst();
        }
        assert.ok(Date.now() < until, 'cat finished');
      }
    } finally {
      closeSync(child.stdout);
      closeSync(child.stdin);
      while (native.waitpid(child.pid) === -1) nap(5);
    }
  };
  try {
    const plain = join(dir.path, 'plain.log');
    const log = new LogFile(plain, 0, 0);
    stream(log, () => {
      const ahead = allocated(plain) - statSync(plain).size;
      assert.ok(ahead >= MiB, `blocks allocated ahead of the stream's end: ${ahead}`);
      assert.ok(ahead <= 2 * MiB + 64 * 1024, `at most 2 MiB ahead: ${ahead}`);
    });
    assert.ok(allocated(plain) > source.length, 'still allocated ahead while the file is open');
    const written = statSync(plain, { bigint: true }).mtimeNs;
    nap(50);
    log.close();
    assert.ok(readFileSync(plain).equals(source), 'the file holds exactly the stream');
    // giving the blocks back (a truncate to the same size) is no write: the file keeps its last write's time
    assert.equal(statSync(plain, { bigint: true }).mtimeNs, written, 'the modification time moved at close');
    assert.ok(allocated(plain) <= pageUp(source.length) + 8192, `given back at close: ${allocated(plain)} for ${source.length}`);

    // rotation at 2 MiB: with 1 MiB written the file gets blocks up to maxbytes, not 2 MiB ahead
    const rotated = join(dir.path, 'rot.log');
    const rlog = new LogFile(rotated, 2 * MiB, 1);
    stream(rlog, () => assert.ok(allocated(rotated) <= 2 * MiB + 8192, `not past maxbytes: ${allocated(rotated)}`));
    rlog.close();
    // rotated at the first byte 0x0a (a line end) from 2 MiB on, at most one 128 KiB piece past it (Supervisor's read)
    const backup = statSync(`${rotated}.1`).size;
    assert.ok(backup >= 2 * MiB && backup <= 2 * MiB + 128 * 1024, `the backup: ${backup} bytes`);
    assert.ok(allocated(`${rotated}.1`) <= pageUp(backup) + 8192, `the backup keeps nothing extra: ${allocated(`${rotated}.1`)}`);
    assert.ok(Buffer.concat([readFileSync(`${rotated}.1`), readFileSync(rotated)]).equals(source));

    // another writer appends after the stream: its bytes stay, blocks and all
    const shared = join(dir.path, 'shared.log');
    const slog = new LogFile(shared, 0, 0);
    stream(slog, () => undefined);
    const other = openSync(shared, constants.O_WRONLY | constants.O_APPEND);
    writeFileSync(other, 'the other writer\n');
    closeSync(other);
    slog.close();
    assert.ok(readFileSync(shared).equals(Buffer.concat([source, Buffer.from('the other writer\n')])), 'nothing cut');

    // tmpfs: blocks there are RAM, and writes are no cheaper into them
    const shm = '/dev/shm';
    if (existsSync(shm) && spawnSync('stat', ['-f', '-c', '%T', shm], { encoding: 'utf8' }).stdout.trim() === 'tmpfs') {
      const inRam = join(mkdtempSync(join(shm, 'tsv-test-')), 'ram.log');
      try {
        const mlog = new LogFile(inRam, 0, 0);
        stream(mlog, () => {
          const ahead = allocated(inRam) - statSync(inRam).size;
          assert.ok(ahead < 64 * 1024, `no blocks ahead on tmpfs: ${ahead}`);
        });
        mlog.close();
        assert.ok(readFileSync(inRam).equals(source));
      } finally {
        rmSync(dirname(inRam), { recursive: true, force: true });
      }
    }
  } finally {
    dir.cleanup();
  }
});

test('a FIFO put at the log name does not stop the daemon: the splice goes on into the file it has open', { skip: process.platform !== 'linux' }, () => {
  const native = requireNative();
  const dir = new TempDir();
  const nap = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const path = join(dir.path, 'f.log');
  const log = new LogFile(path, 0, 0);
  // the program's user owns the directory: the log moved aside, a FIFO in its place
  renameSync(path, `${path}.old`);
  execFileSync('mkfifo', [path]);
  // opening the FIFO for writing would wait for a reader: one comes after 5 s, so a hang ends
  const reader = spawn('sh', ['-c', `sleep 5; exec cat "$0" >/dev/null`, path], { stdio: 'ignore' });
  const child = native.spawn(plainSpawn('/bin/sh', ['sh', '-c', 'printf hello']));
  try {
    nap(200);
    const t0 = Date.now();
    let moved = 0;
    for (let n; (n = log.spliceFrom(child.stdout, native)) !== 0; ) {
      if (n > 0) moved += n;
      else nap(2);
      if (Date.now() - t0 > 10000) break;
    }
    assert.ok(Date.now() - t0 < 2000, `the daemon waited ${Date.now() - t0} ms in open()`);
    assert.equal(moved, 5);
    log.close();
    assert.equal(readFileSync(`${path}.old`, 'utf8'), 'hello');
  } finally {
    reader.kill();
    closeSync(child.stdout);
    closeSync(child.stdin);
    while (native.waitpid(child.pid) === -1) nap(5);
    dir.cleanup();
  }
});

/**
 * Another process, as logrotate's copytruncate is: looks at the head of the file (argv[1]), then cuts
 * it to nothing, 300 times, 5 ms apart, and prints how many heads began with NULs.
 */
const CUTTER = `
  const fs = require('fs');
  const head = Buffer.alloc(64);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let nuls = 0;
  for (let i = 0; i < 300; i++) {
    const fd = fs.openSync(process.argv[1], 'r+');
    const n = fs.readSync(fd, head, 0, 64, 0);
    if (head.subarray(0, n).includes(0)) nuls++;
    fs.ftruncateSync(fd, 0);
    fs.closeSync(fd);
    Atomics.wait(nap, 0, 0, 5);
  }
  console.log(nuls);`;
const CUT_LINE = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef';

test('native spliceToFile: a cut between its finding the end and its write into the file is mended, the bytes moved to the start, so no hole stays', { skip: process.platform !== 'linux', timeout: 90000 }, () => {
  const native = requireNative();
  const dir = new TempDir();
  const path = join(dir.path, 'cut.log');
  writeFileSync(path, '');
  // read-write, as the daemon opens it: the mending reads back what it wrote
  const fd = openSync(path, constants.O_RDWR);
  const writer = native.spawn(plainSpawn('/usr/bin/yes', ['yes', CUT_LINE]));
  const cutter = native.spawn(plainSpawn(process.execPath, [process.execPath, '-e', CUTTER, path]));
  try {
    const deadline = Date.now() + 60000;
    while (native.waitpid(cutter.pid) === -1 && Date.now() < deadline) native.spliceToFile(writer.stdout, fd, 1 << 20);
    const said = Buffer.alloc(64);
    const n = native.readInto(cutter.stdout, said);
    // a reader can see a hole only between a write and its mending (without it: ~50 of 300)
    const nuls = Number(said.subarray(0, Math.max(0, n)).toString().trim());
    assert.ok(Number.isInteger(nuls) && nuls <= 5, `${said.subarray(0, Math.max(0, n)).toString().trim()} heads of the file began with NULs after a cut`);
  } finally {
    closeSync(fd);
    for (const c of [writer, cutter]) {
      closeSync(c.stdout);
      closeSync(c.stdin);
      native.kill(c.pid, 9);
      while (native.waitpid(c.pid) === -1) execFileSync('sleep', ['0.01']);
    }
    dir.cleanup();
  }
});

test('a log file cut under the splice path (copytruncate) goes over to O_APPEND writes, which find the end under the file\'s lock', { skip: process.platform !== 'linux' }, () => {
  const native = requireNative();
  const dir = new TempDir();
  const path = join(dir.path, 'c.log');
  const log = new LogFile(path, 0, 0);
  const child = native.spawn(plainSpawn('/bin/sh', ['sh', '-c', 'printf first; sleep 0.3; printf second; exec sleep 5']));
  const nap = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const splice = (): number => {
    for (const until = Date.now() + 5000; Date.now() < until; nap(5)) {
      const n = log.spliceFrom(child.stdout, native);
      if (n !== -11) return n;
    }
    return -11;
  };
  try {
    assert.equal(splice(), 5);
    assert.equal(readFileSync(path, 'utf8'), 'first');
    truncateSync(path, 0);
    // the next call sees the cut, takes nothing and says splice is not for this file any more
    assert.equal(log.spliceFrom(child.stdout, native), -22);
    assert.equal(log.spliceable, false);
    log.write(Buffer.from('by write'));
    assert.equal(readFileSync(path, 'utf8'), 'by write');
  } finally {
    log.close();
    closeSync(child.stdout);
    closeSync(child.stdin);
    native.kill(child.pid, 9);
    while (native.waitpid(child.pid) === -1) nap(10);
    dir.cleanup();
  }
});

test('logrotate copytruncate under a fast stream: a truncation between the daemon finding the end and writing there leaves no run of NULs (the bytes go to the start, as an O_APPEND write puts them)', { skip: process.platform !== 'linux', timeout: 60000 }, async () => {
  const dir = new TempDir();
  const line = CUT_LINE;
  const body = `[program:fast]\ncommand=yes ${line}\nstartsecs=0\nstdout_logfile=%(here)s/fast.log\nstdout_logfile_maxbytes=0\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  try {
    await waitState(te.engine, 'fast', ProcessState.RUNNING, 10000);
    // not spawnSync: the engine runs in this process and must go on writing meanwhile
    const child = spawn(process.execPath, ['-e', CUTTER, join(dir.path, 'fast.log')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    child.stdout.on('data', (b: Buffer) => (said += b.toString()));
    const status = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(status, 0);
    // The first cut can land between a splice's write and its mending, where this reader may see the
    // hole for a moment; after that cut the file takes O_APPEND writes (without the fix: 54 of 300)
    assert.ok(Number(said.trim()) <= 1, `${said.trim()} heads of the file began with NULs after a cut`);
    await te.close();
    const rest = readFileSync(join(dir.path, 'fast.log'));
    assert.ok(rest.length > 0);
    assert.equal(rest.indexOf(0), -1, 'a NUL in the file as the stream ended');
    // after the first (cut) line, whole lines of the program's
    assert.ok(rest.toString().split('\n').slice(1, -1).every((l) => l === line));
  } finally {
    await te.close();
    dir.cleanup();
  }
});
