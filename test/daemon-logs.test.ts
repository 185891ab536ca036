// Logs: main log line format and levels, child logs (AUTO names, NONE,
// redirect, strip_ansi, capture mode), size rotation under load with every
// byte accounted for, reopen, and Supervisor's read/tail semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDir, writeConf, load, startEngine, waitState } from './helpers/daemon-env';
import { ProcessState } from '../src/daemon/states';
import { MainLogger, FileSink } from '../src/log/mainlog';
import { asctime } from '../src/log/asctime';
import { Level, LEVEL_BY_NAME } from '../src/log/levels';
import { LogFile } from '../src/log/logfile';
import { stripEscapes, ChannelLog } from '../src/log/childlog';
import { clearAutoChildLogDir, autoChildLogName } from '../src/log/autolog';
import { readFile, tailFile } from '../src/log/readlog';

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
    const files = readdirSync(dir.path).filter((f) => f.startsWith('flood.log'));
    const backups = files.filter((f) => f !== 'flood.log').map((f) => Number(f.split('.').pop())).sort((a, b) => b - a);
    assert.ok(backups.length > 10, `rotated ${backups.length} times`);
    assert.deepEqual(backups, Array.from({ length: backups.length }, (_, i) => backups.length - i), 'backups are .1 .. .N without gaps');
    const parts = backups.map((b) => readFileSync(join(dir.path, `flood.log.${b}`)));
    parts.push(readFileSync(join(dir.path, 'flood.log')));
    const all = Buffer.concat(parts);
    const want = execFileSync('seq', ['1', String(n)], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(all.length, want.length, 'byte count');
    assert.ok(all.equals(want), 'content identical, in order');
    for (const b of backups) {
      const size = readFileSync(join(dir.path, `flood.log.${b}`)).length;
      assert.ok(size >= 256 * 1024 && size < 256 * 1024 + 128 * 1024, `backup .${b} is ${size} bytes`);
    }
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('rotation keeps only `backups` files; backups=0 truncates in place', () => {
  const dir = new TempDir();
  try {
    const f = new LogFile(dir.join('r.log'), 10, 2);
    for (let i = 0; i < 5; i++) f.write(`chunk-${i}-xxxx\n`);
    f.close();
    assert.deepEqual(readdirSync(dir.path).sort(), ['r.log', 'r.log.1', 'r.log.2']);
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
        processName: 'p', channel: 'stdout', logfile: dir.join('c.log'), maxbytes: 0, backups: 0, syslog: false,
        captureMaxbytes: 1000, stripAnsi: false, ident: 'tsv',
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

test('read/tail semantics (options.readFile / tailFile)', () => {
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
  } finally {
    dir.cleanup();
  }
});
