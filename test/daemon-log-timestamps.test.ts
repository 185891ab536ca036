// stdout_logfile_timestamps / stderr_logfile_timestamps (tsv only): each line
// of a child log file begins with the time the daemon read it, in the main
// log's format (Supervisor issue #553). supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, renameSync } from 'node:fs';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { pythonSkip, startDaemon, userCtl, waitRecords, waitUp } from './helpers/events-env';
import { LineStamps } from '../src/log/line-stamps';
import { LogFile } from '../src/log/logfile';
import { asctime } from '../src/log/asctime';

const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /;

test('LineStamps: a stamp before each line that begins in a chunk, one time per chunk; a line split across chunks keeps the time of its first byte', () => {
  let t = Date.UTC(2026, 10, 25, 12, 0, 0, 5);
  const s = new LineStamps(() => t);
  const at = (ms: number): string => asctime(ms);
  const t0 = t;
  assert.equal(s.apply(Buffer.from('one\ntwo\npar')).toString(), `${at(t0)} one\n${at(t0)} two\n${at(t0)} par`);
  t += 1500;
  assert.equal(s.apply(Buffer.from('tial\n')).toString(), 'tial\n');
  t += 1500;
  assert.equal(s.apply(Buffer.from('\n\nx')).toString(), `${at(t)} \n${at(t)} \n${at(t)} x`);
  assert.equal(s.apply(Buffer.alloc(0)).length, 0);
  assert.equal(s.apply(Buffer.from('\r\n')).toString(), '\r\n');
  assert.equal(s.apply(Buffer.from('\u00e9\n')).toString(), `${at(t)} \u00e9\n`);
  // a file an earlier run left in the middle of a line: this run's first line begins on a line of its own, once
  const after = new LineStamps(() => t, true);
  assert.equal(after.apply(Buffer.from('x\ny')).toString(), `\n${at(t)} x\n${at(t)} y`);
  assert.equal(after.apply(Buffer.from('\nz')).toString(), `\n${at(t)} z`);
});

test('stamped lines across files: rotation cuts between lines, and a line a new file continues (longer than a piece, or unfinished at a reopen after logrotate or clearLog) begins it with a stamp', () => {
  const dir = new TempDir('tsv-stamps-');
  try {
    const t = Date.UTC(2026, 10, 26, 3, 0, 0, 7);
    const T = asctime(t);
    const stampedFile = (name: string, maxbytes: number): { f: LogFile; put: (s: string) => void } => {
      const f = new LogFile(dir.join(name), maxbytes, 20);
      const s = new LineStamps(() => t);
      f.continuationStamp = s.stamp.bind(s);
      return { f, put: (text) => f.write(s.apply(Buffer.from(text))) };
    };
    const files = (name: string): string[] => {
      const n = readdirSync(dir.path).filter((f) => f.startsWith(name)).length;
      return Array.from({ length: n }, (_, i) => dir.read(i === n - 1 ? name : `${name}.${n - 1 - i}`)); // oldest first
    };
    const everyLineStamped = (text: string): boolean => text.split('\n').every((l, i, all) => (i === all.length - 1 && l === '') || l.startsWith(`${T} `));
    const unstamped = (text: string): string => text.split(`${T} `).join('');

    // 300 KB of 100-byte lines in one chunk, rotated at 100 KiB: pieces end at line ends
    const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(5, '0')} ${'x'.repeat(93)}\n`).join('');
    const a = stampedFile('lines.log', 100 * 1024);
    a.put(lines);
    a.f.close();
    const parts = files('lines.log');
    assert.ok(parts.length >= 3, `${parts.length} files`);
    for (const p of parts) assert.ok(everyLineStamped(p), p.slice(0, 200));
    assert.equal(unstamped(parts.join('')), lines);

    // the same lines in reads that end anywhere (977 bytes each), rotated at 50 KiB: a read that fills the
    // file in the middle of a line is cut after its last line end, so no line is split or stamped twice
    const chunked = stampedFile('chunks.log', 50 * 1024);
    for (let i = 0; i < lines.length; i += 977) chunked.put(lines.slice(i, i + 977));
    chunked.f.close();
    const cparts = files('chunks.log');
    assert.ok(cparts.length >= 5, `${cparts.length} files`);
    for (const p of cparts) {
      assert.ok(everyLineStamped(p), p.slice(0, 200));
      assert.ok(p.endsWith('\n'), `a file ends in the middle of a line: ${JSON.stringify(p.slice(-60))}`);
    }
    assert.equal(cparts.join('').split(`${T} `).length - 1, 3000, 'one stamp per line');
    assert.equal(unstamped(cparts.join('')), lines);

    // one 300 KiB line: each file it spreads over begins with a stamp; nothing lost or doubled
    const long = `${'L'.repeat(300 * 1024)}\nshort\n`;
    const b = stampedFile('long.log', 100 * 1024);
    b.put(long);
    b.f.close();
    const pieces = files('long.log');
    assert.ok(pieces.length >= 3, `${pieces.length} files`);
    for (const p of pieces) assert.ok(p === '' || p.startsWith(`${T} `), p.slice(0, 40));
    assert.equal(unstamped(pieces.join('')), long);

    // logrotate moved the file while a line was unfinished; clearLog removed it while one was
    const c = stampedFile('moved.log', 0);
    c.put('one\nunfin');
    renameSync(dir.join('moved.log'), dir.join('moved.log.old'));
    c.f.reopen();
    c.put('ished\ntwo\nhal');
    c.f.remove();
    c.f.reopen();
    c.put('f\n');
    // a reopen of the same file (SIGUSR2 with nothing moved) continues the line where it is
    c.put('same');
    c.f.reopen();
    c.put(' file\n');
    c.f.close();
    assert.equal(dir.read('moved.log.old'), `${T} one\n${T} unfin`);
    assert.equal(dir.read('moved.log'), `${T} f\n${T} same file\n`);
  } finally {
    dir.cleanup();
  }
});

test('*_logfile_timestamps: a run that ends in the middle of a line does not glue the next run\'s first line to it', { skip: pythonSkip }, async () => {
  const d = startDaemon(
    'tsv',
    "[program:half]\ncommand=/bin/sh -c \"printf 'whole\\nhalf'\"\nstartsecs=0\nautorestart=false\nstdout_logfile={DIR}/half.log\nstdout_logfile_timestamps=true\n",
  );
  try {
    await waitUp(d);
    const log = d.dir.join('half.log');
    await until(() => readFileSync(log, 'utf8').endsWith('half'), 'the first run');
    await until(() => / EXITED /.test(userCtl(d, 'status', 'half')), 'the first run to end');
    userCtl(d, 'start', 'half');
    await until(() => readFileSync(log, 'utf8').split('half').length === 3, 'the second run');
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').map((l) => l.replace(STAMP, 'T ')), ['T whole', 'T half', 'T whole', 'T half']);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('*_logfile_timestamps: the log file has a time on each line, stdout and stderr each by its own setting; tail shows them; the output events and a channel without the setting get the output as written', { skip: pythonSkip }, async () => {
  const dir = new TempDir('tsv-stamps-');
  const script = dir.file(
    'talk.sh',
    "printf 'one\\ntwo\\n'; printf 'err one\\n' >&2; sleep 0.4; printf 'par'; sleep 0.4; printf 'tial\\n'; printf 'err two\\n' >&2; exec sleep 100\n",
  );
  const d = startDaemon(
    'tsv',
    `[program:talk]\ncommand=/bin/sh ${script}\nstartsecs=0\nstdout_logfile={DIR}/out.log\nstderr_logfile={DIR}/err.log\nstdout_logfile_timestamps=true\nstdout_events_enabled=true\n` +
      '[eventlistener:rec]\ncommand={PY} {RECORDER}\nevents=PROCESS_LOG_STDOUT\nenvironment=REC_OUT="{DIR}/rec.jsonl"\n' +
      `[program:merged]\ncommand=/bin/sh ${script}\nstartsecs=0\nredirect_stderr=true\nstdout_logfile={DIR}/merged.log\nstdout_logfile_timestamps=true\n`,
  );
  try {
    await waitUp(d);
    const out = d.dir.join('out.log');
    await until(() => readFileSync(out, 'utf8').includes('tial\n'), 'the partial line to end', 10000);
    const lines = readFileSync(out, 'utf8').split('\n');
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.deepEqual(
      lines.map((l) => l.replace(STAMP, 'T ')),
      ['T one', 'T two', 'T partial', ''],
    );
    const times = lines.slice(0, 3).map((l) => Date.parse((STAMP.exec(l)?.[0] ?? '').trim().replace(' ', 'T').replace(',', '.')));
    assert.equal(times[0], times[1]);
    // "par" was read 0.4 s after "two", "tial" 0.4 s later: the line has the time of its first byte
    assert.ok((times[2] as number) - (times[1] as number) >= 300 && (times[2] as number) - (times[1] as number) < 700, times.join(' '));
    // the program writes "err two" after "tial": the stdout line may be in its file before that is read
    await until(() => readFileSync(d.dir.join('err.log'), 'utf8').length >= 'err one\nerr two\n'.length, 'the stderr log', 10000);
    assert.equal(readFileSync(d.dir.join('err.log'), 'utf8'), 'err one\nerr two\n');
    await until(() => readFileSync(d.dir.join('merged.log'), 'utf8').split('\n').length === 6, 'the merged log');
    assert.deepEqual(
      readFileSync(d.dir.join('merged.log'), 'utf8').split('\n').map((l) => l.replace(STAMP, 'T ')).sort(),
      ['', 'T err one', 'T err two', 'T one', 'T partial', 'T two'],
    );
    assert.match(userCtl(d, 'tail', 'talk'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} one\n/);
    // PROCESS_LOG_STDOUT carries the output as the program wrote it
    const data = (recs: { payload: string }[]): string => recs.map((r) => r.payload.slice(r.payload.indexOf('\n') + 1)).join('');
    const recs = await waitRecords(d.dir.join('rec.jsonl'), (r) => data(r).includes('tial\n'), 'the output events');
    assert.equal(data(recs), 'one\ntwo\npartial\n');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('*_logfile_timestamps in the config: a boolean; a warning names file and line where it has no effect (no log file, or stderr sent to the stdout log); config show', () => {
  const dir = new TempDir('tsv-stamps-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const bad = run('stdout_logfile_timestamps=sometimes\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] stdout_logfile_timestamps: not a valid boolean value: 'sometimes'/);
    const none = run('stdout_logfile=NONE\nstdout_logfile_timestamps=true\n', 'check');
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stderr, /x\.conf:5: \[program:x\] stdout_logfile_timestamps: For \[program:x\], stdout_logfile_timestamps=true has no effect: there is no stdout log file \(stdout_logfile=NONE\)\n/);
    const merged = run('redirect_stderr=true\nstderr_logfile_timestamps=true\n', 'check');
    assert.equal(merged.status, 0, merged.stderr);
    assert.match(
      merged.stderr,
      /x\.conf:5: \[program:x\] stderr_logfile_timestamps: For \[program:x\], stderr_logfile_timestamps=true has no effect: stderr goes to the stdout log \(redirect_stderr=true\), for which stdout_logfile_timestamps decides\n/,
    );
    const quiet = run('stdout_logfile_timestamps=true\nstderr_logfile_timestamps=yes\n', 'check');
    assert.equal(quiet.stderr, '');
    const shown = run('stderr_logfile_timestamps=yes\n', 'show');
    assert.match(shown.stdout, /\n  stdout_logfile_timestamps +false  \(default\)\n/);
    assert.match(shown.stdout, /\n  stderr_logfile_timestamps +true  \(\S+x\.conf:4\)\n/);
  } finally {
    dir.cleanup();
  }
});
