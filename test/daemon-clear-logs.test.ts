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
  "[program:both]\ncommand=/bin/sh -c 'while :; do echo out; echo err >&2; sleep 0.1; done'\nstartsecs=0\nstdout_logfile={DIR}/both.log\nstderr_logfile={DIR}/both.log\nstdout_logfile_maxbytes=0\nstderr_logfile_maxbytes=0\n" +
  // one log for the pool
  "[program:pool]\ncommand=/bin/sh -c 'while :; do echo from $SUPERVISOR_PROCESS_NAME; sleep 0.2; done'\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=2\nstartsecs=0\nstdout_logfile={DIR}/pool.log\nstdout_logfile_maxbytes=0\n";

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
      await until(() => /from pool_0\n/.test(read('pool.log')) && /from pool_1\n/.test(read('pool.log')), 'the pool to write');
      await until(() => /out\n/.test(read('both.log')) && /err\n/.test(read('both.log')), 'both to write');
      const inodes = (): number[] => ['pool.log', 'both.log'].map((n) => lstatSync(d.dir.join(n)).ino);
      const old = inodes();
      assert.equal(userCtl(d, 'clear', 'pool:pool_0', 'both'), 'pool:pool_0: cleared\nboth: cleared\n');
      if (impl === 'tsv') {
        // (supervisord frees a removed file that no channel holds any more, so its number can come back)
        const now = inodes();
        assert.ok(now[0] !== old[0] && now[1] !== old[1], 'new files have the names');
        await until(() => /from pool_0\n/.test(read('pool.log')) && /from pool_1\n/.test(read('pool.log')), 'the pool to write on to the new file');
        await until(() => /out\n/.test(read('both.log')) && /err\n/.test(read('both.log')), 'both channels to write on to the new file');
      } else {
        await sleep(1500); // seven lines of each
        assert.match(read('pool.log'), /from pool_0\n/);
        assert.doesNotMatch(read('pool.log'), /from pool_1/, 'supervisord: pool_1 writes on to the removed file');
        assert.match(read('both.log'), /err\n/);
        assert.doesNotMatch(read('both.log'), /out/, "supervisord: stdout writes on to the file stderr's clear removed");
      }

      // clearing the stopped one must not take the file from the running one
      assert.equal(userCtl(d, 'stop', 'pool:pool_1'), 'pool:pool_1: stopped\n');
      assert.equal(userCtl(d, 'clear', 'pool:pool_1'), 'pool:pool_1: cleared\n');
      const before = readFileSync(d.dir.join('pool.log'), 'utf8');
      await until(() => readFileSync(d.dir.join('pool.log'), 'utf8').length > before.length, 'pool_0 to write on to the shared log');
      assert.match(before, /from pool_0\n/, 'the log pool_0 writes was left');
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
