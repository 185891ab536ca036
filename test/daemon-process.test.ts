// The process state machine with real programs: every transition, the
// backoff arithmetic, autorestart rules, stop signals and SIGKILL, process
// group stop, and every spawn error as Supervisor reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TempDir, writeConf, load, startEngine, engineApi, waitState, sleep, pidAlive, type TestEngine } from './helpers/daemon-env';
import { ProcessState } from '../src/daemon/states';
import { Level } from '../src/log/levels';
import { DAEMON_RESTART_BURST, DAEMON_RESTART_RATE, DaemonRestartPace, RESTART_BURST, RESTART_RATE } from '../src/daemon/restart-pace';
import { until } from './helpers/daemon-cli';

async function withEngine(body: string, fn: (t: TestEngine, dir: TempDir) => Promise<void>, extra = ''): Promise<void> {
  const dir = new TempDir();
  const te = startEngine(load(writeConf(dir, body, extra)));
  try {
    await fn(te, dir);
  } finally {
    await te.close();
    dir.cleanup();
  }
}

const mainLog = (dir: TempDir): string => dir.read('supervisord.log');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('startsecs=0: STOPPED -> STARTING -> RUNNING, stop: STOPPING -> STOPPED by SIGTERM', async () => {
  await withEngine('[program:a]\ncommand=sleep 60\nstartsecs=0\n', async ({ engine, trace }, dir) => {
    const running = await waitState(engine, 'a', ProcessState.RUNNING);
    assert.ok(running.pid > 0);
    const proc = engine.groups.get('a')!.processes.get('a')!;
    assert.equal(proc.stop(), null);
    const stopped = await waitState(engine, 'a', ProcessState.STOPPED);
    assert.equal(stopped.exitstatus, -1);
    assert.deepEqual(trace(), ['a STOPPED->STARTING', 'a STARTING->RUNNING', 'a RUNNING->STOPPING', 'a STOPPING->STOPPED']);
    assert.match(mainLog(dir), /INFO spawned: 'a' with pid \d+\n/);
    assert.match(mainLog(dir), /INFO success: a entered RUNNING state, process has stayed up for > than 0 seconds \(startsecs\)/);
    assert.match(mainLog(dir), /WARN stopped: a \(terminated by SIGTERM\)/);
  });
});

test('startsecs=1: RUNNING only after the process stayed up more than startsecs', async () => {
  await withEngine('[program:a]\ncommand=sleep 60\nstartsecs=1\n', async ({ engine }) => {
    const starting = await waitState(engine, 'a', ProcessState.STARTING);
    const running = await waitState(engine, 'a', ProcessState.RUNNING);
    assert.ok(running.time - starting.time > 1, `RUNNING after ${running.time - starting.time}s`);
  });
});

test('backoff: 1, 2 s waits, FATAL after startretries+1 attempts, tries counted', async () => {
  await withEngine('[program:f]\ncommand=/bin/sh -c "exit 3"\nstartretries=2\nstartsecs=1\n', async ({ engine, transitions }, dir) => {
    await waitState(engine, 'f', ProcessState.FATAL, 20000);
    const f = transitions.filter((t) => t.name === 'f');
    const seq = f.map((t) => `${ProcessState[t.to]}:${t.tries}`);
    assert.deepEqual(seq, ['STARTING:0', 'BACKOFF:1', 'STARTING:1', 'BACKOFF:2', 'STARTING:2', 'BACKOFF:3', 'FATAL:0']);
    const backoffs = f.filter((t) => t.to === ProcessState.BACKOFF);
    const starts = f.filter((t) => t.to === ProcessState.STARTING);
    // each retry waits `backoff` seconds after entering BACKOFF
    assert.ok(starts[1].time - backoffs[0].time >= 1 && starts[1].time - backoffs[0].time < 1.9);
    assert.ok(starts[2].time - backoffs[1].time >= 2 && starts[2].time - backoffs[1].time < 2.9);
    const log = mainLog(dir);
    assert.equal((log.match(/WARN exited: f \(exit status 3; not expected\)/g) ?? []).length, 3);
    assert.match(log, /INFO gave up: f entered FATAL state, too many start retries too quickly/);
    const proc = engine.groups.get('f')!.processes.get('f')!;
    assert.equal(proc.spawnerr, 'Exited too quickly (process log may have details)');
  });
});

test('a program that puts itself in the background (`cmd &`, output still held, a clean exit) gives up after one run; one that lets go of its output, whose helper ends before the retry, or that crashed, is retried', async () => {
  const dir0 = new TempDir();
  const d = (f: string): string => dir0.join(f);
  const body =
    `[program:holds]\ncommand=/bin/sh -c "echo run >> ${d('holds.runs')}; sleep 60 & echo $! >> ${d('bg.pids')}"\nstartsecs=1\nstartretries=1\n` +
    `[program:quiet]\ncommand=/bin/sh -c "echo run >> ${d('quiet.runs')}; sleep 60 >/dev/null 2>&1 & echo $! >> ${d('bg.pids')}"\nstartsecs=1\nstartretries=1\n` +
    `[program:brief]\ncommand=/bin/sh -c "echo run >> ${d('brief.runs')}; sleep 0.3 &"\nstartsecs=1\nstartretries=1\n` +
    // a crash that leaves a helper running is retried as in Supervisor: the next try may well succeed
    `[program:crashy]\ncommand=/bin/sh -c "echo run >> ${d('crashy.runs')}; sleep 60 & echo $! >> ${d('bg.pids')}; exit 1"\nstartsecs=1\nstartretries=1\n`;
  const runs = (name: string): number => readFileSync(d(`${name}.runs`), 'utf8').split('\n').filter(Boolean).length;
  try {
    await withEngine(body, async ({ engine, transitions }, dir) => {
      for (const name of ['holds', 'quiet', 'brief', 'crashy']) await waitState(engine, name, ProcessState.FATAL, 20000);
      const seq = (name: string): string[] => transitions.filter((t) => t.name === name).map((t) => ProcessState[t.to]);
      assert.deepEqual(seq('holds'), ['STARTING', 'BACKOFF', 'FATAL']);
      assert.equal(runs('holds'), 1, 'no second copy was started');
      // Supervisor's retries where nothing holds the output, or the helper has ended by the retry
      assert.deepEqual(seq('quiet'), ['STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'FATAL']);
      assert.equal(runs('quiet'), 2);
      assert.deepEqual(seq('brief'), ['STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'FATAL']);
      assert.equal(runs('brief'), 2);
      assert.deepEqual(seq('crashy'), ['STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'FATAL']);
      assert.equal(runs('crashy'), 2);
      const bg = readFileSync(d('bg.pids'), 'utf8').split('\n').filter(Boolean).map(Number);
      const holdsBg = bg.find((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').includes('SUPERVISOR_PROCESS_NAME=holds\0'));
      assert.ok(holdsBg && pidAlive(holdsBg));
      const proc = engine.groups.get('holds')!.processes.get('holds')!;
      assert.equal(proc.spawnerr, `Exited too quickly, leaving 1 process in the background (${holdsBg})`);
      const log = mainLog(dir);
      assert.match(log, /WARN exited: holds \(exit status 0; not expected\)\n/);
      assert.match(
        log,
        new RegExp(
          `INFO gave up: holds entered FATAL state, it put itself in the background: 1 process of its last run \\(${holdsBg}\\) still running with its output pipes open; another start would start another copy\n.*INFO hint: run the command of 'holds' in the foreground`,
        ),
      );
      assert.match(log, /INFO gave up: quiet entered FATAL state, too many start retries too quickly/);
      for (const pid of bg) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    });
  } finally {
    dir0.cleanup();
  }
});

test('autorestart=unexpected: expected exit stays EXITED, unexpected exit restarts', async () => {
  const body =
    '[program:ok]\ncommand=/bin/sh -c "sleep 0.3; exit 0"\nstartsecs=0\n' +
    '[program:bad]\ncommand=/bin/sh -c "sleep 0.3; exit 4"\nstartsecs=0\nexitcodes=0,2\n';
  await withEngine(body, async ({ engine, transitions }, dir) => {
    const exited = await waitState(engine, 'ok', ProcessState.EXITED);
    assert.equal(exited.expected, true);
    assert.equal(exited.exitstatus, 0);
    await waitState(engine, 'bad', ProcessState.STARTING, 10000, 2);
    const badExit = transitions.find((t) => t.name === 'bad' && t.to === ProcessState.EXITED)!;
    assert.equal(badExit.expected, false);
    assert.equal(engine.groups.get('bad')!.processes.get('bad')!.spawnerr === null, true); // cleared by the respawn
    await sleep(400);
    assert.equal(engine.groups.get('ok')!.processes.get('ok')!.state, ProcessState.EXITED);
    assert.match(mainLog(dir), /INFO exited: ok \(exit status 0; expected\)/);
    assert.match(mainLog(dir), /WARN exited: bad \(exit status 4; not expected\)/);
  });
});

test('autorestart=true restarts after an expected exit; autorestart=false never restarts', async () => {
  const body =
    '[program:always]\ncommand=/bin/sh -c "sleep 0.2"\nstartsecs=0\nautorestart=true\n' +
    '[program:never]\ncommand=/bin/sh -c "sleep 0.2; exit 9"\nstartsecs=0\nautorestart=false\n';
  await withEngine(body, async ({ engine }) => {
    await waitState(engine, 'always', ProcessState.RUNNING, 10000, 3);
    const never = engine.groups.get('never')!.processes.get('never')!;
    assert.equal(never.state, ProcessState.EXITED);
    assert.equal(never.exitstatus, 9);
    assert.equal(never.spawnerr, 'Bad exit code 9');
  });
});

test('a program that exits at once (startsecs=0, autorestart): restarts at once for a burst, then paced at 10 a second, said once', async () => {
  const dir = new TempDir();
  const conf = writeConf(dir, '[program:loop]\ncommand=/bin/false\nstartsecs=0\nautorestart=true\n');
  const te = startEngine(load(conf), Level.INFO);
  const starts = (): number[] => te.transitions.filter((t) => t.name === 'loop' && t.to === ProcessState.STARTING).map((t) => t.time);
  const announced = /WARN automatic restarts of 'loop' now wait 100 ms each: it has exited and been restarted 1000 times faster than 10 a second/;
  try {
    assert.equal(RESTART_BURST, 1000);
    assert.equal(RESTART_RATE, 10);
    await until(() => announced.test(mainLog(dir)), 'the pace announced', 60000);
    const burst = starts().length;
    // the autostart, then the whole burst back to back (plus what refilled meanwhile)
    assert.ok(burst >= RESTART_BURST + 1, `${burst} starts before the pace`);
    await sleep(2000);
    const paced = starts().slice(burst);
    assert.ok(paced.length >= 15 && paced.length <= 22, `${paced.length} restarts in 2 s at the pace`);
    for (let i = 1; i < paced.length; i++) assert.ok(paced[i] - paced[i - 1] >= 0.09, `restarts ${(paced[i] - paced[i - 1]) * 1000} ms apart`);
    assert.equal(mainLog(dir).match(new RegExp(announced.source, 'g'))?.length, 1, 'said once');
    // a manual start is not paced: the process is spawned at once
    const proc = te.engine.groups.get('loop')!.processes.get('loop')!;
    await until(() => proc.state === ProcessState.EXITED, 'loop EXITED between two paced restarts');
    const before = starts().length;
    proc.spawn();
    assert.equal(starts().length, before + 1);
    // a stop while a paced restart waits calls it off (Supervisor, which restarts at once, never waits there)
    await until(() => proc.state === ProcessState.EXITED, 'loop EXITED again');
    assert.equal(await engineApi(te, conf).stopProcess('loop'), true);
    assert.equal(proc.state, ProcessState.STOPPED);
    assert.match(mainLog(dir), /INFO stopped: loop \(its automatic restart was due\)/);
    const stopped = starts().length;
    await sleep(500);
    assert.equal(starts().length, stopped);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('the daemon budgets automatic restarts of all processes together: a pool that exits at once takes turns at 100 a second after a burst, each process its turn, said once', async () => {
  const dir = new TempDir();
  const conf = writeConf(dir, '[program:pool]\ncommand=/bin/false\nnumprocs=30\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\nautorestart=true\n');
  const te = startEngine(load(conf), Level.INFO);
  const starts = () => te.transitions.filter((t) => t.group === 'pool' && t.to === ProcessState.STARTING);
  const announced = /WARN automatic restarts now take turns, at most 100 a second: processes have exited and been restarted 1000 times faster than that/;
  try {
    assert.equal(DAEMON_RESTART_BURST, 1000);
    assert.equal(DAEMON_RESTART_RATE, 100);
    // each process's own budget (1000 at once, then 10 a second) lets 30 of them go on at ~300 a second and more
    await until(() => announced.test(mainLog(dir)), 'the turns announced', 60000);
    await sleep(500);
    const from = starts().length;
    await sleep(2000);
    const window = starts().slice(from);
    assert.ok(window.length >= 120 && window.length <= 230, `${window.length} restarts in 2 s`);
    const per = new Map<string, number>();
    for (const t of window) per.set(t.name, (per.get(t.name) ?? 0) + 1);
    assert.equal(per.size, 30, 'every process had turns');
    assert.ok(Math.min(...per.values()) >= 2, `turns per process: ${[...per.values()].join(' ')}`);
    assert.doesNotMatch(mainLog(dir), /now wait 100 ms each/, "no process spent its own budget");
    assert.equal(mainLog(dir).match(new RegExp(announced.source, 'g'))?.length, 1, 'said once');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('the daemon budget: a burst at once, then turns one after another at 100 a second, or one a second per process when there are more', () => {
  let processes = 30;
  const pace = new DaemonRestartPace(() => processes);
  for (let i = 0; i < DAEMON_RESTART_BURST; i++) assert.deepEqual(pace.take(0), { wait: 0, announce: null });
  const first = pace.take(0);
  assert.equal(first.announce, 100);
  assert.ok(Math.abs(first.wait - 0.01) < 1e-9, `${first.wait}`);
  const second = pace.take(0);
  assert.equal(second.announce, null, 'said once');
  assert.ok(Math.abs(second.wait - 0.02) < 1e-9, `${second.wait}`);
  // refilled after the budget's time: a burst again, and said again when it runs out
  const later = 20 + 10;
  for (let i = 0; i < DAEMON_RESTART_BURST; i++) assert.equal(pace.take(later).wait, 0);
  assert.equal(pace.take(later).announce, 100);
  // 500 processes: never slower than supervisord's one a second each
  processes = 500;
  const many = new DaemonRestartPace(() => processes);
  for (let i = 0; i < DAEMON_RESTART_BURST; i++) many.take(0);
  const turn = many.take(0);
  assert.equal(turn.announce, 500);
  assert.ok(Math.abs(turn.wait - 1 / 500) < 1e-9, `${turn.wait}`);
});

test('autostart=false stays STOPPED until started', async () => {
  await withEngine('[program:lazy]\ncommand=sleep 60\nautostart=false\nstartsecs=0\n[program:other]\ncommand=sleep 60\nstartsecs=0\n', async ({ engine }) => {
    await waitState(engine, 'other', ProcessState.RUNNING);
    const lazy = engine.groups.get('lazy')!.processes.get('lazy')!;
    assert.equal(lazy.state, ProcessState.STOPPED);
    assert.equal(lazy.laststart, 0);
    lazy.spawn();
    await waitState(engine, 'lazy', ProcessState.RUNNING);
  });
});

test('stopsignal, then SIGKILL after stopwaitsecs for a process that ignores it', async () => {
  const script = `trap 'echo got INT' INT; trap '' TERM; echo ready; while :; do sleep 0.05; done`;
  await withEngine(`[program:stubborn]\ncommand=/bin/sh -c "${script}"\nstartsecs=0\nstopwaitsecs=1\nstopsignal=INT\n`, async ({ engine, trace }, dir) => {
    await waitState(engine, 'stubborn', ProcessState.RUNNING);
    await sleep(200);
    const p = engine.groups.get('stubborn')!.processes.get('stubborn')!;
    const t0 = performance.now();
    p.stop();
    const stopped = await waitState(engine, 'stubborn', ProcessState.STOPPED, 10000);
    assert.ok(performance.now() - t0 >= 1000, 'SIGKILL came after stopwaitsecs');
    assert.equal(stopped.exitstatus, -1);
    const log = mainLog(dir);
    assert.match(log, /WARN killing 'stubborn' \(\d+\) with SIGKILL/);
    assert.match(log, /WARN stopped: stubborn \(terminated by SIGKILL\)/);
    assert.deepEqual(trace().slice(-2), ['stubborn RUNNING->STOPPING', 'stubborn STOPPING->STOPPED']);
  });
});

test('startsecs and stopwaitsecs past 2^31-1 ms: one timer each, no TimeoutOverflowWarning spin', { timeout: 30000 }, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const body =
      '[program:slowstart]\ncommand=sleep 60\nstartsecs=3000000\n\n' +
      `[program:stubborn]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.05; done"\nstartsecs=0\nstopwaitsecs=2200000\n`;
    await withEngine(body, async ({ engine, trace }) => {
      await waitState(engine, 'stubborn', ProcessState.RUNNING);
      await sleep(100);
      engine.groups.get('stubborn')!.processes.get('stubborn')!.stop();
      await sleep(500);
      assert.equal(engine.groups.get('slowstart')!.processes.get('slowstart')!.state, ProcessState.STARTING);
      const stubborn = engine.groups.get('stubborn')!.processes.get('stubborn')!;
      assert.equal(stubborn.state, ProcessState.STOPPING);
      assert.deepEqual(warnings, [], 'no timer overflow');
      assert.deepEqual(trace().filter((t) => t.startsWith('slowstart')), ['slowstart STOPPED->STARTING']);
      process.kill(stubborn.pid, 'SIGKILL');
      await waitState(engine, 'stubborn', ProcessState.STOPPED);
    });
  } finally {
    process.off('warning', onWarning);
  }
});

test('stopasgroup signals the whole process group; without it a grandchild survives', async () => {
  const dir0 = new TempDir();
  const body =
    `[program:grp]\ncommand=/bin/sh -c "sleep 100 & echo $! > ${dir0.join('grp.pid')}; wait"\nstartsecs=0\nstopasgroup=true\n` +
    `[program:solo]\ncommand=/bin/sh -c "sleep 100 & echo $! > ${dir0.join('solo.pid')}; wait"\nstartsecs=0\n`;
  try {
    await withEngine(body, async ({ engine }) => {
      await waitState(engine, 'grp', ProcessState.RUNNING);
      await waitState(engine, 'solo', ProcessState.RUNNING);
      await sleep(300);
      const grandGrp = Number(readFileSync(dir0.join('grp.pid'), 'utf8'));
      const grandSolo = Number(readFileSync(dir0.join('solo.pid'), 'utf8'));
      engine.groups.get('grp')!.processes.get('grp')!.stop();
      engine.groups.get('solo')!.processes.get('solo')!.stop();
      await waitState(engine, 'grp', ProcessState.STOPPED);
      await sleep(200);
      assert.equal(pidAlive(grandGrp), false, 'grandchild of a stopasgroup program is gone');
      assert.equal(pidAlive(grandSolo), true, 'grandchild of a plain program survives (as in Supervisor)');
      process.kill(grandSolo, 'SIGKILL');
    });
  } finally {
    dir0.cleanup();
  }
});

test('spawn errors: not found, not executable, directory, bad quoting -> BACKOFF with Supervisor messages', async () => {
  const dir0 = new TempDir();
  const noexec = dir0.file('noexec.sh', '#!/bin/sh\necho hi\n', 0o644);
  const body =
    '[program:nf]\ncommand=no-such-program-xyz\nstartretries=0\n' +
    `[program:ne]\ncommand=${noexec}\nstartretries=0\n` +
    `[program:dir]\ncommand=${dir0.path}\nstartretries=0\n` +
    `[program:quote]\ncommand=/bin/echo "unterminated\nstartretries=0\n`;
  try {
    await withEngine(body, async ({ engine }, dir) => {
      for (const n of ['nf', 'ne', 'dir', 'quote']) await waitState(engine, n, ProcessState.FATAL).catch(() => undefined);
      const err = (n: string) => engine.groups.get(n)!.processes.get(n)!;
      for (const n of ['nf', 'ne', 'dir', 'quote']) assert.equal(err(n).state, ProcessState.FATAL, n);
      const log = mainLog(dir);
      assert.match(log, /INFO spawnerr: can't find command 'no-such-program-xyz'/);
      assert.match(log, new RegExp(`INFO spawnerr: command at '${noexec}' is not executable`));
      assert.match(log, new RegExp(`INFO spawnerr: command at '${dir0.path}' is a directory`));
      assert.match(log, /INFO spawnerr: can't parse command '\/bin\/echo "unterminated': No closing quotation/);
      // FATAL keeps the last spawn error for the RPC description
      assert.equal(err('nf').spawnerr, "can't find command 'no-such-program-xyz'");
    });
  } finally {
    dir0.cleanup();
  }
});

test('child-side failures: chdir and exec errors go to the stderr log, exit 127', async () => {
  const dir0 = new TempDir();
  const body =
    `[program:cd]\ncommand=/bin/true\ndirectory=${dir0.join('missing')}\nstartretries=0\nstderr_logfile=${dir0.join('cd.err')}\n` +
    `[program:ex]\ncommand=${dir0.file('badinterp.sh', '#!/nonexistent/interpreter\n', 0o755)} arg\nstartretries=0\nstderr_logfile=${dir0.join('ex.err')}\n`;
  try {
    await withEngine(body, async ({ engine }, dir) => {
      await waitState(engine, 'cd', ProcessState.FATAL);
      await waitState(engine, 'ex', ProcessState.FATAL);
      assert.equal(
        dir0.read('ex.err'),
        `supervisor: couldn't exec ${dir0.join('badinterp.sh')}: ENOENT\nsupervisor: child process was not spawned\n`,
      );
      assert.equal(
        dir0.read('cd.err'),
        `supervisor: couldn't chdir to ${dir0.join('missing')}: ENOENT\nsupervisor: child process was not spawned\n`,
      );
      assert.match(mainLog(dir), /WARN exited: cd \(exit status 127; not expected\)/);
    });
  } finally {
    dir0.cleanup();
  }
});

test('exec failures of a file that exists are explained in the main log, once per reason; the stderr log keeps Supervisor\'s lines', async (t) => {
  const dir0 = new TempDir();
  const machineNames: Record<number, string> = { 62: 'x86_64 (amd64)', 183: 'ARM 64-bit (arm64/aarch64)', 40: 'ARM 32-bit (armhf/armv7l)' };
  const own = { x64: 62, arm64: 183, arm: 40 }[process.arch as 'x64' | 'arm64' | 'arm'];
  const other = own === 62 ? 183 : 62;
  const sleep = readFileSync('/bin/sleep');
  // the same program marked as built for another architecture
  const foreign = Buffer.from(sleep);
  foreign.writeUInt16LE(other, 18);
  // and one whose loader (PT_INTERP) names a C library this system does not have
  const musl = Buffer.from(sleep);
  const at = musl.indexOf('/lib');
  const end = musl.indexOf(0, at);
  assert.ok(at > 0 && at < 4096 && musl.toString('latin1', at, end).includes('ld-'), 'the loader path of /bin/sleep');
  musl.fill(0, at, end);
  musl.write('/lib/ld-none.so.1', at, 'latin1');
  const programs: [string, string | Buffer, string][] = [
    ['crlf', '#!/bin/sh\r\necho hi\r\n', `ENOENT: its #! line ends in a carriage return (the file has Windows line endings), so the kernel looks for an interpreter named "/bin/sh\\r"; convert it to Unix line endings, e.g. sed -i 's/\\r$//' FILE`],
    ['interp', '#!/nonexistent/interpreter -x\necho hi\n', 'ENOENT: its interpreter /nonexistent/interpreter (named on its #! line) is not installed'],
    ['utf8interp', '#!/nonexistent/nöshell\necho hi\n', 'ENOENT: its interpreter /nonexistent/nöshell (named on its #! line) is not installed'],
    ['bare', 'echo no shebang\n', 'ENOEXEC: it is neither a program for this machine nor a script with a #! line: a script needs one as its first line, e.g. #!/bin/sh'],
    ['foreign', foreign, `ENOEXEC: it is a program for ${machineNames[other]}, and this system runs ${machineNames[own]} programs: install the build for ${machineNames[own]}`],
    ['loader', musl, 'ENOENT: its loader /lib/ld-none.so.1 is not on this system (built for another distribution or C library, e.g. musl against glibc?)'],
  ];
  // where qemu-user is registered with binfmt_misc (TSV_PACKAGES_ALL runs), the kernel runs the foreign program
  const binfmt = `/proc/sys/fs/binfmt_misc/qemu-${other === 183 ? 'aarch64' : 'x86_64'}`;
  if (existsSync(binfmt) && readFileSync(binfmt, 'utf8').startsWith('enabled')) {
    t.diagnostic(`${binfmt} runs programs for another machine here: no ENOEXEC to explain`);
    programs.splice(programs.findIndex(([name]) => name === 'foreign'), 1);
  }
  let body = '';
  for (const [name, content] of programs) {
    body += `[program:${name}]\ncommand=${dir0.file(name, content, 0o755)}\nstartsecs=1\nstartretries=1\nstderr_logfile=${dir0.join(name + '.err')}\n`;
  }
  try {
    await withEngine(body, async ({ engine }, dir) => {
      for (const [name] of programs) await waitState(engine, name, ProcessState.FATAL);
      const log = mainLog(dir);
      for (const [name, , why] of programs) {
        const file = dir0.join(name);
        const lines = log.split('\n').filter((l) => l.includes(`ERRO couldn't exec ${file} for program '${name}': `));
        assert.equal(lines.length, 1, `${name}: one explanation for two attempts`);
        assert.ok(lines[0].endsWith(`: ${why.replace('FILE', file)}`), `${name}: ${lines[0]}`);
        const code = why.split(':')[0];
        assert.equal(
          dir0.read(name + '.err'),
          `supervisor: couldn't exec ${file}: ${code}\nsupervisor: child process was not spawned\n`.repeat(2),
          `${name}: the stderr log as Supervisor writes it`,
        );
      }
    });
  } finally {
    dir0.cleanup();
  }
});

test('EACCES: a noexec mount, and a directory or file the program\'s user may not enter or execute, explained in the main log', { skip: process.getuid?.() === 0 ? false : 'needs root (mount, user=)' }, async () => {
  const dir0 = new TempDir();
  const nx = dir0.join('nx');
  mkdirSync(nx);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=64k', 'tmpfs', nx]);
  const script = '#!/bin/sh\nexec sleep 60\n';
  const onNoexec = join(nx, 'run.sh');
  writeFileSync(onNoexec, script, { mode: 0o755 });
  chmodSync(dir0.path, 0o755);
  // a directory nobody may not enter
  const closed = dir0.join('closed');
  mkdirSync(closed);
  chmodSync(closed, 0o700);
  const hidden = join(closed, 'hidden.sh');
  writeFileSync(hidden, script, { mode: 0o755 });
  // an open directory, but a file only its owner (root) may execute
  const ownerOnly = dir0.file('mine.sh', script, 0o700);
  writeFileSync(ownerOnly, script, { mode: 0o700 });
  const body =
    `[program:nx]\ncommand=${onNoexec}\nstartretries=0\n` +
    `[program:hidden]\ncommand=${hidden}\nuser=nobody\nstartretries=0\n` +
    `[program:mine]\ncommand=${ownerOnly}\nuser=nobody\nstartretries=0\n`;
  try {
    await withEngine(body, async ({ engine }, dir) => {
      for (const name of ['nx', 'hidden', 'mine']) await waitState(engine, name, ProcessState.FATAL);
      const log = mainLog(dir);
      // Supervisor's own check (access() as root) refuses a file on a noexec mount before spawning
      assert.match(log, new RegExp(`INFO spawnerr: no permission to run command '${esc(onNoexec)}'\n`));
      assert.match(log, new RegExp(`ERRO no permission to run command ${esc(onNoexec)} for program 'nx': it is on a file system mounted noexec \\(${esc(nx)}\\): nothing there may be executed\n`));
      assert.match(log, new RegExp(`ERRO couldn't exec ${esc(hidden)} for program 'hidden': EACCES: user nobody, whom it runs as, may not enter the directory ${esc(closed)}\n`));
      assert.match(log, new RegExp(`ERRO couldn't exec ${esc(ownerOnly)} for program 'mine': EACCES: user nobody, whom it runs as, may not execute the file \\(mode 0700, owner uid 0, group gid 0\\)\n`));
    });
  } finally {
    execFileSync('umount', [nx]);
    dir0.cleanup();
  }
});

test('log file that cannot be opened: spawn error naming file, program and user', async () => {
  const dir0 = new TempDir();
  try {
    await withEngine(`[program:lf]\ncommand=sleep 5\nstdout_logfile=${dir0.path}\nstartretries=0\n`, async ({ engine }, dir) => {
      await waitState(engine, 'lf', ProcessState.FATAL);
      const p = engine.groups.get('lf')!.processes.get('lf')!;
      assert.equal(p.spawnerr, "unknown error making dispatchers for 'lf': EISDIR");
      assert.match(mainLog(dir), new RegExp(`ERRO could not open log file ${dir0.path} for program 'lf': EISDIR .*running as user \\w+`));
    });
  } finally {
    dir0.cleanup();
  }
});
