// A listener written with Supervisor's own supervisor.childutils (Debian's
// package, run by /usr/bin/python3) runs under tsv unchanged and receives
// every event type tsv emits: process states, log and communication output,
// remote communication, group added/removed, the daemon's running/stopping,
// and ticks (TICK_60 and TICK_3600 with the daemon's clock moved near an
// hour boundary by libfaketime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import {
  FAKETIME_LIB, HEADER_KEYS, clockSetSkip, logLineMs, names, oracleSkip, pythonSkip, pyLen, readRecords, setClockToItself, startDaemon, waitRecords, waitUp,
  type Impl, type Received,
} from './helpers/events-env';
import { TempDir } from './helpers/daemon-env';
import { until } from './helpers/daemon-cli';

const listener = (events: string, extra = ''): string =>
  `[eventlistener:rec]\ncommand={PY} {RECORDER}\nevents=${events}\nbuffer_size=10000\nstopwaitsecs=1\n` +
  `environment=REC_OUT="{DIR}/rec.jsonl",REC_IGNORE_TERM="1"\n${extra}`;

const PROGRAMS =
  "[program:chatty]\ncommand=/bin/sh -c 'echo out-line; echo err-line >&2; exec sleep 100'\nstdout_events_enabled=true\nstderr_events_enabled=true\n" +
  '[program:comm]\ncommand=/bin/sh -c \'printf "<!--XSUPERVISOR:BEGIN-->comm-out<!--XSUPERVISOR:END-->"; printf "<!--XSUPERVISOR:BEGIN-->comm-err<!--XSUPERVISOR:END-->" >&2; exec sleep 100\'\n' +
  'stdout_capture_maxbytes=1KB\nstderr_capture_maxbytes=1KB\n' +
  "[program:crash]\ncommand=/bin/sh -c 'exit 3'\nstartretries=1\n" +
  "[program:short]\ncommand=/bin/sh -c 'sleep 1.5'\nautorestart=false\n" +
  '[program:victim]\ncommand=sleep 100\n';

const has = (r: Received[], name: string, payload?: RegExp): boolean =>
  r.some((x) => x.headers.eventname === name && (!payload || payload.test(x.payload)));

test('a supervisor.childutils listener receives every event type from tsv', { skip: pythonSkip, timeout: 90000 }, async () => {
  const d = startDaemon('tsv', listener('EVENT') + PROGRAMS);
  const out = d.dir.join('rec.jsonl');
  try {
    await waitUp(d);
    await waitRecords(
      out,
      (r) => has(r, 'PROCESS_STATE_FATAL', /crash/) && has(r, 'PROCESS_STATE_EXITED', /short/) && has(r, 'PROCESS_STATE_RUNNING', /victim/),
      'start-up events',
    );
    assert.equal(await d.rpc.call('supervisor.sendRemoteCommEvent', ['mytype', 'some data\nh\u00e9llo \u{1F600}']), true);
    await d.rpc.call('supervisor.stopProcess', ['victim']);
    // update: victim's group goes, a new one comes
    d.rewrite(listener('EVENT') + PROGRAMS.replace('[program:victim]\ncommand=sleep 100\n', '[program:added]\ncommand=sleep 100\n'));
    await d.rpc.call('supervisor.reloadConfig');
    assert.equal(await d.rpc.call('supervisor.removeProcessGroup', ['victim']), true);
    assert.equal(await d.rpc.call('supervisor.addProcessGroup', ['added']), true);
    await waitRecords(out, (r) => has(r, 'TICK_5') && has(r, 'PROCESS_GROUP_ADDED', /added/), 'a TICK_5 and the added group', 15000);
    await d.stop();
    const recs = readRecords(out);
    const seen = new Set(names(recs));
    const expected = [
      'PROCESS_STATE_STOPPED', 'PROCESS_STATE_EXITED', 'PROCESS_STATE_STARTING', 'PROCESS_STATE_STOPPING', 'PROCESS_STATE_BACKOFF',
      'PROCESS_STATE_FATAL', 'PROCESS_STATE_RUNNING', 'PROCESS_COMMUNICATION_STDOUT', 'PROCESS_COMMUNICATION_STDERR',
      'PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR', 'REMOTE_COMMUNICATION', 'SUPERVISOR_STATE_CHANGE_RUNNING',
      'SUPERVISOR_STATE_CHANGE_STOPPING', 'TICK_5', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_REMOVED',
    ];
    for (const n of expected) assert.ok(seen.has(n), `${n} received (got ${[...seen].join(' ')})`);

    // exact payloads
    const find = (name: string, re?: RegExp): Received => recs.find((x) => x.headers.eventname === name && (!re || re.test(x.payload))) as Received;
    assert.match(find('PROCESS_LOG_STDOUT').payload, /^processname:chatty groupname:chatty pid:\d+ channel:stdout\nout-line\n$/);
    assert.match(find('PROCESS_LOG_STDERR').payload, /^processname:chatty groupname:chatty pid:\d+ channel:stderr\nerr-line\n$/);
    assert.match(find('PROCESS_COMMUNICATION_STDOUT').payload, /^processname:comm groupname:comm pid:\d+\ncomm-out$/);
    assert.match(find('PROCESS_COMMUNICATION_STDERR').payload, /^processname:comm groupname:comm pid:\d+\ncomm-err$/);
    assert.equal(find('REMOTE_COMMUNICATION').payload, 'type:mytype\nsome data\nh\u00e9llo \u{1F600}');
    assert.equal(find('PROCESS_GROUP_REMOVED').payload, 'groupname:victim\n');
    assert.equal(find('SUPERVISOR_STATE_CHANGE_RUNNING').payload, '');
    assert.equal(find('PROCESS_STATE_FATAL', /crash/).payload, 'processname:crash groupname:crash from_state:BACKOFF');
    assert.match(find('PROCESS_STATE_EXITED', /short/).payload, /^processname:short groupname:short from_state:RUNNING expected:1 pid:\d+$/);
    assert.match(find('PROCESS_STATE_STOPPED', /victim/).payload, /^processname:victim groupname:victim from_state:STOPPING pid:\d+$/);
    assert.match(find('TICK_5').payload, /^when:\d+$/);
    assert.equal(Number(find('TICK_5').payload.slice(5)) % 5, 0);
    // the envelope: every header, in order, len in characters, one pool, serials without gaps or repeats
    for (const r of recs) {
      assert.deepEqual(Object.keys(r.headers), HEADER_KEYS);
      assert.equal(r.headers.ver, '3.0');
      assert.equal(r.headers.server, 'supervisor');
      assert.equal(r.headers.pool, 'rec');
      assert.equal(Number(r.headers.len), pyLen(r.payload));
    }
    assert.deepEqual(recs.map((r) => Number(r.headers.serial)), recs.map((_, i) => i));
    assert.deepEqual(recs.map((r) => Number(r.headers.poolserial)), recs.map((_, i) => i));
    // start-up order: the groups, then the daemon running, then the first spawns
    assert.deepEqual(names(recs).slice(0, 8), [
      'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_ADDED',
      'SUPERVISOR_STATE_CHANGE_RUNNING', 'PROCESS_STATE_STARTING',
    ]);
  } finally {
    d.cleanup();
  }
});

test('TICK_5, TICK_60 and TICK_3600 at an hour boundary (libfaketime), each once, in that order', { skip: pythonSkip || (!FAKETIME_LIB && 'needs libfaketime (apt-get install faketime)'), timeout: 60000 }, async () => {
  const d = startDaemon('tsv', listener('TICK'), {
    env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME: '@2030-01-01 00:59:57', TZ: 'UTC' },
  });
  const out = d.dir.join('rec.jsonl');
  try {
    await waitUp(d);
    const recs = await waitRecords(out, (r) => r.length >= 3, 'three ticks', 20000);
    await d.stop();
    const hour = 1893459600; // 2030-01-01T01:00:00Z
    assert.deepEqual(
      recs.slice(0, 3).map((r) => `${r.headers.eventname} ${r.payload}`),
      [`TICK_5 when:${hour}`, `TICK_60 when:${hour}`, `TICK_3600 when:${hour}`],
    );
  } finally {
    d.cleanup();
  }
});

test('TICK_3600 when the wall clock is set across an hour, forward and back: at once, with the new hour, as supervisord\'s next pass sends it', { skip: oracleSkip || clockSetSkip, timeout: 90000 }, async () => {
  const ticksAfterSteps = async (impl: Impl): Promise<number[]> => {
    const clockDir = new TempDir('tsv-faketime-');
    const offsetFile = clockDir.file('faketime', '+0');
    const d = startDaemon(impl, listener('TICK_3600'), {
      env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME_TIMESTAMP_FILE: offsetFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', TZ: 'UTC' },
    });
    const out = d.dir.join('rec.jsonl');
    try {
      await waitUp(d);
      const whens: number[] = [];
      for (const [offset, n] of [['+3600', 1], ['+0', 2]] as const) {
        writeFileSync(offsetFile, offset);
        // supervisord looks at the clock on each pass of its loop; tsv is told of the set
        setClockToItself();
        const recs = await waitRecords(out, (r) => r.length >= n, `${impl}: TICK_3600 after the clock was set to ${offset}`, 5000);
        whens.push(Number((recs[n - 1] as Received).payload.slice('when:'.length)));
      }
      return whens;
    } finally {
      await d.stop();
      d.cleanup();
      clockDir.cleanup();
    }
  };
  const hour = Math.floor(Date.now() / 3_600_000) * 3600;
  for (const impl of ['supervisord', 'tsv'] as const) {
    const [forward, back] = await ticksAfterSteps(impl);
    // the hour the clock was set into, then the hour it was set back to (a real hour may pass meanwhile)
    assert.ok(forward === hour + 3600 || forward === hour + 7200, `${impl}: forward ${forward}, hour ${hour}`);
    assert.equal(back, (forward as number) - 3600, `${impl}: back`);
  }
});

test('a listener subscribed to one type gets only that type; overlapping subscriptions deliver twice, as Supervisor does', { skip: pythonSkip, timeout: 60000 }, async () => {
  const d = startDaemon(
    'tsv',
    listener('PROCESS_STATE_RUNNING') +
      '[eventlistener:dup]\ncommand={PY} {RECORDER}\nevents=PROCESS_STATE,PROCESS_STATE_RUNNING\nbuffer_size=100\nenvironment=REC_OUT="{DIR}/dup.jsonl"\n' +
      '[program:p]\ncommand=sleep 100\n',
  );
  try {
    await waitUp(d);
    const only = await waitRecords(d.dir.join('rec.jsonl'), (r) => r.some((x) => /processname:p /.test(x.payload)), 'p RUNNING');
    assert.ok(only.every((r) => r.headers.eventname === 'PROCESS_STATE_RUNNING'));
    const dup = await waitRecords(d.dir.join('dup.jsonl'), (r) => r.filter((x) => /processname:p .*pid/.test(x.payload)).length >= 2, 'p RUNNING twice');
    const running = dup.filter((x) => x.headers.eventname === 'PROCESS_STATE_RUNNING' && /processname:p /.test(x.payload));
    assert.equal(running.length, 2);
    assert.equal(running[0]?.headers.serial, running[1]?.headers.serial);
    assert.equal(running[0]?.headers.poolserial, running[1]?.headers.poolserial);
  } finally {
    d.cleanup();
  }
});

test("tsv's PROCESS_HEALTH events: a listener that names them gets each failed look and each answer that ends failures, payload parsed by childutils; a listener on EVENT never gets them", { skip: pythonSkip, timeout: 60000 }, async () => {
  const d = startDaemon(
    'tsv',
    listener('PROCESS_HEALTH') +
      '[eventlistener:all]\ncommand={PY} {RECORDER}\nevents=EVENT\nbuffer_size=10000\nenvironment=REC_OUT="{DIR}/all.jsonl"\n' +
      // each run clears the sickness, so the run after the health restart answers
      `[program:web]\ncommand=/bin/sh -c 'rm -f {DIR}/sick; exec sleep 100'\nstartsecs=1\nhealthcheck=/bin/sh -c 'if [ -e {DIR}/sick ]; then echo sick now; exit 1; fi'\nhealthcheck_interval=1\nhealthcheck_retries=2\n`,
  );
  try {
    await waitUp(d);
    await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 1, 'the first answer');
    writeFileSync(d.dir.join('sick'), '');
    const got = await waitRecords(d.dir.join('rec.jsonl'), (r) => r.filter((x) => x.headers.eventname === 'PROCESS_HEALTH_HEALTHY').length >= 2, 'healthy after the restart');
    const pids = got.map((x) => /pid:(\d+)/.exec(x.payload)?.[1]);
    const shown = got.slice(0, 4).map((x) => `${x.headers.eventname} ${x.payload.replace(/pid:\d+/, 'pid:N')}`);
    assert.deepEqual(shown, [
      'PROCESS_HEALTH_HEALTHY processname:web groupname:web pid:N failures:0 retries:2\nexit status 0',
      'PROCESS_HEALTH_UNHEALTHY processname:web groupname:web pid:N failures:1 retries:2\nexit status 1: sick now',
      'PROCESS_HEALTH_UNHEALTHY processname:web groupname:web pid:N failures:2 retries:2\nexit status 1: sick now',
      'PROCESS_HEALTH_HEALTHY processname:web groupname:web pid:N failures:0 retries:2\nexit status 0',
    ]);
    // the restart (two failed looks) gave the last answer a new pid
    assert.equal(new Set(pids.slice(0, 3)).size, 1);
    assert.notEqual(pids[3], pids[0]);
    assert.ok(got.every((x) => /^\d+$/.test(x.headers.serial ?? '') && x.headers.pool === 'rec'), JSON.stringify(got[0]));

    const all = readRecords(d.dir.join('all.jsonl'));
    assert.ok(all.some((x) => x.headers.eventname === 'PROCESS_STATE_RUNNING' && /processname:web /.test(x.payload)), 'the EVENT listener works');
    assert.deepEqual(all.filter((x) => x.headers.eventname.startsWith('PROCESS_HEALTH')), []);
  } finally {
    d.cleanup();
  }
});

test("tsv's PROCESS_MEMORY_RESTART event: a listener that names it gets one per restart for max_memory_restart, before the stop's state events, with the bytes held and the limit; a listener on EVENT never gets it", { skip: pythonSkip, timeout: 60000 }, async () => {
  const d = startDaemon(
    'tsv',
    listener('PROCESS_MEMORY_RESTART,PROCESS_STATE') +
      '[eventlistener:all]\ncommand={PY} {RECORDER}\nevents=EVENT\nbuffer_size=10000\nenvironment=REC_OUT="{DIR}/all.jsonl"\n' +
      // holds 50 MiB from its start: over its limit at every look
      `[program:hog]\ncommand={PY} -c "import time; held = b'1' * (50 << 20); time.sleep(100)"\nstartsecs=0\nmax_memory_restart=20MB\nmax_memory_interval=1\n`,
  );
  try {
    await waitUp(d);
    const got = await waitRecords(d.dir.join('rec.jsonl'), (r) => r.filter((x) => x.headers.eventname === 'PROCESS_MEMORY_RESTART').length >= 2, 'two memory restarts');
    const hog = got.filter((x) => /processname:hog /.test(x.payload));
    const first = hog.findIndex((x) => x.headers.eventname === 'PROCESS_MEMORY_RESTART');
    const restart = hog[first] as (typeof hog)[number];
    const m = /^processname:hog groupname:hog pid:(\d+) used:(\d+) limit:20971520\nits processes hold (\d+\.\d) MiB of resident memory, more than max_memory_restart=20MB$/.exec(restart.payload);
    assert.ok(m, restart.payload);
    assert.ok(Number(m[2]) > 50 * 2 ** 20, restart.payload);
    assert.equal((Number(m[2]) / 2 ** 20).toFixed(1), m[3]);
    // the event, then the stop and the start of the same program
    assert.deepEqual(
      hog.slice(first, first + 5).map((x) => x.headers.eventname),
      ['PROCESS_MEMORY_RESTART', 'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_STARTING', 'PROCESS_STATE_RUNNING'],
    );
    assert.match(hog[first + 1]?.payload ?? '', new RegExp(`pid:${m[1]}\\b`));

    const all = readRecords(d.dir.join('all.jsonl'));
    assert.ok(all.some((x) => x.headers.eventname === 'PROCESS_STATE_STOPPING' && /processname:hog /.test(x.payload)), 'the EVENT listener works');
    assert.deepEqual(all.filter((x) => x.headers.eventname === 'PROCESS_MEMORY_RESTART'), []);
  } finally {
    d.cleanup();
  }
});

test('shutdown waits for busy listener groups once, not once each: three listeners that never answer are stopped within one wait', { skip: pythonSkip }, async () => {
  // READY, take one event, never answer
  const hung = "import sys, time\nsys.stdout.write('READY\\n'); sys.stdout.flush()\nsys.stdin.readline()\ntime.sleep(1000)\n";
  const body = ['a', 'b', 'c'].map((n) => `[eventlistener:${n}]\ncommand={PY} {DIR}/hung.py\nevents=SUPERVISOR_STATE_CHANGE\n`).join('') + '[program:p]\ncommand=sleep 100\n';
  const d = startDaemon('tsv', body);
  writeFileSync(d.dir.join('hung.py'), hung);
  try {
    await waitUp(d);
    // each has taken SUPERVISOR_STATE_CHANGE_RUNNING and holds it
    await until(() => ['a', 'b', 'c'].every((n) => new RegExp(`success: ${n} entered RUNNING`).test(d.log())), 'the listeners RUNNING');
    await new Promise((r) => setTimeout(r, 300));
    await d.stop();
    const stopped = d.log().split('\n').filter((l) => / stopped: [abc] \(terminated by SIGTERM\)/.test(l)).map(logLineMs);
    assert.equal(stopped.length, 3, d.log());
    // one shared wait of 2 s, then the three one after another; a wait each would spread them 4 s or more
    assert.ok(Math.max(...stopped) - Math.min(...stopped) < 1500, d.log());
  } finally {
    d.cleanup();
  }
});
