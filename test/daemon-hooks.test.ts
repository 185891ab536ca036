// pre_start_hook and pre_stop_hook (tsv only; ochinchina's supervisord's
// names, systemd's ExecStartPre= and ExecStop=): a command each start waits
// for, and one each stop runs before its stopsignal. supervisord ignores the
// keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir, sleep } from './helpers/daemon-env';
import { assertSupervisordIgnores, mainLogLines, oracleSkip, startDaemon, userCtl, waitUp } from './helpers/events-env';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const indexOf = (lines: string[], re: RegExp): number => lines.findIndex((l) => re.test(l));
/** The zombie children of `parent` (from /proc: state Z, its ppid). */
const zombiesOf = (parent: number): number[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' && Number(ppid) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);

test('pre_start_hook: each start waits for it in STARTING, run as the program is (its directory and environment); a failure is a spawn error retried as one, a leading - ignores it; a hook past its time is killed', async () => {
  const dir = new TempDir('tsv-hooks-');
  const d = startDaemon(
    'tsv',
    // the hook makes what the program needs, and takes a second to
    `[program:web]\ncommand=/bin/sh -c "cat made; exec sleep 100"\ndirectory=${dir.path}\nstartsecs=1\n` +
      `pre_start_hook=/bin/sh -c "sleep 1; echo $SUPERVISOR_PROCESS_NAME in $(pwd) > made"\nstdout_logfile={DIR}/web.log\n` +
      '[program:nodb]\ncommand=sleep 100\nstartretries=1\npre_start_hook=/bin/sh -c "echo no database; exit 3"\n' +
      '[program:lenient]\ncommand=sleep 100\nstartsecs=0\npre_start_hook=-/bin/sh -c "exit 4"\n' +
      `[program:slow]\ncommand=sleep 100\nstartretries=0\npre_start_hook=/bin/sh -c "echo $$ > ${dir.join('slow.pid')}; exec sleep 30"\npre_start_hook_timeout=1\n`,
  );
  try {
    await waitUp(d);
    // during the hook: STARTING, no pid, nothing spawned
    assert.match(userCtl(d, 'status', 'web'), /^web +STARTING +\n$/);
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'web')), 'web RUNNING', 10000);
    assert.equal(readFileSync(d.dir.join('web.log'), 'utf8'), `web in ${dir.path}\n`);
    const lines = mainLogLines(d);
    const ran = indexOf(lines, /^INFO running pre_start_hook of web: \/bin\/sh -c "sleep 1; echo \$SUPERVISOR_PROCESS_NAME in \$\(pwd\) > made"$/);
    const spawned = indexOf(lines, /^INFO spawned: 'web' with pid \d+$/);
    assert.ok(ran >= 0 && spawned > ran, lines.join('\n'));
    // the uptime counts from the program's own start, not the hook's
    assert.match(userCtl(d, 'status', 'web'), /uptime 0:00:0[0-3]\n$/);
    // a failing hook: BACKOFF, then FATAL, the program never run
    await until(() => / FATAL /.test(userCtl(d, 'status', 'nodb')), 'nodb FATAL');
    assert.match(userCtl(d, 'status', 'nodb'), /^nodb +FATAL +pre_start_hook failed: exit status 3: no database\n$/);
    assert.equal(mainLogLines(d).filter((l) => l === 'INFO spawnerr: pre_start_hook failed: exit status 3: no database').length, 2);
    assert.ok(!mainLogLines(d).some((l) => /spawned: 'nodb'/.test(l)));
    // - : started anyway, with the failure said
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'lenient')), 'lenient RUNNING');
    assert.ok(mainLogLines(d).includes('WARN pre_start_hook of lenient failed (exit status 4); starting it anyway, as its leading - asks'));
    // past pre_start_hook_timeout: killed, a spawn error
    await until(() => / FATAL /.test(userCtl(d, 'status', 'slow')), 'slow FATAL', 10000);
    assert.match(userCtl(d, 'status', 'slow'), /^slow +FATAL +pre_start_hook failed: still running after 1 s, killed\n$/);
    const hookPid = Number(readFileSync(dir.join('slow.pid'), 'utf8'));
    await until(() => !alive(hookPid), 'the hook to be gone');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('pre_start_hook: a stop while the hook runs ends it and the program never starts; so does a shutdown', async () => {
  const dir = new TempDir('tsv-hooks-stop-');
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=/bin/sh -c "touch ${dir.join('started')}; exec sleep 100"\npre_start_hook=/bin/sh -c "echo $$ > ${dir.join('hook.pid')}; exec sleep 30"\n` +
      `[program:other]\ncommand=sleep 100\nautostart=false\npre_start_hook=/bin/sh -c "echo $$ > ${dir.join('other.pid')}; exec sleep 30"\n`,
  );
  try {
    await waitUp(d);
    await until(() => existsSync(dir.join('hook.pid')) && readFileSync(dir.join('hook.pid'), 'utf8').endsWith('\n'), 'the hook to run');
    const hookPid = Number(readFileSync(dir.join('hook.pid'), 'utf8'));
    const t0 = Date.now();
    assert.equal(userCtl(d, 'stop', 'web'), 'web: stopped\n');
    assert.ok(Date.now() - t0 < 3000, 'the stop did not wait for the hook');
    assert.match(userCtl(d, 'status', 'web'), /^web +STOPPED +/);
    // a started process that stopped shows its stop time, as Supervisor's do (not the epoch's "Jan 01 12:00 AM")
    const info = (await d.rpc.call('supervisor.getProcessInfo', ['web'])) as { start: number; stop: number; description: string };
    assert.ok(info.start > 0 && info.stop >= info.start && info.stop <= Date.now() / 1000 + 1, JSON.stringify(info));
    assert.doesNotMatch(info.description, /^Jan 01 12:00 AM$/);
    await until(() => !alive(hookPid), 'the hook to be killed');
    assert.ok(mainLogLines(d).includes("INFO stopped: web (its pre_start_hook was ended before the program started)"));
    await sleep(300);
    assert.ok(!existsSync(dir.join('started')), 'the program never ran');
    // the same at shutdown
    await d.rpc.call('supervisor.startProcess', ['other', false]);
    await until(() => existsSync(dir.join('other.pid')) && readFileSync(dir.join('other.pid'), 'utf8').endsWith('\n'), 'the other hook to run');
    const otherPid = Number(readFileSync(dir.join('other.pid'), 'utf8'));
    await d.stop();
    assert.equal(await d.exited, 0);
    await until(() => !alive(otherPid), 'the other hook to be killed by the shutdown');
  } finally {
    d.cleanup();
    dir.cleanup();
  }
});

test('pre_start_hook: a reload while the hook runs kills it and reaps it; no zombie is left behind, and none is called an unknown pid later', async () => {
  const dir = new TempDir('tsv-hooks-reload-');
  const d = startDaemon(
    'tsv',
    `[program:hang]\ncommand=sleep 100\npre_start_hook=/bin/sh -c "echo $$ >> ${dir.join('hooks')}; exec sleep 1000"\n[program:short]\ncommand=sleep 100\nautostart=false\n`,
  );
  const hooks = (): number[] => (existsSync(dir.join('hooks')) ? readFileSync(dir.join('hooks'), 'utf8').split('\n').filter(Boolean).map(Number) : []);
  try {
    await waitUp(d);
    await until(() => hooks().length === 1, 'the hook to run');
    for (let i = 1; i <= 2; i++) {
      d.child.kill('SIGHUP');
      await until(() => hooks().length === i + 1, `the hook to run again after reload ${i}`);
    }
    for (const pid of hooks().slice(0, 2)) await until(() => !alive(pid), `the hook ${pid} killed by the reload`);
    await until(() => zombiesOf(d.child.pid as number).length === 0, 'the killed hooks reaped', 5000);
    // another child's exit makes the daemon reap what it finds: nothing of the hooks is left to call unknown
    await d.rpc.call('supervisor.startProcess', ['short', true]);
    await d.rpc.call('supervisor.stopProcess', ['short', true]);
    await sleep(200);
    assert.deepEqual(mainLogLines(d).filter((l) => l.includes('reaped unknown pid')), []);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('a hook or a command check that leaves a process in the background holding its output: its exit is the answer, and the background process lives on (it is not killed, nor dies of SIGPIPE when it writes)', async () => {
  const dir = new TempDir('tsv-hooks-bg-');
  // writes its pid, then (after the hook has answered) to the output it inherited
  const bg = (name: string): string => dir.file(`${name}.sh`, `#!/bin/sh\necho $$ > ${dir.join(`${name}.pid`)}\nsleep 1\necho later\nexec sleep 1000\n`, 0o755);
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=sleep 100\nstartsecs=0\npre_start_hook=/bin/sh -c "${bg('hook')} & echo started"\npre_start_hook_timeout=20\n` +
      `[program:api]\ncommand=sleep 100\nstartsecs=0\nhealthcheck=/bin/sh -c "${bg('check')} & exit 0"\nhealthcheck_timeout=20\n`,
  );
  const pidOf = (name: string): number => Number(readFileSync(dir.join(`${name}.pid`), 'utf8'));
  try {
    await waitUp(d);
    const t0 = Date.now();
    await until(() => /^web +RUNNING/.test(userCtl(d, 'status', 'web')), 'web RUNNING', 10000);
    await until(() => mainLogLines(d).some((l) => l.startsWith('INFO healthy: api answered ')), 'api healthy', 10000);
    assert.ok(Date.now() - t0 < 5000, 'the answers waited for the background processes');
    await until(() => existsSync(dir.join('hook.pid')) && existsSync(dir.join('check.pid')), 'the pid files');
    // past their write of "later"
    await sleep(1500);
    for (const name of ['hook', 'check']) {
      const stat = existsSync(`/proc/${pidOf(name)}/stat`) ? readFileSync(`/proc/${pidOf(name)}/stat`, 'utf8') : '';
      assert.match(stat, /\(sleep\) [RS] /, `${name}'s background process is gone: ${stat}`);
    }
    assert.ok(!mainLogLines(d).some((l) => /still running after|no answer within/.test(l)), mainLogLines(d).join('\n'));
  } finally {
    for (const name of ['hook', 'check']) {
      try {
        process.kill(pidOf(name), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('pre_stop_hook that makes its program end and runs on: a shutdown kills it and says so, and does not wait for its stopwaitsecs', async () => {
  const dir = new TempDir('tsv-hooks-after-');
  const prog = dir.file('prog.sh', `#!/bin/sh\necho $$ > ${dir.join('prog.pid')}\ntrap 'exit 0' USR1\nwhile :; do sleep 0.1; done\n`, 0o755);
  const hook = dir.file('hook.sh', `#!/bin/sh\necho $$ > ${dir.join('hook.pid')}\nkill -USR1 $(cat ${dir.join('prog.pid')})\nexec sleep 1000\n`, 0o755);
  const d = startDaemon('tsv', `[program:app]\ncommand=${prog}\nstartsecs=0\nstopwaitsecs=30\npre_stop_hook=${hook}\n`);
  try {
    await waitUp(d);
    await until(() => existsSync(dir.join('prog.pid')), 'the program to run');
    const t0 = Date.now();
    await d.stop();
    assert.equal(await d.exited, 0);
    assert.ok(Date.now() - t0 < 10000, `the shutdown took ${Date.now() - t0} ms`);
    const hookPid = Number(readFileSync(dir.join('hook.pid'), 'utf8'));
    await until(() => !alive(hookPid), 'the hook killed');
    assert.ok(mainLogLines(d).includes('WARN pre_stop_hook of app still ran after app had stopped: killed, as the daemon exits'), mainLogLines(d).join('\n'));
  } finally {
    d.cleanup();
    dir.cleanup();
  }
});

test('pre_stop_hook: runs before stopsignal, which follows once it ends; a program the hook makes exit is stopped without a signal; a failing hook is said and the stop goes on', async () => {
  const dir = new TempDir('tsv-hooks-prestop-');
  const trapper = dir.file('trapper.sh', `trap 'echo TERM >> ${dir.join('order')}; exit 0' TERM\ntrap 'exit 0' USR1\necho $$ > ${dir.join('pid')}\nwhile :; do sleep 0.1; done\n`);
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=/bin/sh ${trapper}\nstartsecs=0\npre_stop_hook=/bin/sh -c "sleep 0.5; echo hook >> ${dir.join('order')}"\n` +
      // redis-cli shutdown, in small: the hook asks the program to end
      `[program:redis]\ncommand=/bin/sh -c "echo $$ > ${dir.join('redis.pid')}; trap 'exit 0' USR1; trap 'echo TERM > ${dir.join('redis-term')}' TERM; while :; do sleep 0.1; done"\nstartsecs=0\n` +
      `pre_stop_hook=/bin/sh -c "kill -USR1 $(cat ${dir.join('redis.pid')}); sleep 1"\n` +
      `[program:broken]\ncommand=sleep 100\nstartsecs=0\npre_stop_hook=/bin/sh -c "echo cannot drain; exit 2"\n`,
  );
  try {
    await waitUp(d);
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'web')) && existsSync(dir.join('pid')), 'web RUNNING');
    assert.equal(userCtl(d, 'stop', 'web'), 'web: stopped\n');
    assert.equal(readFileSync(dir.join('order'), 'utf8'), 'hook\nTERM\n');
    const lines = mainLogLines(d);
    assert.ok(indexOf(lines, /^INFO running pre_stop_hook of web: /) < indexOf(lines, /stopped: web \(exit status 0\)/), lines.join('\n'));
    // the hook makes it exit: the stop ends there, no signal sent
    await until(() => existsSync(dir.join('redis.pid')) && readFileSync(dir.join('redis.pid'), 'utf8').endsWith('\n'), 'redis RUNNING');
    assert.equal(userCtl(d, 'stop', 'redis'), 'redis: stopped\n');
    assert.ok(mainLogLines(d).includes('INFO stopped: redis (exit status 0)'), mainLogLines(d).join('\n'));
    await sleep(1200);
    assert.ok(!existsSync(dir.join('redis-term')), 'no SIGTERM after the hook');
    // the failing one
    assert.equal(userCtl(d, 'stop', 'broken'), 'broken: stopped\n');
    assert.ok(mainLogLines(d).includes('WARN pre_stop_hook of broken failed (exit status 2: cannot drain); stopping it with its stopsignal'));
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('supervisord ignores pre_start_hook, pre_stop_hook and pre_start_hook_timeout', { skip: oracleSkip }, () =>
  assertSupervisordIgnores('pre_start_hook=/bin/false\npre_stop_hook=/bin/false\npre_start_hook_timeout=5\n'),
);

test('pre_start_hook and pre_stop_hook in the config: a command split as command= is, errors name file and line; only programs; the timeout; config show', () => {
  const dir = new TempDir('tsv-hooks-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const unsplit = run('pre_start_hook=/bin/sh -c "echo\n', 'check');
    assert.equal(unsplit.status, 2);
    assert.match(unsplit.stderr, /x\.conf:4: \[program:x\] pre_start_hook: the command cannot be split into words: No closing quotation/);
    const dash = run('pre_stop_hook=-\n', 'check');
    assert.equal(dash.status, 2);
    assert.match(dash.stderr, /x\.conf:4: \[program:x\] pre_stop_hook: no command after the -/);
    const timeout = run('pre_start_hook=/bin/true\npre_start_hook_timeout=0\n', 'check');
    assert.equal(timeout.status, 2);
    assert.match(timeout.stderr, /x\.conf:5: \[program:x\] pre_start_hook_timeout: pre_start_hook_timeout=0: the seconds a pre_start_hook may run must be 1 or more/);
    const long = run('pre_start_hook=/bin/true\npre_start_hook_timeout=3000000\n', 'check');
    assert.equal(long.status, 2);
    assert.match(long.stderr, /x\.conf:5: \[program:x\] pre_start_hook_timeout: pre_start_hook_timeout=3000000: the seconds a pre_start_hook may run must be 2147483 or less \(24\.8 days, the longest a timer waits\)/);
    const listener = configOfX(dir, '[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_60\npre_start_hook=/bin/true\n', 'check');
    assert.equal(listener.status, 2);
    assert.match(listener.stderr, /\[eventlistener:l\] sets pre_start_hook=, which only a \[program:x\] section may/);
    const shown = run('pre_start_hook=-/usr/bin/prepare --quiet\npre_start_hook_timeout=300\npre_stop_hook=/usr/bin/drain\nstopwaitsecs=30\n', 'show');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /\n  pre_start_hook +-\/usr\/bin\/prepare --quiet  \[up to 300 s; a failure is ignored \(-\)\]  \(\S+x\.conf:4\)\n/);
    assert.match(shown.stdout, /\n  pre_stop_hook +\/usr\/bin\/drain  \[up to 30 s; then stopsignal\]  \(\S+x\.conf:6\)\n/);
  } finally {
    dir.cleanup();
  }
});
