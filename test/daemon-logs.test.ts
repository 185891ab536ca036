// Logs: main log line format and levels, child logs (AUTO names, NONE,
// redirect, strip_ansi, capture mode), size rotation under load with every
// byte accounted for, reopen, and Supervisor's read/tail semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TempDir, writeConf, load, startEngine, waitState, sleep, rotatedLog } from './helpers/daemon-env';
import { daemonForeground, poll, TSV, until } from './helpers/daemon-cli';
import { ProcessState } from '../src/daemon/states';
import { MainLogger, FileSink } from '../src/log/mainlog';
import { asctime } from '../src/log/asctime';
import { Level, LEVEL_BY_NAME } from '../src/log/levels';
import { LogFile, failureWords } from '../src/log/logfile';
import { loadNative } from '../src/daemon/native';
import { stripEscapes, ChannelLog } from '../src/log/childlog';
import { clearAutoChildLogDir, autoChildLogName } from '../src/log/autolog';
import { readFile, tailFile } from '../src/log/readlog';
import { oracleSkip, startDaemon as startOracleDaemon, waitUp } from './helpers/events-env';

test('main log: Supervisor line format, level filter, 4-letter tags', () => {
  const dir = new TempDir();
  try {
    const log = new MainLogger(LEVEL_BY_NAME.info);
    log.info('before sinks are set');
    log.setSinks([new FileSink(dir.join('m.log'), 0, 0)]);
    log.critical('c');
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.blather('b');
    log.close();
    const lines = dir.read('m.log').split('\n').filter(Boolean);
    assert.deepEqual(
      lines.map((l) => l.slice(24)),
      ['INFO before sinks are set', 'CRIT c', 'ERRO e', 'WARN w', 'INFO i'],
    );
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]{4} /);
    assert.match(asctime(Date.UTC(2026, 0, 2, 3, 4, 5, 7)), /^2026-01-0\d \d\d:04:05,007$/);
    assert.deepEqual(Object.values(Level), [50, 40, 30, 20, 10, 5, 3]);
  } finally {
    dir.cleanup();
  }
});

test('rotation under load: every byte kept exactly once across base and backups', async () => {
  const dir = new TempDir();
  // ~5.9 MB of numbered lines, rotated every 256 KiB
  const n = 800000;
  const body = `[program:flood]\ncommand=seq 1 ${n}\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/flood.log\nstdout_logfile_maxbytes=256KB\nstdout_logfile_backups=100\n`;
  const te = startEngine(load(writeConf(dir, body)), Level.INFO);
  try {
    await waitState(te.engine, 'flood', ProcessState.EXITED, 30000);
    const { all, backupSizes } = rotatedLog(dir.path, 'flood.log');
    assert.ok(backupSizes.length > 10, `rotated ${backupSizes.length} times`);
    const want = execFileSync('seq', ['1', String(n)], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(all.length, want.length, 'byte count');
    assert.ok(all.equals(want), 'content identical, in order');
    for (const size of backupSizes) assert.ok(size >= 256 * 1024 && size < 256 * 1024 + 128 * 1024, `a backup is ${size} bytes`);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

/** Opens $1 over and over until $2 exists, then prints "OPENED MISSING". */
const OPENER = `import os, sys
opened = missing = 0
print('ready', flush=True)
while not os.path.exists(sys.argv[2]):
    for _ in range(200):
        try:
            os.close(os.open(sys.argv[1], os.O_RDONLY))
            opened += 1
        except FileNotFoundError:
            missing += 1
print(opened, missing)
`;

test('rotation: a reader can always open the log by its name (Supervisor leaves the name absent between its rename and the new file)', async () => {
  const dir = new TempDir();
  try {
    const path = dir.join('busy.log');
    const f = new LogFile(path, 100, 3);
    const reader = spawn('/usr/bin/python3', ['-c', OPENER, path, dir.join('stop')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await until(() => out.startsWith('ready\n'), 'the reader');
    const line = `${'x'.repeat(99)}\n`;
    const started = Date.now();
    let rotations = 0;
    while (Date.now() - started < 1500) {
      f.write(line);
      rotations++;
    }
    writeFileSync(dir.join('stop'), '');
    await once(reader, 'exit');
    f.close();
    const [opened, missing] = (out.split('\n')[1] ?? '').split(' ').map(Number);
    assert.ok((opened ?? 0) > 1000, `${out} (${rotations} rotations)`);
    assert.equal(missing, 0, `${missing} of ${opened} opens found no file, in ${rotations} rotations`);
    // the files end up as Supervisor's: the newest backup is .1, and no new file is left under another name
    assert.deepEqual(readdirSync(dir.path).sort(), ['busy.log', 'busy.log.1', 'busy.log.2', 'busy.log.3', 'stop']);
    assert.equal(dir.read('busy.log.1'), line);
    assert.equal(dir.read('busy.log'), '');
  } finally {
    dir.cleanup();
  }
});

test('rotation after a cleanup script removed the active log: no backup of it (the link fails; renaming, as Supervisor does, finds nothing), a new file takes the name', () => {
  const dir = new TempDir();
  try {
    const f = new LogFile(dir.join('c.log'), 10, 2);
    f.write('kept-012\n');
    f.write('rotates\n');
    rmSync(dir.join('c.log'));
    f.write('into the removed file\n');
    f.write('new\n');
    f.close();
    assert.deepEqual(readdirSync(dir.path).sort(), ['c.log', 'c.log.2']);
    assert.equal(dir.read('c.log.2'), 'kept-012\nrotates\n');
    assert.equal(dir.read('c.log'), 'new\n');
  } finally {
    dir.cleanup();
  }
});

test('rotation never writes through a name planted in the log directory: a link at .NAME.rotating is removed, not written through; a directory there leaves Supervisor\'s path, which still rotates', () => {
  const dir = new TempDir();
  try {
    // the program's user owns the log directory: what it plants there must not turn the daemon's writes elsewhere
    const victim = dir.file('victim', 'SECRET\n');
    const f = new LogFile(dir.join('a.log'), 10, 2);
    symlinkSync(victim, dir.join('.a.log.rotating'));
    f.write('first-0123\n');
    f.write('second\n');
    f.close();
    assert.equal(readFileSync(victim, 'utf8'), 'SECRET\n');
    assert.equal(dir.read('a.log.1'), 'first-0123\n');
    assert.equal(dir.read('a.log'), 'second\n');
    for (const n of ['a.log', 'a.log.1']) assert.ok(lstatSync(dir.join(n)).isFile(), `${n} is not a plain file`);
    // a directory there cannot be removed: Supervisor's way (rename NAME, make NAME), and what appears at NAME meanwhile is not opened
    mkdirSync(dir.join('.b.log.rotating'));
    const g = new LogFile(dir.join('b.log'), 10, 2);
    g.write('first-0123\n');
    g.write('second\n');
    g.close();
    assert.equal(dir.read('b.log.1'), 'first-0123\n');
    assert.equal(dir.read('b.log'), 'second\n');
    assert.ok(lstatSync(dir.join('b.log')).isFile());
    assert.equal(readFileSync(victim, 'utf8'), 'SECRET\n');
  } finally {
    dir.cleanup();
  }
});

test("a rotated log's new file keeps the old one's permission bits (an AUTO log's 0600, an admin's 0640), on both rotation paths", () => {
  const dir = new TempDir();
  try {
    for (const [name, mode] of [['auto.log', 0o600], ['shared.log', 0o640]] as const) {
      dir.file(name, '', mode);
      const f = new LogFile(dir.join(name), 10, 2);
      f.write('first-0123\n');
      f.write('second\n');
      f.close();
      assert.equal(lstatSync(dir.join(name)).mode & 0o777, mode, name);
      assert.equal(dir.read(name), 'second\n');
    }
    // Supervisor's path (the hidden name cannot be had)
    dir.file('fallback.log', '', 0o600);
    mkdirSync(dir.join('.fallback.log.rotating'));
    const g = new LogFile(dir.join('fallback.log'), 10, 2);
    g.write('first-0123\n');
    g.write('second\n');
    g.close();
    assert.equal(lstatSync(dir.join('fallback.log')).mode & 0o777, 0o600);
  } finally {
    dir.cleanup();
  }
});

test('rotation keeps only `backups` files (plain ones: NAME.i.gz are not its own without *_logfile_compress); backups=0 truncates in place', () => {
  const dir = new TempDir();
  try {
    // a backup gzipped while *_logfile_compress was on (or by logrotate's compress): left alone without the option
    dir.file('r.log.2.gz', 'gzipped');
    const f = new LogFile(dir.join('r.log'), 10, 2);
    for (let i = 0; i < 5; i++) f.write(`chunk-${i}-xxxx\n`);
    f.close();
    assert.deepEqual(readdirSync(dir.path).sort(), ['r.log', 'r.log.1', 'r.log.2', 'r.log.2.gz']);
    assert.equal(dir.read('r.log.2.gz'), 'gzipped');
    assert.equal(dir.read('r.log.1'), 'chunk-4-xxxx\n');
    assert.equal(dir.read('r.log.2'), 'chunk-3-xxxx\n');
    assert.equal(dir.read('r.log'), '');
    const z = new LogFile(dir.join('z.log'), 10, 0);
    z.write('0123456789AB');
    z.write('cd');
    z.close();
    assert.equal(dir.read('z.log'), 'cd');
    assert.ok(!existsSync(dir.join('z.log.1')));
  } finally {
    dir.cleanup();
  }
});

test("rotation follows the file's own size: a truncation (copytruncate) and another writer's bytes count", () => {
  // Supervisor checks tell() after each write, which is the file's end, not
  // a count of what it wrote itself (test/daemon-differential.test.ts runs both daemons)
  const dir = new TempDir();
  try {
    const f = new LogFile(dir.join('t.log'), 100, 1);
    f.write('a'.repeat(60));
    truncateSync(dir.join('t.log'), 0); // logrotate copytruncate
    f.write('b'.repeat(60)); // a tally would be at 120 here and rotate
    assert.ok(!existsSync(dir.join('t.log.1')), 'not rotated: the file holds 60 bytes');
    appendFileSync(dir.join('t.log'), 'x'.repeat(30)); // another process appends
    f.write('c'.repeat(20)); // 110 in the file; a tally would be at 80
    assert.equal(dir.read('t.log.1'), 'b'.repeat(60) + 'x'.repeat(30) + 'c'.repeat(20));
    assert.equal(dir.read('t.log'), '');
    f.close();
  } finally {
    dir.cleanup();
  }
});

/** A LogFileReport that records what it is told. */
function recordReports(f: LogFile): string[] {
  const said: string[] = [];
  f.report = { failed: (what, err) => said.push(`failed ${what} ${err.code}`), recovered: (lost) => said.push(`recovered ${lost}`) };
  return said;
}

test('a log file that refuses writes (disk full) drops the output, says so once, never throws', () => {
  const f = new LogFile('/dev/full', 0, 0);
  const said = recordReports(f);
  f.write('x'.repeat(100));
  f.write('y'.repeat(50));
  f.close();
  assert.deepEqual(said, ['failed write ENOSPC']);
});

test('a log file on a pipe nobody reads (/dev/stdout of `tsv daemon -n | head`) drops the output, says so once, never throws', () => {
  const dir = new TempDir();
  try {
    const fifo = dir.join('fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const f = new LogFile(fifo, 100, 1);
    const said = recordReports(f);
    closeSync(reader);
    f.write('x\n');
    f.write('y\n');
    f.close();
    assert.deepEqual(said, ['failed write EPIPE']);
  } finally {
    dir.cleanup();
  }
});

test('a rotation that cannot rename keeps writing to the file, says so once, and rotates once it can', () => {
  const dir = new TempDir();
  try {
    const f = new LogFile(dir.join('r.log'), 10, 1);
    const said = recordReports(f);
    const told = f.report;
    const words: string[] = [];
    f.report = { failed: (what, err) => (told?.failed(what, err), words.push(failureWords(what, err, f.path).reason)), recovered: (lost) => told?.recovered(lost) };
    mkdirSync(dir.join('r.log.1'));
    writeFileSync(dir.join('r.log.1', 'keep'), ''); // a directory in the way: unlink says EISDIR
    f.write('0123456789A\n');
    f.write('more\n');
    assert.equal(dir.read('r.log'), '0123456789A\nmore\n', 'nothing lost while rotation fails');
    rmSync(dir.join('r.log.1'), { recursive: true });
    f.write('last\n');
    f.close();
    assert.equal(dir.read('r.log.1'), '0123456789A\nmore\nlast\n');
    assert.equal(dir.read('r.log'), '');
    assert.deepEqual(said, ['failed rotate EISDIR']);
    assert.deepEqual(words, [`EISDIR (${dir.join('r.log.1')}: it is a directory)`], 'the message names what is in the way, not the log file');
    assert.deepEqual(readdirSync(dir.path).sort(), ['r.log', 'r.log.1'], 'the new file made for the failed rotations is not left behind');
  } finally {
    dir.cleanup();
  }
});

test('a log file whose directory went away: rotation and reopen say so once, output is counted lost, the file comes back with the directory', () => {
  const dir = new TempDir();
  try {
    const logs = dir.join('logs');
    mkdirSync(logs);
    const f = new LogFile(join(logs, 'w.log'), 10, 1);
    const said = recordReports(f);
    rmSync(logs, { recursive: true });
    f.write('0123456789\n'); // into the removed file, then no new file after rotation
    f.write('dropped\n');
    assert.equal(f.reopen(), false, 'SIGUSR2 cannot open it either, and does not throw');
    f.write('dropped too\n');
    mkdirSync(logs);
    f.write('back\n');
    f.close();
    assert.equal(readFileSync(join(logs, 'w.log'), 'utf8'), 'back\n');
    assert.deepEqual(said, ['failed reopen ENOENT', `recovered ${'dropped\n'.length + 'dropped too\n'.length}`]);
  } finally {
    dir.cleanup();
  }
});

/** Waits until the main log matches `re` and returns the match. */
function waitMainLog(dir: TempDir, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return poll(() => dir.read('supervisord.log').match(re) ?? undefined, what);
}

const TALKER = `command=/bin/sh -c 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.002; done'\nstartsecs=0\n`;

test('engine: a child log whose directory is removed never stops the daemon; the output comes back with the directory', async () => {
  // at INFO the bytes go by splice, whose rotation met the missing directory
  // and took the daemon down with an uncaught ENOENT before
  const dir = new TempDir();
  const logs = dir.join('logs');
  mkdirSync(logs);
  const te = startEngine(load(writeConf(dir, `[program:w]\n${TALKER}stdout_logfile=${logs}/w.log\nstdout_logfile_maxbytes=2KB\nstdout_logfile_backups=1\n`)), Level.INFO);
  try {
    await waitState(te.engine, 'w', ProcessState.RUNNING);
    await until(() => existsSync(join(logs, 'w.log.1')), 'a first rotation');
    rmSync(logs, { recursive: true });
    await waitMainLog(dir, /ERRO could not reopen log file \S+\/logs\/w\.log for program 'w': ENOENT \(the directory does not exist\); its stdout output is dropped until the file can be opened again\n/, 'the failure reported');
    // Output must reach the daemon while the directory is away. On a loaded
    // machine the talker may not have written since the failure: wait until
    // its shell has written a line more, then give the loop (this process's)
    // one poll, which finds that line in the pipe.
    const talker = te.engine.groups.get('w')?.processes.get('w')?.pid ?? 0;
    const written = (): number => Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${talker}/io`, 'utf8'))?.[1]);
    const atFailure = written();
    await until(() => written() > atFailure, 'the talker writing while the directory is away');
    await sleep(50);
    mkdirSync(logs);
    const back = await waitMainLog(dir, /WARN log file \S+\/logs\/w\.log for program 'w' takes output again; (\d+) bytes of stdout output were dropped\n/, 'the recovery reported');
    assert.ok(Number(back[1]) > 0, 'some output was dropped meanwhile');
    await until(() => dir.read(join(logs, 'w.log')).split('\n').length >= 20, 'the new file filling');
    const lines = dir.read(join(logs, 'w.log')).split('\n').filter(Boolean);
    const first = Number(lines[0].split(' ')[1]);
    assert.deepEqual(lines.slice(0, 10), Array.from({ length: 10 }, (_, i) => `line ${first + i}`), 'whole lines, in order');
    assert.equal(dir.read('supervisord.log').match(/could not reopen/g)?.length, 1, 'said once');
    assert.equal(te.engine.groups.get('w')?.processes.get('w')?.state, ProcessState.RUNNING);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

const canMount = process.getuid?.() === 0 ? false : 'needs root to mount a small tmpfs';

/** A TempDir with a tmpfs of `size` mounted at `small` in it (a disk to fill); cleanup() unmounts it first. */
function smallDisk(size: string): { dir: TempDir; small: string; cleanup(): void } {
  const dir = new TempDir();
  const small = dir.join('small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small]);
  return {
    dir,
    small,
    cleanup: () => {
      execFileSync('umount', [small]);
      dir.cleanup();
    },
  };
}

test('a write the full disk cuts short: the rest of its line is written first when there is room, and only whole lines are counted lost (write and splice)', { skip: canMount }, () => {
  const { dir, small, cleanup } = smallDisk('16k');
  const native = loadNative();
  try {
    for (const how of ['write', 'splice'] as const) {
      // one page (4 KiB) left for the log: 10-byte lines, the 410th cut after 6 bytes
      writeFileSync(join(small, 'filler'), Buffer.alloc(12 * 1024));
      const f = new LogFile(join(small, `${how}.log`), 0, 0);
      const said = recordReports(f);
      const line = (i: number): string => `line ${String(i).padStart(4, '0')}\n`;
      let first = '';
      for (let i = 1; i <= 500; i++) first += line(i);
      if (how === 'write') {
        for (let i = 1; i <= 500; i++) f.write(line(i));
      } else {
        execFileSync('mkfifo', [dir.join('fifo')]);
        const r = openSync(dir.join('fifo'), constants.O_RDONLY | constants.O_NONBLOCK);
        const w = openSync(dir.join('fifo'), constants.O_WRONLY | constants.O_NONBLOCK);
        writeFileSync(w, first);
        assert.ok(native);
        assert.ok(f.spliceFrom(r, native) < 0, 'the splice fails');
        closeSync(w);
        closeSync(r);
        rmSync(dir.join('fifo'));
      }
      rmSync(join(small, 'filler'));
      f.write(line(501));
      f.close();
      assert.equal(readFileSync(join(small, `${how}.log`), 'utf8'), first.slice(0, 410 * 10) + line(501), how);
      assert.deepEqual(said, ['failed write ENOSPC', `recovered ${90 * 10}`], how);
      rmSync(join(small, `${how}.log`));
    }
  } finally {
    cleanup();
  }
});

test('engine: a full disk never stops the daemon; output is dropped, said once, and written again once there is room', { skip: canMount }, async () => {
  const { dir, small, cleanup } = smallDisk('128k');
  writeFileSync(join(small, 'filler'), Buffer.alloc(96 * 1024));
  // ~100-byte lines fill the 32 KiB left in about a second; TALKER's 8-byte ones
  // took 8-13 s on a loaded machine, against the 15 s the wait allows
  const filler = `command=/bin/sh -c 'i=0; while :; do printf "line %%0100d\\n" $i; i=$((i+1)); sleep 0.002; done'\nstartsecs=0\n`;
  const te = startEngine(load(writeConf(dir, `[program:w]\n${filler}stdout_logfile=${small}/w.log\nstdout_logfile_maxbytes=0\n`)), Level.INFO);
  try {
    await waitMainLog(dir, /ERRO could not write to log file \S+\/small\/w\.log for program 'w': ENOSPC \(no space left on device\); its stdout output is dropped until a write works again\n/, 'the failure reported');
    await sleep(200);
    assert.equal(te.engine.groups.get('w')?.processes.get('w')?.state, ProcessState.RUNNING);
    rmSync(join(small, 'filler'));
    const back = await waitMainLog(dir, /WARN log file \S+\/small\/w\.log for program 'w' takes output again; (\d+) bytes of stdout output were dropped\n/, 'the recovery reported');
    assert.ok(Number(back[1]) > 0, 'some output was dropped meanwhile');
    assert.equal(dir.read('supervisord.log').match(/could not write/g)?.length, 1, 'said once');
    // whole lines only (the one the full disk cut is finished first), and the count is what is missing
    await sleep(100);
    const lines = readFileSync(join(small, 'w.log'), 'utf8').split('\n').slice(0, -1);
    const bad = lines.filter((l) => !/^line \d{100}$/.test(l));
    assert.deepEqual(bad, [], 'no torn or glued line');
    const nums = lines.map((l) => Number(l.slice(5)));
    let missing = 0;
    for (let i = 1; i < nums.length; i++) missing += (nums[i] as number) - (nums[i - 1] as number) - 1;
    assert.equal(Number(back[1]), missing * 106, 'the bytes said dropped are the lines missing');
  } finally {
    await te.close();
    cleanup();
  }
});

test('stdout and stderr in one file: a clear that fails (the directory gone) and then one that works leave both writing the file at the name (stdout went on into a deleted file)', () => {
  const dir = new TempDir();
  try {
    const sub = dir.join('sub');
    mkdirSync(sub);
    const path = join(sub, 'x.log');
    const out = new LogFile(path, 0, 0);
    const err = new LogFile(path, 0, 0);
    out.write('o0\n');
    err.write('e0\n');
    rmSync(sub, { recursive: true }); // a tmp cleaner
    assert.equal(out.clear(), false, 'the new file cannot be made'); // clearProcessLogs stops there: stderr is not cleared
    mkdirSync(sub);
    out.write('o1\n'); // made again at the first write: stderr moves with it
    err.write('e1\n');
    assert.equal(readFileSync(path, 'utf8'), 'o1\ne1\n');
    assert.equal(out.clear(), true);
    assert.equal(err.clear(), true);
    out.write('o2\n');
    err.write('e2\n');
    const at = statSync(path).ino;
    assert.deepEqual([out.position()?.ino, err.position()?.ino], [at, at], 'both write the file at the name');
    assert.equal(readFileSync(path, 'utf8'), 'o2\ne2\n');
    out.close();
    err.close();
  } finally {
    dir.cleanup();
  }
});

test('a FIFO log: no reader is ENXIO at once (the open waited, holding the whole daemon, as supervisord\'s does); with one, every line gets through, waiting for a slow reader as Supervisor does', async () => {
  const dir = new TempDir();
  try {
    const fifo = dir.join('fifo');
    execFileSync('mkfifo', [fifo]);
    // in a child: a regression would hold this process in open() for good, beyond any test timeout
    const probe = spawnSync(process.execPath, ['-e', `try { new (require(${JSON.stringify(join(__dirname, '../src/log/logfile.js'))}).LogFile)(${JSON.stringify(fifo)}, 0, 0) } catch (e) { console.log(e.code) }`], {
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(probe.stdout, 'ENXIO\n', `no reader: refused at once (${probe.signal ?? probe.stderr})`);
    // a reader that takes its time: 200 KB through a 64 KiB FIFO
    const reader = spawn('/bin/sh', ['-c', `sleep 0.3; exec cat < ${fifo} > ${dir.join('got')}`]);
    const done = once(reader, 'exit');
    const log = await poll(() => {
      try {
        return new LogFile(fifo, 0, 0);
      } catch {
        return undefined; // ENXIO until cat has it open
      }
    }, 'the reader to open the FIFO');
    const said = recordReports(log);
    let all = '';
    for (let i = 0; i < 2000; i++) {
      const line = `line ${String(i).padStart(5, '0')} ${'x'.repeat(88)}\n`;
      log.write(line);
      all += line;
    }
    log.close();
    await done;
    assert.equal(readFileSync(dir.join('got'), 'utf8'), all, 'every line once, in order');
    assert.deepEqual(said, []);
  } finally {
    dir.cleanup();
  }
});

test('a FIFO main log: the daemon waits for its reader at start, as supervisord does (a log reader started after the daemon), then logs to it', async () => {
  const dir = new TempDir();
  const fifo = dir.join('main.fifo');
  execFileSync('mkfifo', [fifo]);
  const conf = dir.join('supervisord.conf');
  writeFileSync(conf, `[unix_http_server]\nfile=${dir.join('s.sock')}\n[supervisord]\nlogfile=${fifo}\nlogfile_maxbytes=0\npidfile=${dir.join('pid')}\n[program:p]\ncommand=sleep 100\n`);
  const d = daemonForeground(['-c', conf]);
  let gone = false;
  void d.exited.then(() => (gone = true));
  let reader: ReturnType<typeof spawn> | null = null;
  try {
    await sleep(1500);
    assert.equal(gone, false, `still waiting for a reader, not gone: ${d.output()}`);
    assert.ok(!existsSync(dir.join('s.sock')), 'not serving yet');
    reader = spawn('/bin/sh', ['-c', `exec cat < ${fifo} > ${dir.join('got')}`]);
    await until(() => existsSync(dir.join('got')) && /spawned: 'p' with pid/.test(dir.read('got')), 'the log through the FIFO');
    assert.match(dir.read('got'), /INFO supervisord started with pid \d+\n/);
  } finally {
    await d.terminate();
    reader?.kill();
    dir.cleanup();
  }
});

test('the main log holds the lines a full disk refused and writes them once there is room, then says whether any were dropped', { skip: canMount }, async () => {
  const { small, cleanup } = smallDisk('128k');
  try {
    for (const [n, dropped] of [[40, false], [200, true]] as const) {
      writeFileSync(join(small, 'filler'), Buffer.alloc(128 * 1024 - 1)); // tmpfs counts pages: full
      const told: string[] = [];
      const sink = new FileSink(join(small, 'main.log'), 0, 0, null, (m) => told.push(m));
      // records of two lines, as a debug echo of a program's output is: held or dropped whole (the 64 KiB end falls inside one)
      const pad = (i: number): string => String(i).padStart(4, '0');
      const record = (i: number): string => `2026-11-29 10:00:00,000 INFO line ${pad(i)} ${'x'.repeat(40)}\n  output of ${pad(i)} ${'o'.repeat(1000)}\n`;
      for (let i = 1; i <= n; i++) sink.emit(record(i));
      assert.deepEqual(told, [], `${n}: nothing told while failing`);
      rmSync(join(small, 'filler'));
      sink.emit(record(n + 1));
      await new Promise((r) => setImmediate(r));
      sink.close();
      const got = readFileSync(join(small, 'main.log'), 'utf8');
      const nums = [...got.matchAll(/ INFO line (\d{4}) x{40}\n/g)].map((m) => Number(m[1]));
      assert.equal(got, nums.map(record).join(''), `${n}: whole records only`);
      if (!dropped) {
        assert.deepEqual(nums, Array.from({ length: n + 1 }, (_, i) => i + 1), 'every record, in order');
        assert.deepEqual(told, [`the main log file ${join(small, 'main.log')} takes lines again; no line was lost`]);
      } else {
        // 64 KiB of records held, the rest dropped and counted; the held ones come first, in order
        const held = nums.slice(0, -1);
        assert.deepEqual(held, Array.from({ length: held.length }, (_, i) => i + 1), 'a prefix of the records, in order');
        assert.equal(nums.at(-1), n + 1);
        const heldBytes = held.map(record).join('').length;
        assert.ok(heldBytes <= 64 * 1024 && heldBytes > 64 * 1024 - record(1).length, `held ${held.length} records, ${heldBytes} bytes`);
        let droppedBytes = 0;
        for (let i = held.length + 1; i <= n; i++) droppedBytes += record(i).length;
        assert.deepEqual(told, [`the main log file ${join(small, 'main.log')} takes lines again; ${droppedBytes} bytes of lines were dropped`]);
      }
      rmSync(join(small, 'main.log'));
    }
  } finally {
    cleanup();
  }
});

test('a clear whose unlink fails (a read-only directory) changes nothing: the file stays open and keeps taking output', { skip: canMount }, () => {
  const dir = new TempDir();
  const logs = dir.join('logs');
  mkdirSync(logs);
  try {
    for (const main of [false, true]) {
      const path = join(logs, 'w.log');
      const f = main ? new FileSink(path, 0, 0) : new LogFile(path, 0, 0);
      const write = (t: string): void => (f instanceof FileSink ? f.emit(t) : f.write(t));
      write('before\n');
      // a read-only file system over the directory, with a file of that name: the unlink fails with EROFS
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', logs]);
      writeFileSync(path, 'the other file\n');
      execFileSync('mount', ['-o', 'remount,ro', logs]);
      try {
        assert.throws(() => (f instanceof FileSink ? f.remove() : f.clear()), /EROFS/);
        write('after\n');
      } finally {
        execFileSync('umount', [logs]);
      }
      write('later\n');
      f.close();
      assert.equal(readFileSync(path, 'utf8'), 'before\nafter\nlater\n', main ? 'main log' : 'child log');
      rmSync(path);
    }
  } finally {
    dir.cleanup();
  }
});

test('reopen (USR2 after logrotate moved the file) writes to a new file at the path', () => {
  const dir = new TempDir();
  try {
    const f = new LogFile(dir.join('a.log'), 0, 0);
    f.write('one\n');
    renameSync(dir.join('a.log'), dir.join('a.log.old'));
    f.write('two\n');
    f.reopen();
    f.write('three\n');
    f.close();
    assert.equal(dir.read('a.log.old'), 'one\ntwo\n');
    assert.equal(dir.read('a.log'), 'three\n');
  } finally {
    dir.cleanup();
  }
});

test('maxbytes on a non-regular file (e.g. /dev/stdout) never tries to rotate it', () => {
  const f = new LogFile('/dev/null', 5, 3);
  f.write('more than five bytes');
  f.write('again');
  f.close();
  assert.ok(!existsSync('/dev/null.1'));
});

test('AUTO child logs: mkstemp-style names, mode 0600, purge regex', () => {
  const dir = new TempDir();
  try {
    const p = autoChildLogName(dir.path, 'web', 'supervisor', 'stdout');
    assert.match(p, /\/web-stdout---supervisor-[a-z0-9_]{8}\.log$/);
    const mode = execFileSync('stat', ['-c', '%a', p]).toString().trim();
    assert.equal(mode, '600');
    writeFileSync(dir.join('web-stdout---supervisor-abc.log.3'), '');
    writeFileSync(dir.join('keep-stdout---other-abc.log'), '');
    writeFileSync(dir.join('unrelated.log'), '');
    const warnings: string[] = [];
    clearAutoChildLogDir(dir.path, 'supervisor', { warn: (m) => warnings.push(m) });
    assert.deepEqual(readdirSync(dir.path).sort(), ['keep-stdout---other-abc.log', 'unrelated.log']);
    assert.deepEqual(warnings, []);
  } finally {
    dir.cleanup();
  }
});

test('strip_ansi removes ESC[ sequences like dispatchers.stripEscapes', () => {
  assert.equal(stripEscapes(Buffer.from('\x1b[1;31mred\x1b[0m plain \x1b[2K')).toString(), 'red plain ');
  assert.equal(stripEscapes(Buffer.from('no escapes')).toString(), 'no escapes');
  assert.equal(stripEscapes(Buffer.from('cut \x1b[12')).toString(), 'cut ');
});

test('capture mode: payload between tokens becomes a communication event, the rest is logged', () => {
  const dir = new TempDir();
  try {
    const main = new MainLogger(Level.INFO);
    main.setSinks([]);
    const comms: string[] = [];
    const out: string[] = [];
    const ch = new ChannelLog(
      {
        processName: 'p', channel: 'stdout', logfile: dir.join('c.log'), maxbytes: 0, backups: 0, syslog: false, timestamps: false, prefix: null, gzip: null, rotate: null,
        captureMaxbytes: 1000, stripAnsi: () => false, ident: 'tsv',
      },
      main,
      { output: (d) => out.push(d.toString()), communication: (d) => comms.push(d.toString()) },
    );
    ch.feed(Buffer.from('before <!--XSUPERVISOR:BEG'));
    ch.feed(Buffer.from('IN-->secret<!--XSUPERVISOR:END-->after and more text'));
    ch.close();
    assert.deepEqual(comms, ['secret']);
    // Supervisor holds back a tail shorter than the token: "after and more text" is 19 bytes < 24
    assert.equal(dir.read('c.log'), 'before ');
  } finally {
    dir.cleanup();
  }
});

test('redirect_stderr, NONE logs and strip_ansi through the engine', async () => {
  const dir = new TempDir();
  const body =
    `[program:color]\ncommand=printf '\\033[32mgreen\\033[0m\\n'\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/color.log\n` +
    '[program:none]\ncommand=echo nothing\nstartsecs=0\nautorestart=false\nstdout_logfile=NONE\nstderr_logfile=NONE\n';
  const te = startEngine(load(writeConf(dir, body, 'strip_ansi=true\n')));
  try {
    await waitState(te.engine, 'color', ProcessState.EXITED);
    await waitState(te.engine, 'none', ProcessState.EXITED);
    assert.equal(dir.read('color.log'), 'green\n');
    const none = te.engine.groups.get('none')!.processes.get('none')!;
    assert.equal(none.stdoutLogfile, null);
    assert.match(dir.read('supervisord.log'), /DEBG 'none' stdout output:\nnothing\n/);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test("loglevel=debug names the process as Python's repr() does: control characters escaped, as under supervisord", { skip: oracleSkip, timeout: 60000 }, async () => {
  // supervisord checks process_name before expanding it, so an environment variable can bring these in
  const body = "[program:q]\nprocess_name=%(ENV_Q)s\ncommand=/bin/sh -c 'echo x; exec sleep 100'\nstdout_logfile=NONE\nstderr_logfile=NONE\n";
  for (const name of ['n\nl\tt\x01\x7f\u0085', 'a\'b"\\c\x01é', "it's"]) {
    const seen: string[] = [];
    for (const impl of ['supervisord', 'tsv'] as const) {
      const d = startOracleDaemon(impl, body, { loglevel: 'debug', env: { Q: name } });
      try {
        await waitUp(d);
        await until(() => / stdout output:\nx\n/.test(d.log()), `${impl}: the output's debug line`);
        seen.push(/DEBG ([^]*?) stdout output:\nx\n/.exec(d.log())?.[1] ?? '');
      } finally {
        await d.stop();
        d.cleanup();
      }
    }
    assert.equal(seen[1], seen[0], JSON.stringify(name));
  }
});

test('read/tail semantics (options.readFile / tailFile)', async () => {
  const dir = new TempDir();
  try {
    const f = dir.file('t.log', 'x'.repeat(30) + 'abcdef');
    assert.equal(readFile(f, 0, 0).length, 36);
    assert.equal(readFile(f, 30, 3).toString(), 'abc');
    assert.equal(readFile(f, -3, 0).toString(), 'def');
    assert.equal(readFile(f, 100, 0).length, 0);
    const t = (o: number, l: number) => {
      const r = tailFile(f, o, l);
      return [r.data.toString(), r.offset, r.overflow];
    };
    assert.deepEqual(t(0, 1000), ['x'.repeat(30) + 'abcdef', 36, false]);
    assert.deepEqual(t(20, 1000), ['x'.repeat(30) + 'abcdef', 36, false]);
    assert.deepEqual(t(0, 5), ['bcdef', 36, true]);
    assert.deepEqual(t(36, 1000), ['', 36, false]);
    // what Python cannot open (a directory opens in Node): FAILED before the arguments are looked at; the offset asked, unchanged
    // what Python cannot seek (ESPIPE): a pipe (/dev/stdout in a container; a FIFO with no writer, which an open would wait
    // on for ever), a socket; /dev/null seeks and reads empty
    execFileSync('mkfifo', [dir.join('fifo')]);
    const sock = createServer().listen(dir.join('sock'));
    await once(sock, 'listening');
    assert.equal(readFile('/dev/null', 0, 0).length, 0);
    for (const unreadable of [dir.path, dir.join('missing.log'), dir.join('fifo'), dir.join('sock')]) {
      assert.throws(() => readFile(unreadable, -1, 1), { fault: 'FAILED' });
      assert.deepEqual(tailFile(unreadable, 7, 10), { data: Buffer.alloc(0), offset: 7, overflow: false });
      assert.deepEqual(tailFile(unreadable, 0, 0), { data: Buffer.alloc(0), offset: 0, overflow: false });
    }
    sock.close();
  } finally {
    dir.cleanup();
  }
});

test('a small maxbytes with fast writers: the daemon answers its socket while it rotates, and each log keeps its last bytes in files rotated once they reach maxbytes', async () => {
  const dir = new TempDir();
  // 12 programs × 40 MB into 16 KB files: hundreds of rotations each, each an unlink and a rename per backup;
  // enough output that the writers are still at it when a ctl started beside them gets its answer
  const writers = 12;
  const bytes = 40_000_000;
  const conf = dir.join('supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile=${dir.join('s.sock')}\n[supervisord]\nlogfile=${dir.join('main.log')}\npidfile=${dir.join('pid')}\nchildlogdir=${dir.path}\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${dir.join('s.sock')}\n` +
      `[program:w]\ncommand=/bin/sh -c 'head -c ${bytes} /dev/zero | tr "\\\\0" x'\nautorestart=false\nprocess_name=w_%(process_num)02d\nnumprocs=${writers}\nstartsecs=0\n` +
      `stdout_logfile=${dir.path}/w_%(process_num)02d.log\nstdout_logfile_maxbytes=16KB\nstdout_logfile_backups=10\nstderr_logfile=NONE\n`,
  );
  const d = daemonForeground(['-c', conf]);
  const writing = (): number =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`head\0-c\0${bytes}\0`);
        } catch {
          return false;
        }
      }).length;
  try {
    await until(() => writing() === writers, 'all writers running', 20000);
    const ctl = spawn(process.execPath, [TSV, 'ctl', '-c', conf, 'pid'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    ctl.stdout.on('data', (b) => (out += b));
    const [code] = (await once(ctl, 'exit')) as [number];
    // before: the first answer came once every writer had finished (its pump moved 4 MiB, 256 rotations, per wake-up)
    const still = writing();
    assert.equal(code, 0, out);
    assert.match(out, /^\d+\n$/);
    assert.ok(still > 0, 'the daemon answered only after every writer was done');
    await until(() => writing() === 0, 'writers done', 120000);
    // the exit is logged once the pipe has been read to its end
    await until(() => (dir.read('main.log').match(/exited: w_\d\d /g) ?? []).length === writers, 'every writer exited', 60000);
    for (let i = 0; i < writers; i++) {
      const name = `w_${String(i).padStart(2, '0')}.log`;
      const { all, backupSizes } = rotatedLog(dir.path, name);
      // each backup rotated after the move that reached maxbytes, which takes at most one 128 KiB piece (Supervisor's read)
      assert.equal(backupSizes.length, 10, name);
      for (const size of backupSizes) assert.ok(size >= 16384 && size <= 16384 + 131072, `${name}: a backup of ${size} bytes`);
      assert.ok(all.length - backupSizes.reduce((a, b) => a + b, 0) < 16384, `${name}: the current file is below maxbytes`);
      assert.ok(all.every((b) => b === 0x78), `${name} holds only the x written`);
    }
  } finally {
    await d.terminate();
    dir.cleanup();
  }
});

test('logfile=/dev/stdout and stdout_logfile=/dev/stdout, stderr_logfile=/dev/stderr when those are sockets (systemd\'s journal stream, a service\'s default): the daemon writes to its own descriptors, where supervisord fails with ENXIO', async () => {
  const dir = new TempDir();
  const cfg = dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=/dev/stdout\nlogfile_maxbytes=0\npidfile=${dir.join('d.pid')}\n[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
      '[program:talk]\ncommand=/bin/sh -c "echo to-out; echo to-err >&2; exec sleep 100"\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n' +
      'stderr_logfile=/dev/stderr\nstderr_logfile_maxbytes=0\nstartsecs=0\n',
  );
  const runs: Record<string, { out: string; err: string; code: number | null }> = {};
  const impls: [string, string, string[]][] = [['tsv', process.execPath, [TSV, 'daemon', '-n', '-c', cfg]]];
  if (existsSync('/usr/bin/supervisord')) impls.push(['supervisord', '/usr/bin/supervisord', ['-n', '-c', cfg]]);
  try {
    for (const [name, file, args] of impls) {
      // Node's stdio pipes are socket pairs
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const run = (runs[name] = { out: '', err: '', code: null as number | null });
      child.stdout.on('data', (b: Buffer) => (run.out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (run.err += b.toString()));
      const exited = once(child, 'exit');
      const all = (): boolean => run.out.includes('to-out') && run.err.includes('to-err') && run.out.includes('success: talk');
      await Promise.race([until(all, `${name}: both lines and the RUNNING one`, 10000).catch(() => {}), exited]);
      if (child.exitCode === null) child.kill('SIGTERM');
      run.code = ((await exited) as [number | null])[0];
    }
    const tsv = runs.tsv as { out: string; err: string; code: number | null };
    assert.match(tsv.out, /^to-out$/m, tsv.out + tsv.err);
    assert.match(tsv.err, /^to-err$/m);
    assert.match(tsv.out, / INFO success: talk entered RUNNING state/);
    assert.equal(tsv.code, 0);
    if (runs.supervisord) assert.match(runs.supervisord.err, /No such device or address: '\/dev\/stdout'/);
  } finally {
    dir.cleanup();
  }
});
