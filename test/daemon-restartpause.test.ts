// restartpause (tsv only; ochinchina's supervisord has the key too): an
// automatic restart after a program exited waits that many seconds, what
// Supervisor's users have asked for since 2013 (issue #323, PRs #509 and
// #659); status says when, a stop calls it off; supervisord ignores the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir, load, sleep } from './helpers/daemon-env';
import { logLineMs, mainLogLines, oracleSkip, startDaemon, userCtl, waitUp, type Impl } from './helpers/events-env';
import { processConfigsEqual } from '../src/daemon/supervisor';

/** runs a second, then fails; restarted whatever its exit */
const FLAKY = (pause: number | null): string =>
  `[program:flaky]\ncommand=/bin/sh -c "sleep 0.3; exit 1"\nstartsecs=0\nautorestart=true\n${pause === null ? '' : `restartpause=${pause}\n`}`;

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`restartpause under ${impl}: ${impl === 'tsv' ? 'each automatic restart waits, status says for how long, a stop calls it off' : 'ignored, the restart comes at once'}`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const d = startDaemon(impl, FLAKY(2));
    try {
      await waitUp(d);
      if (impl === 'supervisord') {
        await until(() => d.log().split('\n').filter((l) => /spawned: 'flaky'/.test(l)).length >= 2, 'two spawns');
        return;
      }
      await until(() => d.log().split('\n').filter((l) => /spawned: 'flaky'/.test(l)).length >= 3, 'three spawns', 15000);
      const full = d.log().split('\n');
      const exits = full.filter((l) => /WARN exited: flaky \(exit status 1; not expected\)/.test(l));
      const spawns = full.filter((l) => /spawned: 'flaky'/.test(l));
      for (let i = 0; i < 2; i++) {
        const waited = logLineMs(spawns[i + 1] as string) - logLineMs(exits[i] as string);
        assert.ok(waited >= 1990 && waited < 3000, `restart ${i} came ${waited} ms after the exit`);
      }
      assert.ok(mainLogLines(d).includes('INFO restarting flaky in 2 seconds (restartpause)'), mainLogLines(d).join('\n'));
      // while it waits: EXITED with Supervisor's words, then when it starts again
      await until(() => / EXITED /.test(userCtl(d, 'status', 'flaky')), 'flaky EXITED');
      assert.match(userCtl(d, 'status', 'flaky'), /^flaky +EXITED +\w{3} \d\d \d\d:\d\d [AP]M, starting again in 0:00:0[12] \(restartpause\)\n$/);
      // stop during the wait: STOPPED, and no restart comes
      assert.equal(userCtl(d, 'stop', 'flaky'), 'flaky: stopped\n');
      const count = d.log().split('\n').filter((l) => /spawned: 'flaky'/.test(l)).length;
      await sleep(2500);
      assert.equal(d.log().split('\n').filter((l) => /spawned: 'flaky'/.test(l)).length, count);
      assert.match(userCtl(d, 'status', 'flaky'), /^flaky +STOPPED /);
      assert.ok(mainLogLines(d).includes('INFO stopped: flaky (its automatic restart was due)'), mainLogLines(d).join('\n'));
      // a start by hand does not wait: its answer (once RUNNING, startsecs=0) comes well inside the 2 s pause
      const asked = Date.now();
      assert.equal(userCtl(d, 'start', 'flaky'), 'flaky: started\n');
      assert.ok(Date.now() - asked < 1500, `start took ${Date.now() - asked} ms`);
      assert.equal(d.log().split('\n').filter((l) => /spawned: 'flaky'/.test(l)).length, count + 1);
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('restartpause in the config: seconds, 0 by default; a negative or non-number value is an error with file and line; a changed value is a changed program', () => {
  const dir = new TempDir('tsv-restartpause-conf-');
  try {
    const bad = configOfX(dir, 'restartpause=-1\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] restartpause: restartpause=-1 is not a number of seconds/);
    assert.equal(configOfX(dir, 'restartpause=soon\n', 'check').status, 2);
    assert.match(configOfX(dir, '', 'show').stdout, /\n {2}restartpause +0 {2}\(default\)\n/);
    assert.match(configOfX(dir, 'restartpause=30\n', 'show').stdout, /\n {2}restartpause +30 {2}\(\S+x\.conf:4\)\n/);
    const x = (lines: string) => load(dir.file('eq.conf', `[supervisord]\n[program:x]\ncommand=/bin/true\n${lines}`)).groups[0]!.processes[0]!;
    assert.equal(processConfigsEqual(x(''), x('restartpause=5\n')), false);
    assert.equal(processConfigsEqual(x('restartpause=0\n'), x('')), true);
  } finally {
    dir.cleanup();
  }
});
