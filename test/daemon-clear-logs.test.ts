// clearProcessLogs (`supervisorctl clear`, the web page's Clear Log) where
// tsv differs from Supervisor on purpose (docs/differences.md): the logs of
// a program that is not running are cleared too (Supervisor answers
// "cleared" and leaves them: its issue #804), and a log name that is a link
// (`stdout_logfile=/dev/stdout`) is never removed (Supervisor deletes the
// link and puts a plain file in its place). Both daemons run the same steps;
// what supervisord does is asserted too, so the difference stays real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { until } from './helpers/daemon-cli';
import { oracleSkip, startDaemon, userCtl, waitUp, type Impl } from './helpers/events-env';
import { LogFile, clearClosedLog } from '../src/log/logfile';
import { TempDir, sleep } from './helpers/daemon-env';

const conf = (link: string): string =>
  "[program:done]\ncommand=/bin/sh -c 'echo out; echo err >&2'\nstartsecs=0\nautorestart=false\nstdout_logfile={DIR}/done.out\nstderr_logfile={DIR}/done.err\n" +
  `[program:linked]\ncommand=/bin/sh -c 'while :; do echo tick; sleep 0.2; done'\nstartsecs=0\nstdout_logfile=${link}\nstdout_logfile_maxbytes=0\n` +
  // stdout and stderr in one file
  "[program:both]\ncommand=/bin/sh -c 'i=0; while :; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.1; done'\nstartsecs=0\nstdout_logfile={DIR}/both.log\nstderr_logfile={DIR}/both.log\nstdout_logfile_maxbytes=0\nstderr_logfile_maxbytes=0\n" +
  // one log for the pool
  "[program:pool]\ncommand=/bin/sh -c 'i=0; while :; do echo from $SUPERVISOR_PROCESS_NAME $i; i=$((i+1)); sleep 0.2; done'\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=2\nstartsecs=0\nstdout_logfile={DIR}/pool.log\nstdout_logfile_maxbytes=0\n";

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`clear on ${impl}: a program that is not running, a log name that is a link, logs shared by processes and by a process's two channels`, { skip: impl === 'supervisord' && oracleSkip, timeout: 60000 }, async () => {
    const dir = new TempDir(`tsv-clear-${impl}-`);
    const link = dir.join('linked.log');
    symlinkSync('/dev/null', link);
    const d = startDaemon(impl, conf(link));
    try {
      await waitUp(d);
      await until(() => /^done +EXITED/m.test(userCtl(d, 'status', 'done')), 'done to exit');
      await until(() => /^linked +RUNNING/m.test(userCtl(d, 'status', 'linked')), 'linked to run');
      chmodSync(d.dir.join('done.out'), 0o640);
      assert.equal(readFileSync(d.dir.join('done.out'), 'utf8'), 'out\n');

      assert.equal(userCtl(d, 'clear', 'done'), 'done: cleared\n');
      if (impl === 'tsv') {
        assert.equal(readFileSync(d.dir.join('done.out'), 'utf8'), '');
        assert.equal(readFileSync(d.dir.join('done.err'), 'utf8'), '');
        assert.equal(lstatSync(d.dir.join('done.out')).mode & 0o777, 0o640, 'the new file has the mode of the one it replaces');
      } else {
        assert.equal(readFileSync(d.dir.join('done.out'), 'utf8'), 'out\n', 'supervisord leaves them (issue #804)');
        assert.equal(readFileSync(d.dir.join('done.err'), 'utf8'), 'err\n');
      }

      assert.equal(userCtl(d, 'clear', 'linked'), 'linked: cleared\n');
      const linked = lstatSync(link);
      if (impl === 'tsv') assert.equal(readlinkSync(link), '/dev/null');
      else assert.ok(linked.isFile(), 'supervisord removed the link and made a plain file');

      // a running process's log that others write too: Supervisor removes it from under them
      const read = (name: string): string => readFileSync(d.dir.join(name), 'utf8');
      /** the numbers of the lines in `name` that begin with `head` */
      const numbers = (name: string, head: string): number[] => [...read(name).matchAll(new RegExp(`^${head} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
      const written = (name: string, heads: string[]): boolean => heads.every((h) => numbers(name, h).length > 0);
      const POOL = ['from pool_0', 'from pool_1'];
      const BOTH = ['out', 'err'];
      await until(() => written('pool.log', POOL) && written('both.log', BOTH), 'the pool and both to write');
      // each writer's last line before the clear: the file after it must hold none before that
      const last = (name: string, heads: string[]): number[] => heads.map((h) => Math.max(...numbers(name, h)));
      const before = { pool: last('pool.log', POOL), both: last('both.log', BOTH) };
      assert.equal(userCtl(d, 'clear', 'pool:pool_0', 'both'), 'pool:pool_0: cleared\nboth: cleared\n');
      const cleared = (name: string, heads: string[], was: number[]): boolean => heads.every((h, i) => numbers(name, h).every((n) => n > (was[i] as number)));
      if (impl === 'tsv') {
        await until(() => written('pool.log', POOL) && written('both.log', BOTH), 'every writer to write on to the new files');
      } else {
        await sleep(1500); // seven lines of each
        assert.ok(written('pool.log', ['from pool_0']) && written('both.log', ['err']));
        assert.ok(!written('pool.log', ['from pool_1']), 'supervisord: pool_1 writes on to the removed file');
        assert.ok(!written('both.log', ['out']), "supervisord: stdout writes on to the file stderr's clear removed");
      }
      assert.ok(cleared('pool.log', POOL, before.pool) && cleared('both.log', BOTH, before.both), 'the files were cleared');

      // clearing the stopped one must not take the file from the running one
      assert.equal(userCtl(d, 'stop', 'pool:pool_1'), 'pool:pool_1: stopped\n');
      assert.equal(userCtl(d, 'clear', 'pool:pool_1'), 'pool:pool_1: cleared\n');
      const kept = read('pool.log');
      await until(() => read('pool.log').length > kept.length, 'pool_0 to write on to the shared log');
      assert.match(kept, /^from pool_0 \d+$/m, 'the log pool_0 writes was left');
    } finally {
      await d.stop();
      d.cleanup();
      dir.cleanup();
    }
  });
}

test('LogFile.remove (clearLog) leaves a name that is not a regular file: a link to /dev/null stays a link, and is opened again', () => {
  const dir = new TempDir();
  try {
    const path = dir.join('out.log');
    symlinkSync('/dev/null', path);
    const f = new LogFile(path, 0, 0);
    f.write('x\n');
    f.remove();
    assert.equal(f.reopen(), true);
    f.write('y\n');
    f.close();
    assert.equal(readlinkSync(path), '/dev/null');
    // and a regular file is removed, as Supervisor does: the new one is empty
    const g = new LogFile(dir.join('plain.log'), 0, 0);
    g.write('x\n');
    g.remove();
    g.reopen();
    g.close();
    assert.equal(dir.read('plain.log'), '');
  } finally {
    dir.cleanup();
  }
});

test('clearClosedLog: empties a regular file keeping its mode; a link or a missing file is left, and says so', () => {
  const dir = new TempDir();
  try {
    const path = dir.file('a.log', 'old\n');
    chmodSync(path, 0o666); // more than the umask lets a new file have
    assert.equal(clearClosedLog(path), true);
    assert.equal(dir.read('a.log'), '');
    assert.equal(lstatSync(path).mode & 0o777, 0o666);
    symlinkSync(path, dir.join('l.log'));
    dir.file('a.log', 'kept\n');
    assert.equal(clearClosedLog(dir.join('l.log')), false);
    assert.equal(dir.read('a.log'), 'kept\n');
    assert.equal(clearClosedLog(dir.join('none.log')), false);
  } finally {
    dir.cleanup();
  }
});
