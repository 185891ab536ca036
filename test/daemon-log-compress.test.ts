// stdout_logfile_compress / stderr_logfile_compress (tsv only): rotated
// backups are gzipped by a child of the daemon (Supervisor issue #322).
// supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { LogFile } from '../src/log/logfile';
import type { BackupGzip, GzipRunner } from '../src/log/backup-gzip';
import { gunzipSync } from 'node:zlib';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir, pidAlive } from './helpers/daemon-env';
import { PY, logCount, mainLogLines, startDaemon, waitUp } from './helpers/events-env';

/** Writes lines "line 00000000 xxx…" numbered 0 to $1 - 1 as fast as it can, then waits. */
const WRITER = `import sys, time
for i in range(int(sys.argv[1])):
    sys.stdout.write('line %08d %s\\n' % (i, 'x' * 40))
sys.stdout.flush()
time.sleep(1000)
`;
const LINE_BYTES = 55;

/** The backups N … 1 (gunzipped where gzipped) and the current file, as one text. */
function history(dir: string, base: string, backups: number): string {
  let all = '';
  for (let i = backups; i >= 1; i--) {
    const names = readdirSync(dir);
    if (names.includes(`${base}.${i}.gz`)) all += gunzipSync(readFileSync(`${dir}/${base}.${i}.gz`)).toString('latin1');
    else if (names.includes(`${base}.${i}`)) all += readFileSync(`${dir}/${base}.${i}`, 'latin1');
  }
  return all + readFileSync(`${dir}/${base}`, 'latin1');
}

/** The writer's line number `i`, as it writes it. */
const writerLine = (i: number): string => `line ${String(i).padStart(8, '0')} ${'x'.repeat(40)}\n`;

/**
 * Whether the writer's line `last` ends what is kept: the current file, or the
 * newest backup when the last move reached maxbytes (a file is rotated after
 * the move that reaches it, as Supervisor rotates after a write).
 */
function endsWithLine(dir: string, base: string, backups: number, last: number): boolean {
  try {
    return history(dir, base, backups).endsWith(writerLine(last));
  } catch {
    return false; // a backup renamed or gzipped between two looks
  }
}

/** The numbers of the whole lines in text, which must follow each other with none missing or repeated, ending at last. */
function assertContiguous(text: string, last: number): number {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '');
  lines.shift(); // a rotation may have cut the oldest kept line
  const numbers = lines.map((l) => Number(/^line (\d{8}) x{40}$/.exec(l)?.[1] ?? NaN));
  numbers.forEach((n, i) => assert.equal(n, (numbers[0] as number) + i, `line ${i} of ${numbers.length}`));
  assert.equal(numbers[numbers.length - 1], last);
  return numbers.length;
}

test('*_logfile_compress: rotated backups become NAME.1.gz … NAME.N.gz, gzipped while the program writes on (rotations while one is gzipped too), with the log file\'s own mode; together they are the output with no byte lost or doubled', async () => {
  const dir = new TempDir('tsv-gzip-');
  const writer = dir.file('w.py', WRITER);
  const count = 60000; // 3.3 MB through 200 KB files: ~16 rotations, five backups kept
  const d = startDaemon(
    'tsv',
    `[program:w]\ncommand=${PY} ${writer} ${count}\nstartsecs=0\nstdout_logfile=AUTO\nstdout_logfile_maxbytes=200KB\nstdout_logfile_backups=5\nstdout_logfile_compress=true\n` +
      // two or three rotations (a file is rotated after the move that reaches maxbytes, up to 128 KiB past it):
      // its first file is made 0600 as every AUTO log is, and the files rotations make keep that mode
      `[program:few]\ncommand=${PY} ${writer} 12000\nstartsecs=0\nstdout_logfile=AUTO\nstdout_logfile_maxbytes=200KB\nstdout_logfile_backups=5\nstdout_logfile_compress=true\n`,
  );
  try {
    await waitUp(d);
    const base = (): string | undefined => readdirSync(d.dir.path).find((n) => /^w-stdout---supervisor-\w+\.log$/.test(n));
    await until(() => base() !== undefined, 'the log');
    const name = base() as string;
    // once made, the current file's name is never absent, also during a rotation (where Supervisor's is, for a moment)
    await until(() => endsWithLine(d.dir.path, name, 5, count - 1), 'the last line', 20000);
    const rest = (): string[] => readdirSync(d.dir.path).filter((n) => n.startsWith(`${name}.`)).sort();
    await until(() => rest().join(' ') === [1, 2, 3, 4, 5].map((i) => `${name}.${i}.gz`).join(' '), 'five gzipped backups and nothing else', 20000);
    const kept = assertContiguous(history(d.dir.path, name, 5), count - 1);
    // five backups of 200 KiB and the current file, less the line a rotation cut
    assert.ok(kept * LINE_BYTES > 5 * 200 * 1024, `${kept} lines kept`);
    assert.equal(logCount(d, /gzip/), 0, d.log());

    const few = readdirSync(d.dir.path).find((n) => /^few-stdout---supervisor-\w+\.log$/.test(n)) as string;
    const gzipped = (): string[] => readdirSync(d.dir.path).filter((n) => n.startsWith(`${few}.`)).sort();
    await until(() => {
      const g = gzipped();
      return g.length >= 2 && g.join(' ') === g.map((_, i) => `${few}.${i + 1}.gz`).join(' ') && endsWithLine(d.dir.path, few, 3, 11999);
    }, 'two or three gzipped backups of few, and its last line', 20000);
    assert.deepEqual(
      gzipped().map((f) => (statSync(`${d.dir.path}/${f}`).mode & 0o777).toString(8)),
      // an AUTO log is made 0600 and its rotated files keep that mode
      gzipped().map(() => '600'),
    );
    assertContiguous(history(d.dir.path, few, 3), 11999);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('*_logfile_compress with no gzip to run: one ERROR naming the file and the reason; the backups stay plain and rotate as without the option, nothing lost', async () => {
  const dir = new TempDir('tsv-gzip-none-');
  const writer = dir.file('w.py', WRITER);
  const count = 20000;
  // PATH has no gzip (the program's command is a full path)
  const d = startDaemon(
    'tsv',
    `[program:w]\ncommand=${PY} ${writer} ${count}\nstartsecs=0\nstdout_logfile={DIR}/w.log\nstdout_logfile_maxbytes=100KB\nstdout_logfile_backups=3\nstdout_logfile_compress=true\n`,
    { env: { PATH: dir.path } },
  );
  try {
    await waitUp(d);
    const log = d.dir.join('w.log');
    await until(() => endsWithLine(d.dir.path, 'w.log', 3, count - 1), 'the last line', 20000);
    await until(() => logCount(d, /could not gzip/) === 1, 'the error');
    // each rotation tries again (and fails, unreported): the last one's attempt may still be under way
    await until(() => !existsSync(`${log}.compressing`), 'the last attempt to end');
    const said = mainLogLines(d).find((l) => l.includes('could not gzip')) as string;
    assert.match(
      said,
      new RegExp(`^ERRO could not gzip a backup of log file ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} for program 'w': gzip: exit status 127: .*gzip: not found; backups stay uncompressed until a later rotation gzips them \\(stdout_logfile_compress\\)$`),
    );
    assert.deepEqual(
      readdirSync(d.dir.path).filter((n) => n.startsWith('w.log.')).sort(),
      ['w.log.1', 'w.log.2', 'w.log.3'],
    );
    assertContiguous(history(d.dir.path, 'w.log', 3), count - 1);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('*_logfile_compress: a shutdown while a backup is being gzipped ends the gzip and removes its part file; the backup stays plain', async () => {
  const dir = new TempDir('tsv-gzip-slow-');
  const writer = dir.file('w.py', WRITER);
  // a gzip that never finishes: it says its pid and sleeps (exec keeps the pid)
  const bin = dir.join('bin');
  mkdirSync(bin);
  const ran = dir.join('gzip-pid');
  writeFileSync(`${bin}/gzip`, `#!/bin/sh\necho $$ > ${ran}\nexec /bin/sleep 300\n`, { mode: 0o755 });
  const count = 3000; // 165 KB through 100 KB files: one rotation
  const d = startDaemon(
    'tsv',
    `[program:w]\ncommand=${PY} ${writer} ${count}\nstartsecs=0\nstdout_logfile={DIR}/w.log\nstdout_logfile_maxbytes=100KB\nstdout_logfile_backups=3\nstdout_logfile_compress=true\n`,
    { env: { PATH: bin } },
  );
  let gzipPid = 0;
  try {
    await waitUp(d);
    await until(() => {
      try {
        gzipPid = Number(readFileSync(ran, 'utf8'));
      } catch {
        return false;
      }
      return gzipPid > 0 && readdirSync(d.dir.path).includes('w.log.compressing');
    }, 'the gzip under way');
    assert.ok(pidAlive(gzipPid));
    await d.stop();
    assert.deepEqual(readdirSync(d.dir.path).filter((n) => n.startsWith('w.log')).sort(), ['w.log', 'w.log.1']);
    await until(() => !pidAlive(gzipPid), 'the gzip to end');
    assertContiguous(history(d.dir.path, 'w.log', 3), count - 1);
  } finally {
    if (gzipPid && pidAlive(gzipPid)) process.kill(gzipPid, 'SIGKILL');
    d.cleanup();
    dir.cleanup();
  }
});

test('*_logfile_compress in the config: a boolean; a warning names file and line where it has no effect (no rotation, no log file, stderr in the stdout log); config show', () => {
  const dir = new TempDir('tsv-gzip-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const bad = run('stdout_logfile_compress=gz\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] stdout_logfile_compress: not a valid boolean value: 'gz'/);
    const noEffect = (lines: string, why: string): void => {
      const r = run(lines, 'check');
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stderr.includes(`has no effect: ${why}\n`), r.stderr);
    };
    noEffect('stdout_logfile_compress=true\nstdout_logfile_maxbytes=0\n', 'the log is not rotated into backups (stdout_logfile_backups must be more than 0, and stdout_logfile_maxbytes more than 0 or stdout_logfile_rotate set)');
    noEffect('stdout_logfile_compress=true\nstdout_logfile_backups=0\n', 'the log is not rotated into backups (stdout_logfile_backups must be more than 0, and stdout_logfile_maxbytes more than 0 or stdout_logfile_rotate set)');
    noEffect('stderr_logfile=NONE\nstderr_logfile_compress=true\n', 'there is no stderr log file (stderr_logfile=NONE)');
    noEffect('redirect_stderr=true\nstderr_logfile_compress=true\n', 'stderr goes to the stdout log (redirect_stderr=true), for which stdout_logfile_compress decides');
    const quiet = run('stdout_logfile_compress=true\nstderr_logfile_compress=true\n', 'check');
    assert.equal(quiet.stderr, '');
    const shown = run('stdout_logfile_compress=yes\n', 'show');
    assert.match(shown.stdout, /\n  stdout_logfile_compress +true  \(\S+x\.conf:4\)\n/);
    assert.match(shown.stdout, /\n  stderr_logfile_compress +false  \(default\)\n/);
  } finally {
    dir.cleanup();
  }
});

test('*_logfile_compress never writes or chmods through a name planted in the log directory: a link at NAME.compressing leaves its target as it was', async () => {
  const dir = new TempDir('tsv-gzip-plant-');
  const writer = dir.file('w.py', WRITER);
  const count = 8000; // 440 KB through 100 KB files rotated at 100 to 228 KB: two to four rotations
  const victim = dir.file('victim', 'SECRET\n', 0o600);
  const d = startDaemon(
    'tsv',
    `[program:w]\ncommand=${PY} ${writer} ${count}\nstartsecs=0\nautostart=false\nstdout_logfile={DIR}/w.log\nstdout_logfile_maxbytes=100KB\nstdout_logfile_backups=3\nstdout_logfile_compress=true\n`,
  );
  try {
    await waitUp(d);
    const log = d.dir.join('w.log');
    // whoever owns the log directory (the program's user) puts a link where the daemon will gzip to
    symlinkSync(victim, `${log}.compressing`);
    await d.rpc.call('supervisor.startProcess', ['w']);
    await until(() => existsSync(`${log}.2.gz`) && existsSync(`${log}.1.gz`) && !existsSync(`${log}.1`) && endsWithLine(d.dir.path, 'w.log', 3, count - 1), 'two backups gzipped, and the last line', 20000);
    assert.equal(readFileSync(victim, 'utf8'), 'SECRET\n');
    assert.equal(statSync(victim).mode & 0o777, 0o600);
    assertContiguous(history(d.dir.path, 'w.log', 3), count - 1);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('*_logfile_compress: a link swapped in for NAME.compressing while gzip writes is not renamed or chmodded; the backup stays plain and it is said', async () => {
  const dir = new TempDir('tsv-gzip-swap-');
  try {
    const victim = dir.file('victim', 'SECRET\n', 0o600);
    const log = dir.join('s.log');
    const failures: string[] = [];
    // gzip's place taken by what a racing user does meanwhile: the part file unlinked and a link put there
    const runner: GzipRunner = (_src, dst) => {
      writeSync(dst, 'gzipped bytes');
      unlinkSync(`${log}.compressing`);
      symlinkSync(victim, `${log}.compressing`);
      return { done: Promise.resolve(null), cancel: () => {} };
    };
    const f = new LogFile(log, 10, 2, 0o644, runner);
    (f.backupGzip as BackupGzip).report = { failed: (why) => failures.push(why), recovered: () => {} };
    f.write('first-0123\n');
    f.write('second\n');
    await new Promise((r) => setImmediate(r));
    f.close();
    assert.equal(readFileSync(victim, 'utf8'), 'SECRET\n');
    assert.equal(statSync(victim).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${log}.1`, 'utf8'), 'first-0123\n');
    assert.ok(!existsSync(`${log}.1.gz`));
    assert.deepEqual(failures, [`${log}.compressing was replaced while gzip wrote it`]);
  } finally {
    dir.cleanup();
  }
});
