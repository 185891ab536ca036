// `tsv events`: recent events and live ones, human lines and JSON lines,
// type filters (abstract parents included), against a tsv daemon; against
// supervisord it says it needs tsv. And what the daemon does for nobody:
// no tick timer and no output events unless a pool or a follower wants them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir, load, startEngine, waitState, withTimeout, writeConf } from './helpers/daemon-env';
import { haveOracle, startDaemon, waitUp, type Daemon } from './helpers/events-env';
import { ProcessState } from '../src/daemon/states';
import type { EventLine } from '../src/events/stream';
import { logEventEnd } from '../src/daemon/process-output';

function tsvEvents(d: Daemon, ...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [TSV, '-c', d.conf, 'events', ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

/** `tsv events ARGS` running; lines as they come. */
function follow(
  d: Daemon,
  ...args: string[]
): { lines: string[]; err(): string; next(pred: (l: string) => boolean, what: string): Promise<string>; stop(): Promise<number | null> } {
  const child = spawn(process.execPath, [TSV, '-c', d.conf, 'events', ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const lines: string[] = [];
  let rest = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    const parts = (rest + c).split('\n');
    rest = parts.pop() as string;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    lines,
    err: () => err,
    next: (pred, what) =>
      withTimeout(
        new Promise<string>((resolve) => {
          const check = (): void => {
            const hit = lines.find(pred);
            if (hit !== undefined) resolve(hit);
            else waiters.push(check);
          };
          check();
        }),
        15000,
        what,
      ),
    stop: async () => {
      child.kill('SIGINT');
      return withTimeout(exited, 10000, 'tsv events to exit');
    },
  };
}

const BODY =
  '[program:p]\ncommand=sleep 100\n' +
  "[program:talker]\ncommand=/bin/sh -c 'while :; do echo chat; sleep 0.2; done'\nstdout_events_enabled=true\n";

test('tsv events: recent events as human lines and as JSON, filtered by type', { timeout: 60000 }, async () => {
  const d = startDaemon('tsv', BODY);
  try {
    await waitUp(d);
    await until(() => tsvEvents(d, '-n', '50').out.includes('PROCESS_STATE_RUNNING processname:p '), 'p RUNNING in tsv events');
    const human = tsvEvents(d, '-n', '50');
    assert.equal(human.code, 0);
    const lines = human.out.trimEnd().split('\n');
    assert.ok(lines.some((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} PROCESS_GROUP_ADDED groupname:p$/.test(l)), human.out);
    assert.ok(lines.some((l) => /^\S+ \S+ SUPERVISOR_STATE_CHANGE_RUNNING$/.test(l)));
    assert.ok(lines.some((l) => /^\S+ \S+ PROCESS_STATE_RUNNING processname:p groupname:p from_state:STARTING pid:\d+$/.test(l)));
    assert.ok(!lines.some((l) => l.includes('PROCESS_LOG')), 'no log events: nobody subscribed to them');

    const json = tsvEvents(d, '--json', '-n', '100', 'process_state');
    assert.equal(json.code, 0);
    const events = json.out.trimEnd().split('\n').map((l) => JSON.parse(l) as EventLine);
    assert.ok(events.length >= 4);
    for (const e of events) {
      assert.match(e.eventname, /^PROCESS_STATE_/);
      assert.equal(typeof e.time, 'number');
      assert.equal(e.serial, null, 'no pool took it: no serial');
      assert.equal(e.headers.processname && e.payload.startsWith(`processname:${e.headers.processname} `), true);
    }
    assert.equal(tsvEvents(d, '-n', '2', 'PROCESS_GROUP').out.trimEnd().split('\n').length, 2);

    const bad = tsvEvents(d, 'NO_SUCH_TYPE');
    assert.equal(bad.code, 2);
    assert.match(bad.out, /^Error: unknown event type NO_SUCH_TYPE\n/);
  } finally {
    d.cleanup();
  }
});

test("tsv events: tsv's PROCESS_HEALTH events are shown by default and by their names, not under EVENT; the help names them", { timeout: 60000 }, async () => {
  const d = startDaemon('tsv', `[program:web]\ncommand=sleep 100\nstartsecs=0\nhealthcheck=/bin/sh -c 'echo refused >&2; exit 3'\nhealthcheck_interval=1\nhealthcheck_retries=100\n`);
  try {
    await waitUp(d);
    const failed = /^\S+ \S+ PROCESS_HEALTH_UNHEALTHY processname:web groupname:web pid:\d+ failures:1 retries:100\n {4}exit status 3: refused$/m;
    await until(() => failed.test(tsvEvents(d, '-n', '50').out), 'a failed look in tsv events');
    assert.match(tsvEvents(d, '-n', '50', 'PROCESS_HEALTH').out, failed);
    const only = tsvEvents(d, '-n', '50', 'process_health_unhealthy').out.trimEnd().split('\n').filter((l) => !l.startsWith('    '));
    assert.ok(only.length >= 1 && only.every((l) => / PROCESS_HEALTH_UNHEALTHY /.test(l)), only.join('\n'));
    const supervisors = tsvEvents(d, '-n', '50', 'EVENT').out;
    assert.match(supervisors, /PROCESS_STATE_RUNNING processname:web /);
    assert.doesNotMatch(supervisors, /PROCESS_HEALTH/);
    const help = spawnSync(process.execPath, [TSV, 'help', 'events'], { encoding: 'utf8', env: cleanEnv() });
    assert.match(help.stdout, /default all: EVENT, PROCESS_HEALTH and PROCESS_MEMORY_RESTART\)\n/);
    assert.match(help.stdout, /\ntsv's own \(healthcheck=, max_memory_restart=\): PROCESS_HEALTH PROCESS_HEALTH_HEALTHY PROCESS_HEALTH_UNHEALTHY PROCESS_MEMORY_RESTART\n/);
  } finally {
    d.cleanup();
  }
});

test('tsv events -f: live events (remote communication, log output, ticks) until Ctrl-C', { timeout: 60000 }, async (t) => {
  const d = startDaemon('tsv', BODY);
  try {
    await waitUp(d);
    const f = follow(d, '-f', '--json', '-n', '0', 'REMOTE_COMMUNICATION', 'PROCESS_LOG');
    const g = follow(d, '--follow', '-n', '0', 'TICK');
    // stopped whatever fails: a follower left running holds this test file open
    t.after(() => Promise.all([f.stop(), g.stop()]));
    // the follower subscribes once it has started and connected, which on a busy machine takes a while:
    // the event is sent again until one arrives (each the same), not once after a guessed delay
    const arrived = f.next((l) => l.includes('REMOTE_COMMUNICATION'), 'the remote event');
    const send = (): Promise<unknown> => d.rpc.call('supervisor.sendRemoteCommEvent', ['kind', 'hello\nworld']);
    await send();
    const again = setInterval(() => void send().catch(() => {}), 300);
    let remote: EventLine;
    try {
      remote = JSON.parse(await arrived) as EventLine;
    } finally {
      clearInterval(again);
    }
    assert.deepEqual(remote.headers, { type: 'kind' });
    assert.equal(remote.data, 'hello\nworld');
    const chat = JSON.parse(await f.next((l) => l.includes('PROCESS_LOG_STDOUT'), 'a log event')) as EventLine;
    assert.equal(chat.headers.processname, 'talker');
    assert.equal(chat.headers.channel, 'stdout');
    assert.match(chat.data, /^(chat\n)+$/);
    const tick = await g.next((l) => / TICK_5 when:\d+$/.test(l), 'a TICK_5 line');
    assert.match(tick, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} TICK_5 when:\d+$/);
    assert.equal(await f.stop(), 0);
    assert.equal(await g.stop(), 0);
  } finally {
    d.cleanup();
  }
});

test('tsv events -f follows across a reload: it says the daemon went, then goes on with the new run\'s events, none shown twice', { timeout: 60000 }, async (t) => {
  const d = startDaemon('tsv', '[program:p]\ncommand=sleep 100\nstartsecs=0\n');
  try {
    await waitUp(d);
    const f = follow(d, '-f', '--json', '-n', '0', 'PROCESS_STATE');
    // it waits for a daemon that went: stopped before the daemon is, whatever fails
    t.after(() => f.stop());
    await new Promise((r) => setTimeout(r, 500));
    await d.rpc.call('supervisor.restart', []);
    await f.next((l) => l.includes('PROCESS_STATE_STOPPED'), 'p stopped by the reload');
    const running = await f.next((l) => l.includes('PROCESS_STATE_RUNNING'), 'p running again after the reload');
    assert.equal((JSON.parse(running) as EventLine).headers.processname, 'p');
    assert.equal(f.err(), 'events: the daemon closed the stream (it stopped or is reloading); waiting for it (Ctrl-C to exit)\nevents: the daemon is back\n');
    const shown = f.lines.filter(Boolean);
    assert.equal(new Set(shown).size, shown.length, `no event twice:\n${shown.join('\n')}`);
    const times = shown.map((l) => (JSON.parse(l) as EventLine).time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in order');
    assert.equal(await f.stop(), 0);
  } finally {
    d.cleanup();
  }
});

test('tsv events -f across a reload: the new run\'s events that share a millisecond are all shown (six groups added at once)', { timeout: 60000 }, async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const d = startDaemon('tsv', names.map((n) => `[program:${n}]\ncommand=sleep 100\nstartsecs=0\n`).join(''));
  try {
    await waitUp(d);
    const f = follow(d, '-f', '-n', '0', 'PROCESS_GROUP');
    t.after(() => f.stop());
    await new Promise((r) => setTimeout(r, 500));
    await d.rpc.call('supervisor.restart', []);
    await until(() => f.err().includes('the daemon is back'), 'the follower to reconnect');
    await until(() => (d.log().match(/spawned: 'f'/g) ?? []).length === 2, 'the new run to start its programs');
    await new Promise((r) => setTimeout(r, 500));
    const added = f.lines.filter((l) => l.includes('PROCESS_GROUP_ADDED')).map((l) => /groupname:(\w+)/.exec(l)?.[1]);
    assert.deepEqual(added, names);
    assert.equal(await f.stop(), 0);
  } finally {
    d.cleanup();
  }
});

test('tsv events against supervisord: it needs a tsv daemon', { skip: haveOracle() ? false : 'needs /usr/bin/supervisord', timeout: 30000 }, async () => {
  const d = startDaemon('supervisord', BODY);
  try {
    await waitUp(d);
    const r = tsvEvents(d);
    assert.equal(r.code, 3);
    assert.match(r.out, /does not serve events \(tsv events needs a tsv daemon, not supervisord\)/);
  } finally {
    d.cleanup();
  }
});

test('nobody subscribed: no tick timer, no output events; they come and go with pools and followers', { timeout: 30000 }, async () => {
  const dir = new TempDir();
  const conf = writeConf(
    dir,
    '[eventlistener:states]\ncommand=/bin/cat\nevents=PROCESS_STATE\n' + "[program:talker]\ncommand=/bin/sh -c 'exec sleep 100'\nstdout_events_enabled=true\n",
  );
  const te = startEngine(load(conf));
  try {
    const hub = te.engine.eventHub;
    await waitState(te.engine, 'talker', ProcessState.RUNNING);
    assert.equal(hub.ticking, false);
    assert.equal(te.engine.events.has('processOutput'), false);
    const off = hub.follow({ types: ['TICK_60', 'PROCESS_LOG_STDOUT'], deliver: () => {}, closed: () => {} });
    assert.equal(hub.ticking, true);
    assert.equal(te.engine.events.has('processOutput'), true);
    off();
    assert.equal(hub.ticking, false);
    assert.equal(te.engine.events.has('processOutput'), false);
    // a pool subscribing to EVENT wants everything
    const withPool = load(writeConf(dir, '[eventlistener:all]\ncommand=/bin/cat\nevents=EVENT\n'));
    te.engine.addProcessGroup(withPool.groups.find((g) => g.name === 'all')!);
    assert.equal(hub.ticking, true);
    assert.equal(te.engine.events.has('processOutput'), true);
    await te.engine.groups.get('all')!.processes.get('all')!.stop();
    await waitState(te.engine, 'all', ProcessState.STOPPED);
    assert.equal(te.engine.removeProcessGroup('all'), true);
    assert.equal(hub.ticking, false);
    assert.equal(te.engine.events.has('processOutput'), false);
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('tsv events behind Basic auth: credentials from -u/-p; refused without them', { timeout: 30000 }, async () => {
  // a second [unix_http_server] section merges into the first, as in Supervisor
  const d = startDaemon('tsv', '[unix_http_server]\nusername=alice\npassword={SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef\n[program:p]\ncommand=sleep 100\n');
  try {
    // exit status 4: not up yet
    await until(() => spawnSync(process.execPath, [TSV, '-c', d.conf, '-u', 'alice', '-p', '123', 'status'], { env: cleanEnv() }).status !== 4, 'the daemon to answer');
    const ok = spawnSync(process.execPath, [TSV, '-c', d.conf, '-u', 'alice', '-p', '123', 'events', '-n', '50', 'PROCESS_GROUP'], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, / PROCESS_GROUP_ADDED groupname:p\n/);
    const no = spawnSync(process.execPath, [TSV, '-c', d.conf, 'events'], { encoding: 'utf8', env: cleanEnv() });
    assert.notEqual(no.status, 0);
    assert.match(no.stdout, /Server requires authentication/);
    assert.doesNotMatch(no.stdout, /PROCESS_GROUP/);
  } finally {
    d.cleanup();
  }
});

test('PROCESS_LOG events of a read larger than 64 KiB end at a line end, or before a character, never inside one (no `Undecodable`)', { timeout: 60000 }, async () => {
  // 131 bytes (3-byte characters): 64 KiB on falls inside a line, and inside a character in 2 lines of 3
  const line = (i: number): string => `${String(i).padStart(6, '0')} ${'\u20ac'.repeat(41)}\n`;
  assert.equal(logEventEnd(Buffer.from(line(1).repeat(1000)), 0), 500 * 131, 'after the last line end within 64 KiB');
  const noLines = Buffer.from('\u20ac'.repeat(30000));
  assert.equal(logEventEnd(noLines, 0), 65535, 'before the character 64 KiB would cut');
  assert.equal(logEventEnd(noLines, 2), 65538, 'where 64 KiB on is a character boundary');
  assert.equal(logEventEnd(noLines, noLines.length - 10), noLines.length, 'the rest, when it fits');
  const dir = new TempDir();
  // 100 writes of 27 lines (3537 bytes, under PIPE_BUF: each lands whole), while the engine (this process) is held
  const command = `/usr/bin/python3 -c "import os, time; time.sleep(0.3); [os.write(1, b''.join((str(w * 27 + i).zfill(6) + ' ').encode() + '\\u20ac'.encode() * 41 + b'\\\\n' for i in range(27))) for w in range(100)]; time.sleep(30)"`;
  const conf = writeConf(dir, `[program:talker]\ncommand=${command}\nstartsecs=0\nstdout_events_enabled=true\nstdout_logfile=%(here)s/talker.log\n`);
  const te = startEngine(load(conf));
  const payloads: string[] = [];
  const off = te.engine.eventHub.follow({ types: ['PROCESS_LOG_STDOUT'], deliver: (e) => payloads.push(e.payload.slice(e.payload.indexOf('\n') + 1)), closed: () => {} });
  try {
    await waitState(te.engine, 'talker', ProcessState.RUNNING);
    spawnSync('sleep', ['0.8']); // the pipe fills: the next read takes all 353,700 bytes
    await until(() => payloads.join('').length >= 2700 * 49, 'all the output as events', 15000);
    const bad = payloads.filter((p) => p.startsWith('Undecodable'));
    assert.deepEqual(bad.map((p) => p.slice(0, 60)), [], 'every event is text');
    const sizes = payloads.map((p) => Buffer.byteLength(p));
    assert.ok(sizes.some((n) => n > 60 * 1024) && sizes.every((n) => n <= 64 * 1024), `a read larger than 64 KiB was cut (events of ${Math.min(...sizes)}-${Math.max(...sizes)} bytes)`);
    assert.equal(payloads.join(''), Array.from({ length: 2700 }, (_, i) => line(i)).join(''), 'every line once, in order');
  } finally {
    off();
    await te.close();
    dir.cleanup();
  }
});
