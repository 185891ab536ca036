// The engine: groups and numprocs, priority order at start, group-by-group
// shutdown (highest priority number first), and the API the RPC layer uses
// (faults, waits, process info, reload diff, add/remove group).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TempDir, writeConf, load, startEngine, waitState, withTimeout } from './helpers/daemon-env';
import { ProcessState } from '../src/daemon/states';
import { mkdirSync, writeFileSync } from 'node:fs';
import { pyStrCompare } from '../src/config/ini';
import { globSorted } from '../src/config/glob';
import { EngineApi, pyTimedelta } from '../src/daemon/api';
import { splitNamespec } from '../src/config/model';
import { SupervisorFault, Faults } from '../src/daemon/faults';
import type { Config } from '../src/config/model';

function api(engine: ReturnType<typeof startEngine>['engine'], configFile: string): EngineApi {
  return new EngineApi(engine, {
    pid: () => process.pid,
    mainLogfile: () => engine.config.supervisord.logfile,
    clearMainLog: () => undefined,
    rereadConfig: (): Config => load(configFile),
    supervisorVersion: '4.2.5',
  });
}

async function faultOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof SupervisorFault) return e.text;
    throw e;
  }
  return 'no fault';
}

test('numprocs and groups: names, namespecs, priority order of spawning', async () => {
  const dir = new TempDir();
  const body =
    '[program:web]\ncommand=sleep 60\nnumprocs=3\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\npriority=300\n' +
    '[program:db]\ncommand=sleep 60\nstartsecs=0\npriority=100\n' +
    '[program:cache]\ncommand=sleep 60\nstartsecs=0\npriority=200\n' +
    '[program:w1]\ncommand=sleep 60\nstartsecs=0\npriority=50\n[program:w2]\ncommand=sleep 60\nstartsecs=0\npriority=10\n' +
    '[group:workers]\nprograms=w1,w2\npriority=400\n';
  const te = startEngine(load(writeConf(dir, body)));
  try {
    for (const n of ['web_00', 'web_01', 'web_02', 'db', 'cache', 'w1', 'w2']) await waitState(te.engine, n, ProcessState.RUNNING);
    const starts = te.transitions.filter((t) => t.to === ProcessState.STARTING).map((t) => `${t.group}:${t.name}`);
    // groups by priority; inside a [group:x], its programs= order, not the programs' priorities (as supervisord: test/daemon-differential.test.ts)
    assert.deepEqual(starts, ['db:db', 'cache:cache', 'web:web_00', 'web:web_01', 'web:web_02', 'workers:w1', 'workers:w2']);
    const a = api(te.engine, dir.join('supervisord.conf'));
    const all = a.getAllProcessInfo().map((i) => `${i.group}:${i.name}`);
    assert.deepEqual(all, ['cache:cache', 'db:db', 'web:web_00', 'web:web_01', 'web:web_02', 'workers:w1', 'workers:w2']);
    const info = a.getProcessInfo('workers:w1');
    assert.equal(info.statename, 'RUNNING');
    assert.match(info.description, /^pid \d+, uptime 0:00:0\d$/);
    assert.deepEqual(Object.keys(info).sort(), [
      'description', 'exitstatus', 'group', 'logfile', 'name', 'now', 'pid', 'spawnerr', 'start', 'state', 'statename', 'stderr_logfile', 'stdout_logfile', 'stop',
    ]);
    assert.match(info.stdout_logfile, /w1-stdout---supervisor-\w{8}\.log$/);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('shutdown: one group at a time, highest priority number first, processes in descending priority', async () => {
  const dir = new TempDir();
  // each program takes a moment to die, so an overlap would show in the order of STOPPED events
  const slow = `/bin/sh -c "trap 'sleep 0.2; exit 0' TERM; while :; do sleep 0.05; done"`;
  const body =
    `[program:first]\ncommand=${slow}\nstartsecs=0\npriority=1\n` +
    `[program:last]\ncommand=${slow}\nstartsecs=0\npriority=900\n` +
    `[program:a]\ncommand=${slow}\nstartsecs=0\npriority=20\n[program:b]\ncommand=${slow}\nstartsecs=0\npriority=30\n` +
    '[group:mid]\nprograms=a,b\npriority=500\n';
  const te = startEngine(load(writeConf(dir, body)));
  try {
    for (const n of ['first', 'last', 'a', 'b']) await waitState(te.engine, n, ProcessState.RUNNING);
    te.transitions.length = 0;
    te.engine.shutdown();
    await withTimeout(te.engine.stopped, 15000, 'shutdown');
    const seq = te.transitions.map((t) => `${t.name}:${ProcessState[t.to]}`);
    // a and b stop concurrently (same group), so only their STOPPING order is fixed
    const mid = seq.slice(2, 6);
    assert.deepEqual(seq.slice(0, 2), ['last:STOPPING', 'last:STOPPED']);
    assert.deepEqual(mid.slice(0, 2), ['b:STOPPING', 'a:STOPPING']);
    assert.deepEqual(mid.slice(2).sort(), ['a:STOPPED', 'b:STOPPED']);
    assert.deepEqual(seq.slice(6), ['first:STOPPING', 'first:STOPPED']);
    const log = dir.read('supervisord.log');
    assert.match(log, /INFO waiting for .* to die/);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('shutdown gives up on BACKOFF (-> FATAL) and never restarts anything', async () => {
  const dir = new TempDir();
  const body = '[program:crash]\ncommand=/bin/sh -c "exit 1"\nstartretries=100\n[program:ok]\ncommand=sleep 60\nstartsecs=0\nautorestart=true\n';
  const te = startEngine(load(writeConf(dir, body)));
  try {
    await waitState(te.engine, 'crash', ProcessState.BACKOFF);
    await waitState(te.engine, 'ok', ProcessState.RUNNING);
    te.engine.shutdown();
    await withTimeout(te.engine.stopped, 15000, 'shutdown');
    const crash = te.engine.groups.get('crash')!.processes.get('crash')!;
    assert.equal(crash.state, ProcessState.FATAL);
    const after = te.transitions.slice(te.transitions.findIndex((t) => t.to === ProcessState.STOPPING));
    assert.ok(!after.some((t) => t.to === ProcessState.STARTING), 'no start during shutdown');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('API: start/stop with wait, faults with Supervisor codes and strings', async () => {
  const dir = new TempDir();
  const body =
    '[program:svc]\ncommand=sleep 60\nautostart=false\nstartsecs=1\n' +
    '[program:crash]\ncommand=/bin/sh -c "exit 2"\nautostart=false\nstartsecs=1\nstartretries=0\n' +
    '[program:missing]\ncommand=/no/such/bin\nautostart=false\n' +
    '[program:g1]\ncommand=sleep 60\nautostart=false\nstartsecs=0\n[program:g2]\ncommand=sleep 60\nautostart=false\nstartsecs=0\n' +
    '[group:grp]\nprograms=g1,g2\n';
  const te = startEngine(load(writeConf(dir, body)));
  const a = api(te.engine, dir.join('supervisord.conf'));
  try {
    assert.equal(a.getProcessInfo('svc').description, 'Not started');
    const t0 = Date.now();
    assert.equal(await a.startProcess('svc'), true);
    assert.ok(Date.now() - t0 >= 1000, 'wait=true returns once RUNNING (after startsecs)');
    assert.equal(await faultOf(a.startProcess('svc')), 'ALREADY_STARTED: svc');
    assert.equal(await faultOf(a.startProcess('nosuch')), 'BAD_NAME: nosuch');
    assert.equal(await faultOf(a.startProcess('missing')), "NO_FILE: can't find command '/no/such/bin'");
    assert.equal(await faultOf(a.startProcess('crash')), 'SPAWN_ERROR: crash');
    assert.equal(await faultOf(() => a.getProcessInfo('grp:*')), 'BAD_NAME: grp:*');
    assert.equal(await faultOf(() => a.signalProcess('svc', 'NOPE')), 'BAD_SIGNAL: NOPE');
    assert.equal(a.signalProcess('svc', 'CONT'), true);
    const started = (await a.startProcess('grp:*')) as { name: string; status: number; description: string }[];
    assert.deepEqual(started.map((r) => [r.name, r.status, r.description]).sort(), [['g1', 80, 'OK'], ['g2', 80, 'OK']]);
    assert.equal(await a.stopProcess('svc'), true);
    assert.equal(a.getProcessInfo('svc').statename, 'STOPPED');
    assert.match(a.getProcessInfo('svc').description, /^\w{3} \d{2} \d{2}:\d{2} [AP]M$/);
    assert.equal(await faultOf(a.stopProcess('svc')), 'NOT_RUNNING: svc');
    const stopped = await a.stopAllProcesses();
    assert.deepEqual(stopped.map((r) => r.name).sort(), ['g1', 'g2']);
    assert.equal(await faultOf(() => a.removeProcessGroup('nosuch')), 'BAD_NAME: nosuch');
    assert.equal(a.removeProcessGroup('grp'), true);
    assert.equal(await faultOf(() => a.addProcessGroup('grp')), 'no fault');
    assert.equal(await faultOf(() => a.addProcessGroup('grp')), 'ALREADY_ADDED: grp');
    assert.equal(a.getState().statename, 'RUNNING');
    a.shutdown();
    assert.equal(await faultOf(() => a.getState()), 'SHUTDOWN_STATE');
    assert.equal(Faults.SHUTDOWN_STATE, 6);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('API: a start while the process is STOPPING fails at once (abnormal termination), not when the stop has ended', async () => {
  const dir = new TempDir();
  // startsecs=1: RUNNING only once the shell has surely set its trap
  const body = `[program:stubborn]\ncommand=/bin/sh -c "trap '' TERM; exec sleep 60"\nstartsecs=1\nstopwaitsecs=5\n`;
  const te = startEngine(load(writeConf(dir, body)));
  const a = api(te.engine, dir.join('supervisord.conf'));
  try {
    await waitState(te.engine, 'stubborn', ProcessState.RUNNING);
    assert.equal(await a.stopProcess('stubborn', false), true);
    assert.equal(a.getProcessInfo('stubborn').statename, 'STOPPING');
    const t0 = Date.now();
    // Supervisor's onwait looks at the state before its first wait (the web page's Start and Restart depend on it)
    assert.equal(await faultOf(a.startProcess('stubborn')), 'ABNORMAL_TERMINATION: stubborn');
    assert.ok(Date.now() - t0 < 2000, `answered after ${Date.now() - t0} ms`);
    assert.equal(a.getProcessInfo('stubborn').statename, 'STOPPING');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('API: reloadConfig diff (added/changed/removed), stdin, log read/tail', async () => {
  const dir = new TempDir();
  // keep's output is announced as an event (stdout_events_enabled), which the test waits for
  const confFile = writeConf(dir, '[program:keep]\ncommand=cat\nstartsecs=0\nstdout_logfile=%(here)s/keep.out\nstdout_events_enabled=true\n[program:gone]\ncommand=sleep 60\n[program:mod]\ncommand=sleep 60\n');
  const te = startEngine(load(confFile));
  const a = api(te.engine, confFile);
  try {
    await waitState(te.engine, 'keep', ProcessState.RUNNING);
    assert.equal(a.sendProcessStdin('keep', 'hello stdin\n'), true);
    await withTimeout(
      new Promise<void>((resolve) => {
        const off = te.engine.events.on('processOutput', (e) => {
          if (e.name === 'keep') {
            off();
            resolve();
          }
        });
      }),
      10000,
      "keep's output",
    );
    assert.equal(a.readProcessLog('keep', 'stdout', 0, 0).toString(), 'hello stdin\n');
    assert.equal(a.readProcessLog('keep', 'stdout', -6, 0).toString(), 'stdin\n');
    const tail = a.tailProcessLog('keep', 'stdout', 0, 5);
    assert.deepEqual([tail.data.toString(), tail.offset, tail.overflow], ['tdin\n', 12, true]);
    assert.equal(await faultOf(() => a.readProcessLog('keep', 'stdout', -1, 5)), 'BAD_ARGUMENTS');
    writeConf(dir, '[program:keep]\ncommand=cat\nstartsecs=0\nstdout_logfile=%(here)s/keep.out\nstdout_events_enabled=true\n[program:mod]\ncommand=sleep 61\n[program:new]\ncommand=sleep 60\n');
    assert.deepEqual(a.reloadConfig(), [[['new'], ['mod'], ['gone']]]);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('names sort as Python sorts str (by code point, not UTF-16 unit): groups of one priority, included files', () => {
  assert.deepEqual(['😀', '\uff21', 'b', 'a', 'a\u{10000}', 'a\uffff'].sort(pyStrCompare), ['a', 'a\uffff', 'a\u{10000}', 'b', '\uff21', '😀']);
  const dir = new TempDir();
  try {
    // included files in sorted() order, and groups of equal priority by name: Ａ (U+FF21) before 😀 (U+1F600)
    mkdirSync(dir.join('conf.d'));
    for (const name of ['😀', '\uff21']) writeFileSync(dir.join('conf.d', `${name}.conf`), `[program:x${name}]\ncommand=sleep 60\n`);
    const cfg = load(writeConf(dir, `[program:😀]\ncommand=sleep 60\n[program:\uff21]\ncommand=sleep 60\n[include]\nfiles=conf.d/*.conf\n`));
    assert.deepEqual(cfg.groups.map((g) => g.name), ['x\uff21', 'x😀', '\uff21', '😀']);
    assert.deepEqual(globSorted(dir.join('conf.d', '*.conf')).map((f) => f.slice(dir.join('conf.d').length + 1)), ['\uff21.conf', '😀.conf']);
  } finally {
    dir.cleanup();
  }
});

test('helpers: namespec split and Python timedelta text', () => {
  assert.deepEqual(splitNamespec('a'), ['a', 'a']);
  assert.deepEqual(splitNamespec('g:*'), ['g', null]);
  assert.deepEqual(splitNamespec('g:'), ['g', null]);
  assert.deepEqual(splitNamespec('g:p'), ['g', 'p']);
  assert.equal(pyTimedelta(18), '0:00:18');
  assert.equal(pyTimedelta(86401), '1 day, 0:00:01');
  assert.equal(pyTimedelta(5 * 86400 + 7 * 3600 + 18 * 60 + 14), '5 days, 7:18:14');
});

test('readLog with the main log in syslog: NO_FILE names it, as Supervisor names the option\'s value', async () => {
  const dir = new TempDir();
  const te = startEngine(load(writeConf(dir, '')));
  try {
    const a = new EngineApi(te.engine, {
      pid: () => process.pid,
      mainLogfile: () => null,
      clearMainLog: () => undefined,
      rereadConfig: (): Config => load(dir.join('supervisord.conf')),
      supervisorVersion: '4.2.5',
    });
    assert.equal(await faultOf(() => a.readLog(0, 0)), 'NO_FILE: syslog');
    assert.equal(await faultOf(() => a.clearLog()), 'NO_FILE');
  } finally {
    await te.close();
    dir.cleanup();
  }
});
