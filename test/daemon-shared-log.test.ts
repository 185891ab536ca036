// One log file written by more than one channel (stdout_logfile and
// stderr_logfile the same file, a numprocs pool sharing one log), rotated by
// size. Under Supervisor each channel rotates on its own: the others go on
// writing the file now called NAME.1 and rotate it in turn, so NAME holds
// one channel's output at a time (its `tail` can show the other channel only). tsv moves
// every writer to the new file (docs/differences.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { poll, until } from './helpers/daemon-cli';
import { TempDir, rotatedLog, sleep } from './helpers/daemon-env';
import { oracleSkip, startDaemon, waitUp, type Impl } from './helpers/events-env';
import { LogFile, logWritten } from '../src/log/logfile';

test('two LogFiles on one path: a rotation by either moves both to the new file, so the files hold every write once, in the order written', () => {
  const dir = new TempDir();
  try {
    const path = dir.join('both.log');
    const out = new LogFile(path, 100, 50);
    const err = new LogFile(path, 100, 50);
    let want = '';
    for (let i = 0; i < 60; i++) {
      const line = `${i % 2 ? 'err' : 'out'} ${String(i).padStart(3, '0')} ${'x'.repeat(20)}\n`;
      (i % 2 ? err : out).write(line);
      want += line;
    }
    out.close();
    err.close();
    const backups = readdirSync(dir.path).filter((f) => f.startsWith('both.log.'));
    assert.ok(backups.length >= 10, `${backups.length} rotations`);
    assert.equal(rotatedLog(dir.path, 'both.log').all.toString('latin1'), want);
    for (const b of backups) assert.ok(readFileSync(join(dir.path, b)).length < 100 + 29, `${b} holds one write past maxbytes at most`);
  } finally {
    dir.cleanup();
  }
});

test('two names of one file (a/../x.log and x.log) are one file: a rotation by either moves both; logWritten knows it by either name', () => {
  const dir = new TempDir();
  try {
    mkdirSync(dir.join('a'));
    const plain = new LogFile(dir.join('x.log'), 100, 5);
    const roundabout = new LogFile(`${dir.path}/a/../x.log`, 100, 5);
    assert.equal(logWritten(`${dir.path}/./x.log`), true);
    plain.write(`${'p'.repeat(99)}\n`); // rotates
    roundabout.write('after\n');
    assert.equal(dir.read('x.log'), 'after\n', 'the second writer moved to the new file');
    plain.close();
    roundabout.close();
    assert.equal(logWritten(dir.join('x.log')), false);
  } finally {
    dir.cleanup();
  }
});

const CONF =
  "[program:both]\ncommand=/bin/sh -c 'i=0; while [ $i -lt 300 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); sleep 0.01; done'\n" +
  'startsecs=0\nautorestart=false\nstdout_logfile={DIR}/both.log\nstderr_logfile={DIR}/both.log\nstdout_logfile_maxbytes=1KB\nstderr_logfile_maxbytes=1KB\nstdout_logfile_backups=50\nstderr_logfile_backups=50\n';

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`${impl}: stdout and stderr in one rotated file`, { skip: impl === 'supervisord' && oracleSkip, timeout: 60000 }, async () => {
    const d = startDaemon(impl, CONF);
    try {
      await waitUp(d);
      // read once the program has exited: while it writes, a rotation may be half way through its renames
      const state = async (): Promise<string> => ((await d.rpc.call('supervisor.getProcessInfo', ['both'])) as { statename: string }).statename;
      await poll(async () => ((await state()) === 'EXITED' ? true : undefined), 'the program to write its 600 lines and exit', 30000);
      const lines = rotatedLog(d.dir.path, 'both.log').all.toString('latin1').split('\n').filter(Boolean);
      // nothing lost or doubled, with either daemon
      assert.equal(lines.length, 600);
      const outs = lines.filter((l) => l.startsWith('out ')).map((l) => Number(l.slice(4)));
      assert.deepEqual([...outs].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
      const current = readFileSync(d.dir.join('both.log'), 'latin1');
      const inOrder = outs.every((n, i) => i === 0 || n > (outs[i - 1] as number));
      if (impl === 'tsv') {
        assert.ok(inOrder, 'stdout lines in the order written across the files');
        assert.match(current, /^out \d+$/m, 'the current file has stdout');
        assert.match(current, /^err \d+$/m, 'and stderr');
      } else {
        // each channel writes its own file once the other has rotated: `tail both` shows only stderr, say
        assert.ok(!/^out \d+$/m.test(current) || !/^err \d+$/m.test(current), `supervisord: one channel in the current file: ${current.slice(0, 200)}`);
      }
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`${impl}: clearLog of the main log that a program writes too`, { skip: impl === 'supervisord' && oracleSkip, timeout: 60000 }, async () => {
    const d = startDaemon(impl, "[program:talk]\ncommand=/bin/sh -c 'i=0; while :; do echo \"talk $i\"; i=$((i+1)); sleep 0.1; done'\nstartsecs=0\nstdout_logfile={DIR}/supervisord.log\nstdout_logfile_maxbytes=0\n");
    try {
      await waitUp(d);
      const talks = (): number[] => [...d.log().matchAll(/^talk (\d+)$/gm)].map((m) => Number(m[1]));
      await until(() => talks().length > 0, 'the program to write to the main log');
      const last = Math.max(...talks());
      assert.equal(await d.rpc.call('supervisor.clearLog'), true);
      if (impl === 'tsv') {
        await until(() => talks().length > 0, 'the program to write on to the new main log');
        assert.ok(talks().every((n) => n > last), 'the main log was cleared');
      } else {
        await sleep(1500); // fifteen lines
        assert.deepEqual(talks(), [], 'supervisord: the program writes on to the removed file');
      }
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('stdout and stderr sharing one log: back-to-back writes to the two pipes are logged in the order written, either way round', async () => {
  for (const [first, second] of [
    ['out', 'err'],
    ['err', 'out'],
  ] as const) {
    const to = (c: string): string => (c === 'err' ? ' >&2' : '');
    const d = startDaemon(
      'tsv',
      `[program:s]\ncommand=/bin/sh -c 'for i in 1 2 3 4 5 6; do sleep 0.1; echo ${first}$i${to(first)}; echo ${second}$i${to(second)}; done; exec sleep 60'\n` +
        'stdout_logfile={DIR}/s.log\nstderr_logfile={DIR}/s.log\nstartsecs=0\n',
    );
    try {
      await waitUp(d);
      await until(() => (readFileSync(d.dir.join('s.log'), 'utf8').match(/\n/g) ?? []).length >= 12, 'twelve lines');
      const want = [1, 2, 3, 4, 5, 6].flatMap((i) => [`${first}${i}`, `${second}${i}`]).join('\n') + '\n';
      assert.equal(readFileSync(d.dir.join('s.log'), 'utf8'), want);
    } finally {
      await d.stop();
      d.cleanup();
    }
  }
});

// 20,000 lines of 10-510 bytes, each one write to stdout or stderr at random
const RANDOM_WRITER =
  "import os, random, time\nr = random.Random(3)\nfor i in range(20000):\n    fd = 1 if r.random() < 0.5 else 2\n" +
  "    os.write(fd, ('%s %06d %s\\n' % ('O' if fd == 1 else 'E', i, 'b' * r.randint(1, 500))).encode())\n    if i % 100 == 0: time.sleep(0.005)\n";

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`${impl}: stdout and stderr in one file rotated every 4 KiB under a stream of writes: no line is torn by the other channel's output`, { skip: impl === 'supervisord' && oracleSkip, timeout: 120000 }, async () => {
    const dir = new TempDir();
    try {
      writeFileSync(dir.join('w.py'), RANDOM_WRITER);
      const d = startDaemon(
        impl,
        `[program:w]\ncommand=/usr/bin/python3 ${dir.join('w.py')}\nstartsecs=0\nautorestart=false\n` +
          'stdout_logfile={DIR}/w.log\nstderr_logfile={DIR}/w.log\nstdout_logfile_maxbytes=4097\nstderr_logfile_maxbytes=4097\nstdout_logfile_backups=5000\nstderr_logfile_backups=5000\n',
      );
      try {
        await waitUp(d);
        const state = async (): Promise<string> => ((await d.rpc.call('supervisor.getProcessInfo', ['w'])) as { statename: string }).statename;
        await poll(async () => ((await state()) === 'EXITED' ? true : undefined), 'the program to write its lines and exit', 90000);
        const lines = rotatedLog(d.dir.path, 'w.log').all.toString('latin1').split('\n').filter(Boolean);
        const torn = lines.filter((l) => !/^[OE] \d{6} b+$/.test(l));
        assert.deepEqual(torn.slice(0, 3).map((l) => l.slice(0, 40) + '…' + l.slice(-20)), [], `${torn.length} torn lines`);
        assert.equal(lines.length, 20000, 'every line once');
      } finally {
        await d.stop();
        d.cleanup();
      }
    } finally {
      dir.cleanup();
    }
  });
}
