// sd_notify (tsv only; supervisord has none): started by a service manager
// that set NOTIFY_SOCKET, the daemon says READY=1 once its sockets serve,
// STATUS= as its programs change state, RELOADING=1 and READY=1 around a
// reload, STOPPING=1 at shutdown, and WATCHDOG=1 when asked, while the
// programs it spawns do not inherit the socket. The service manager here is a
// real unix datagram socket read by a Python script; test/host-systemd.test.ts
// has the real systemd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TempDir } from './helpers/daemon-env';
import { TSV, cleanEnv, daemonForeground, poll, until } from './helpers/daemon-cli';
import { programsSummary } from '../src/daemon/sd-notify';
import { ProcessState } from '../src/daemon/states';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print(json.dumps('bound'), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

/** A notify socket as a service manager holds it: every datagram, in order. */
class Receiver {
  readonly messages: string[] = [];
  private readonly child: ChildProcess;
  private buffered = '';

  constructor(readonly address: string) {
    this.child = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const l of lines) this.messages.push(JSON.parse(l) as string);
    });
  }

  async bound(): Promise<void> {
    await until(() => this.messages[0] === 'bound', 'the notify socket to be bound');
    this.messages.shift();
  }

  /** The index of the first message from `from` on that matches re. */
  async next(re: RegExp, from = 0, what = re.source): Promise<number> {
    return poll(() => {
      const i = this.messages.findIndex((m, j) => j >= from && re.test(m));
      return i >= 0 ? i : undefined;
    }, `a notification ${what}; got:\n${this.messages.join('\n---\n')}`);
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}

function writeConfig(dir: TempDir): string {
  const d = dir.path;
  return dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=${d}/main.log\npidfile=${d}/pid\nchildlogdir=${d}\n` +
      `[unix_http_server]\nfile=${d}/sock\n[supervisorctl]\nserverurl=unix://${d}/sock\n` +
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n' +
      `[program:up]\ncommand=/bin/sh -c 'env > ${d}/up.env; echo pid=$$ >> ${d}/up.env; exec sleep 300'\nstartsecs=0\n` +
      '[program:bad]\ncommand=/bin/false\nstartretries=0\n',
  );
}

function ctl(conf: string, ...args: string[]): { out: string; status: number | null } {
  const r = spawnSync(process.execPath, [TSV, 'ctl', '-c', conf, ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 30000 });
  return { out: r.stdout + r.stderr, status: r.status };
}

test('READY=1 once the socket serves, STATUS= on each change, RELOADING=1 then READY=1 on reload, STOPPING=1 at shutdown; programs do not inherit the socket', async () => {
  const dir = new TempDir('tsv-sdnotify-');
  const recv = new Receiver(dir.join('notify'));
  const conf = writeConfig(dir);
  await recv.bound();
  const daemon = daemonForeground(['-c', conf], [], { NOTIFY_SOCKET: dir.join('notify'), WATCHDOG_PID: '1', WATCHDOG_USEC: '100000' });
  try {
    const ready = await recv.next(/^READY=1\n/);
    // ready means serving: the control socket answers now
    assert.equal(ctl(conf, 'pid').status, 0);
    assert.match(recv.messages[ready], /^READY=1\nSTATUS=2 programs: (\d [A-Z]+(, )?)+$/);
    const settled = await recv.next(/^STATUS=2 programs: 1 RUNNING, 1 FATAL$/, ready);
    // up's environment, once it has written it all (the last line is its pid)
    const envOf = (other = ''): Promise<string> =>
      poll(() => {
        const e = dir.read('up.env');
        return /^pid=\d+\n$/m.test(e) && e !== other ? e : undefined;
      }, "up's environment");
    const env = await envOf();
    assert.match(env, /^SUPERVISOR_PROCESS_NAME=up$/m);
    assert.doesNotMatch(env, /^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/m);

    const t0 = process.hrtime.bigint() / 1000n;
    assert.equal(ctl(conf, 'reload').out, 'Restarted supervisord\n');
    const reloading = await recv.next(/^RELOADING=1\n/, settled);
    const [, usec] = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading$/.exec(recv.messages[reloading]) ?? [];
    // CLOCK_MONOTONIC, as systemd reads it: the test's own clock, a moment later
    assert.ok(BigInt(usec ?? -1) >= t0 && BigInt(usec) - t0 < 5_000_000n, `MONOTONIC_USEC ${usec} against ${t0}`);
    const again = await recv.next(/^READY=1\n/, reloading);
    assert.ok(recv.messages.slice(reloading + 1, again).every((m) => /^STATUS=reloading: 2 programs: /.test(m)), recv.messages.join('\n---\n'));
    const resettled = await recv.next(/^STATUS=2 programs: 1 RUNNING, 1 FATAL$/, again);
    // nor after the reload, which read the config again
    const env2 = await envOf(env);
    assert.doesNotMatch(env2, /^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/m);

    daemon.kill('SIGTERM');
    assert.equal(await daemon.exited, 0);
    const stopping = await recv.next(/^STOPPING=1\nSTATUS=stopping$/, resettled);
    // the last word systemd has: everything stopped
    await recv.next(/^STATUS=stopping: 2 programs: 1 STOPPED, 1 FATAL$/, stopping);
    // WATCHDOG_PID named another process: no watchdog
    assert.ok(!recv.messages.includes('WATCHDOG=1'), recv.messages.join('\n---\n'));
  } finally {
    await daemon.terminate();
    recv.close();
    dir.cleanup();
  }
});

test('an abstract notify socket (@name) and WatchdogSec=: WATCHDOG=1 every half interval, also across a reload', async () => {
  const dir = new TempDir('tsv-sdnotify-');
  const name = `@tsv-test-notify-${process.pid}-${Date.now()}`;
  const recv = new Receiver(name);
  const conf = writeConfig(dir);
  await recv.bound();
  const daemon = daemonForeground(['-c', conf], [], { NOTIFY_SOCKET: name, WATCHDOG_USEC: '200000' });
  try {
    const ready = await recv.next(/^READY=1\n/);
    await new Promise((r) => setTimeout(r, 1000));
    const pings = recv.messages.slice(ready).filter((m) => m === 'WATCHDOG=1').length;
    // every 100 ms: about 10 in the second, fewer on a loaded machine
    assert.ok(pings >= 4 && pings <= 12, `${pings} WATCHDOG=1 in 1 s`);
    assert.equal(ctl(conf, 'reload').status, 0);
    const again = await recv.next(/^READY=1\n/, ready + 1);
    await recv.next(/^WATCHDOG=1$/, again);
  } finally {
    await daemon.terminate();
    recv.close();
    dir.cleanup();
  }
});

test('a notify socket nobody listens on is one warning in the main log; the daemon runs on', async () => {
  const dir = new TempDir('tsv-sdnotify-');
  const conf = writeConfig(dir);
  const daemon = daemonForeground(['-c', conf], [], { NOTIFY_SOCKET: dir.join('nobody-here') });
  try {
    await until(() => /gave up: bad/.test(dir.read('main.log')), 'the programs to settle');
    assert.equal(ctl(conf, 'reload').status, 0);
    await until(() => (dir.read('main.log').match(/gave up: bad/g) ?? []).length === 2, 'the programs to settle again');
    const warnings = dir.read('main.log').match(/WARN could not notify the service manager at .*\n/g) ?? [];
    // one per run of the daemon: the reload made a second
    assert.deepEqual(warnings, [`WARN could not notify the service manager at ${dir.join('nobody-here')}: No such file or directory\n`, `WARN could not notify the service manager at ${dir.join('nobody-here')}: No such file or directory\n`]);
    assert.match(ctl(conf, 'status', 'up').out, /^up +RUNNING/);
  } finally {
    await daemon.terminate();
    dir.cleanup();
  }
});

test('the status line counts programs by state, in the order of Supervisor state codes', () => {
  assert.equal(programsSummary([]), 'no programs');
  assert.equal(programsSummary([ProcessState.RUNNING]), '1 program: 1 RUNNING');
  assert.equal(
    programsSummary([ProcessState.FATAL, ProcessState.RUNNING, ProcessState.BACKOFF, ProcessState.RUNNING, ProcessState.STOPPED]),
    '5 programs: 1 STOPPED, 2 RUNNING, 1 BACKOFF, 1 FATAL',
  );
});
