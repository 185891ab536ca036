// tsv doctor against real installations, broken the way users break them:
// kill -9 the daemon, delete the socket, chmod the log dir, chown the socket
// to root, move the binary, add a bad line to the config, disable or stop
// the service, start a second daemon by hand, delete a log under the daemon.
// Each time doctor must name the failure class by id, and `--fix` must
// repair what is safe to repair (and leave alone what is not).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport, daemonSetup, type ExecOptions } from './helpers/host-container';

const support = containerSupport();
const CONF = '/etc/tsv/supervisord.conf';
const PROGRAMS = `[program:web]
command=/bin/sleep infinity
user=svc
stdout_logfile=/var/log/tsv/web.log
redirect_stderr=true

[program:ticker]
command=/bin/sh -c "while :; do echo tick; sleep 1; done"
stopwaitsecs=3
`;

interface Check {
  id: string;
  status: string;
  found: string;
  fix: string | null;
  fixable: boolean;
}
interface Report {
  healthy: boolean;
  user: string;
  checks: Check[];
  fixes: { id: string; done?: string; error?: string }[];
}

function doctor(c: Container, args: string[] = [], opts: ExecOptions & { tsv?: string[] } = {}): { status: number | null; report: Report; text: string } {
  const r = c.exec([...(opts.tsv ?? ['tsv']), 'doctor', '--json', ...args], opts);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { status: r.status, report, text: r.stdout };
}

const problems = (rep: Report): string[] => rep.checks.filter((x) => x.status === 'problem').map((x) => x.id);
const find = (rep: Report, id: string): Check => rep.checks.find((x) => x.id === id) as Check;

async function until(what: string, fn: () => boolean, tries = 75): Promise<void> {
  // 200 ms steps: programs need startsecs (1 s) to count as RUNNING
  for (let i = 0; i < tries; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function assertHealthy(c: Container, opts: ExecOptions & { tsv?: string[] } = {}): void {
  const d = doctor(c, [], opts);
  assert.equal(d.status, 0, `doctor is not happy: ${problems(d.report).join(', ')}\n${d.text}`);
}

describe('host: tsv doctor on a broken systemd installation', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;
  const ctlStatus = (user?: string) => c.exec(['tsv', 'ctl', '-c', CONF, 'status'], { user });
  const mainPid = (): string => c.sh('systemctl show -p MainPID --value tsv').stdout.trim();
  const allRunning = (): boolean => (ctlStatus().stdout.match(/RUNNING/g) ?? []).length === 2;

  before(async () => {
    c = await Container.create(setup!.variant, { boot: true });
    await c.start();
    c.installTsv();
    c.must('useradd --system -M svc && useradd -M alice && useradd -M bob');
    c.writeFile('/etc/tsv/conf.d/programs.conf', PROGRAMS);
    const r = c.exec(['tsv', 'install', '--boot', ...setup!.installFlags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    c.must('usermod -aG tsv alice');
    await until('programs RUNNING', allRunning);
    console.log(`# daemon under test: ${setup!.daemon}`);
  });
  after(async () => {
    await c?.destroy();
  });

  test('a fresh installation is healthy (exit 0), for root and for a tsv member', () => {
    assertHealthy(c);
    assertHealthy(c, { user: 'alice' });
  });

  test('kill -9 the daemon: systemd restarts it, KillMode=mixed took the old programs along, doctor finds nothing', async () => {
    const before0 = mainPid();
    c.must(`kill -9 ${before0}`);
    await until('a new daemon', () => mainPid() !== before0 && mainPid() !== '0' && c.sh('systemctl is-active tsv').stdout.trim() === 'active');
    await until('programs RUNNING again', allRunning);
    assert.equal(c.processes().filter((p) => p.cmdline === '/bin/sleep infinity').length, 1, 'the old web survived the daemon: duplicates');
    assertHealthy(c);
  });

  test('chown the socket to root: a tsv member gets EACCES; doctor names it, --fix (as root) restores root:tsv', () => {
    c.must('chown root:root /run/tsv/tsv.sock');
    assert.notEqual(ctlStatus('alice').status, 0);
    const d = doctor(c, [], { user: 'alice' });
    assert.equal(d.status, 1);
    assert.deepEqual(problems(d.report).sort(), ['socket-eacces', 'socket-permissions']);
    assert.match(find(d.report, 'socket-permissions').found, /group root \(config: tsv\)/);
    assert.match(find(d.report, 'socket-eacces').fix ?? '', /tsv doctor --fix/);
    // alice cannot repair it herself
    assert.equal(doctor(c, ['--fix'], { user: 'alice' }).status, 1);
    const f = doctor(c, ['--fix']);
    assert.equal(f.status, 0, f.text);
    assert.deepEqual(f.report.fixes.map((x) => x.id), ['socket-permissions']);
    assert.equal(c.must('stat -c "%U:%G %a" /run/tsv/tsv.sock').trim(), 'root:tsv 770');
    assert.equal(ctlStatus('alice').status, 0);
  });

  test('a user outside the tsv group: socket-eacces says which group to join', () => {
    const d = doctor(c, [], { user: 'bob' });
    assert.equal(d.status, 1);
    assert.deepEqual(problems(d.report), ['socket-eacces']);
    assert.match(find(d.report, 'socket-eacces').fix ?? '', /sudo usermod -aG tsv bob/);
  });

  test("chmod 0700 the log dir: no problem, the daemon (root) opens every log, web's too (its user= is svc)", () => {
    c.must('chmod 0700 /var/log/tsv');
    const d = doctor(c);
    assert.equal(find(d.report, 'log-not-writable').status, 'ok', d.text);
    c.must('chmod 0755 /var/log/tsv');
  });

  test('a tmp cleaner deletes /run/tsv under the running daemon: run-dir-missing, then socket-missing', async () => {
    // tsv's daemon puts a deleted socket back at once, so `rm -rf /run/tsv` races it (on a
    // busy machine it lost ten tries in a row): the directory goes away in one step first
    c.must('mv /run/tsv /run/tsv.cleaned && rm -rf /run/tsv.cleaned; test ! -e /run/tsv');
    assert.notEqual(ctlStatus().status, 0);
    const d = doctor(c);
    assert.equal(d.status, 1);
    // without the directory the config itself is refused (its pidfile and socket live there)
    assert.deepEqual(problems(d.report), ['run-dir-missing']);
    const f = doctor(c, ['--fix']);
    const ids = f.report.fixes.map((x) => x.id);
    assert.equal(ids[0], 'run-dir-missing');
    if (setup!.daemon === 'tsv') {
      // tsv's daemon re-creates its socket on SIGUSR2: no restart, programs keep their pids
      assert.equal(f.status, 0, f.text);
      assert.deepEqual(ids, ['run-dir-missing', 'socket-missing']);
      assert.equal(ctlStatus().status, 0);
    } else {
      // Supervisor cannot: doctor says so and leaves the restart to the admin
      assert.equal(f.status, 1, f.text);
      assert.deepEqual(problems(f.report), ['socket-missing']);
      assert.equal(find(f.report, 'socket-missing').fixable, false);
      assert.match(find(f.report, 'socket-missing').fix ?? '', /restart/);
      c.must('systemctl restart tsv');
      await until('programs RUNNING', allRunning);
    }
    assertHealthy(c);
  });

  test('a bad line in the config: config-invalid names the file and line; --fix leaves the config alone', () => {
    const file = '/etc/tsv/conf.d/programs.conf';
    c.writeFile(file, PROGRAMS + 'autostart true\n');
    const line = PROGRAMS.split('\n').length;
    const d = doctor(c);
    assert.equal(d.status, 1);
    assert.ok(problems(d.report).includes('config-invalid'));
    assert.match(find(d.report, 'config-invalid').found, new RegExp(`^${file}:${line}: `));
    assert.equal(doctor(c, ['--fix']).status, 1);
    assert.match(c.readFile(file), /autostart true/);
    c.writeFile(file, PROGRAMS);
    assertHealthy(c);
  });

  test('the service disabled, then stopped: unit-disabled and unit-inactive, both fixed', async () => {
    c.must('systemctl disable tsv');
    let d = doctor(c);
    assert.deepEqual(problems(d.report), ['unit-disabled']);
    assert.equal(doctor(c, ['--fix']).status, 0);
    assert.equal(c.sh('systemctl is-enabled tsv').stdout.trim(), 'enabled');
    c.must('systemctl stop tsv');
    d = doctor(c);
    assert.deepEqual(problems(d.report), ['unit-inactive']);
    assert.match(find(d.report, 'unit-inactive').found, /not running/);
    const f = doctor(c, ['--fix']);
    assert.equal(f.status, 0, f.text);
    assert.equal(c.sh('systemctl is-active tsv').stdout.trim(), 'active');
    await until('programs RUNNING', allRunning);
  });

  test('a second daemon started by hand on the same config: two-daemons (not fixed: it would stop programs)', async () => {
    const first = mainPid();
    // Both daemons refuse a socket someone answers on, so the second one gets
    // its own /run/tsv, as a daemon started in another mount namespace (a
    // PrivateTmp service, a container sharing /etc) would.
    const cmd = setup!.daemon === 'tsv' ? 'tsv daemon' : '/usr/bin/supervisord';
    c.must(`unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run/tsv && exec setsid ${cmd} -n -c ${CONF}' </dev/null >/root/second.log 2>&1 &`);
    const second = (): number | undefined =>
      c.processes().find((p) => p.pid !== Number(first) && /(supervisord|tsv\.cjs daemon) -n -c/.test(p.cmdline))?.pid;
    await until('the second daemon runs its programs', () => second() !== undefined && c.processes().filter((p) => p.cmdline === '/bin/sleep infinity').length === 2).catch((e: Error) => {
      throw new Error(`${e.message}\n${c.sh('cat /root/second.log').stdout}`);
    });
    const d = doctor(c);
    assert.equal(d.status, 1);
    // A starting daemon clears AUTO logs in childlogdir (nocleanup=false), so
    // the second one may have deleted the first one's logs under it: the very
    // harm two daemons do, and doctor says so too.
    assert.deepEqual(problems(d.report).filter((id) => id !== 'log-deleted'), ['two-daemons']);
    if (problems(d.report).includes('log-deleted')) assert.match(find(d.report, 'log-deleted').found, /\/var\/log\/tsv\/ticker-stdout---/);
    const found = find(d.report, 'two-daemons').found;
    assert.match(found, new RegExp(`pid ${first} \\(answers on the socket\\)`));
    assert.match(found, new RegExp(`pid ${second()}: `));
    assert.equal(find(d.report, 'two-daemons').fixable, false);
    assert.match(find(d.report, 'two-daemons').fix ?? '', new RegExp(`kill ${second()}`));
    assert.equal(doctor(c, ['--fix']).status, 1);
    c.must(`kill ${second()}`);
    await until('the second daemon and its programs are gone', () => second() === undefined && c.processes().filter((p) => p.cmdline === '/bin/sleep infinity').length === 1);
    const f = doctor(c, ['--fix']);
    assert.equal(f.status, 0, f.text);
  });

  test('a log deleted under the daemon: log-deleted; --fix has it reopen its logs (SIGUSR2)', async () => {
    await until('web has written its log', () => c.sh('test -e /var/log/tsv/web.log').status === 0);
    c.must('rm /var/log/tsv/web.log');
    const d = doctor(c);
    assert.equal(d.status, 1);
    // the daemon writes into the void
    assert.deepEqual(problems(d.report), ['log-deleted']);
    assert.match(find(d.report, 'log-deleted').found, /\/var\/log\/tsv\/web\.log/);
    const f = doctor(c, ['--fix']);
    assert.equal(f.status, 0, f.text);
    assert.deepEqual(f.report.fixes.map((x) => x.id), ['log-deleted']);
    assert.equal(c.must('stat -c %U /var/log/tsv/web.log').trim(), 'root');
    // reopened: the daemon's file descriptors point at the new file
    assert.equal(doctor(c).report.checks.find((x) => x.id === 'log-deleted')?.status, 'ok');
  });

  test('move the binary: unit-binary-missing; --fix (run from the new place) rewrites the unit, which then restarts', async () => {
    c.must('mv /usr/local/lib/tsv /usr/local/lib/tsv-moved');
    const moved = ['/usr/local/lib/tsv-moved/node', '/usr/local/lib/tsv-moved/tsv.cjs'];
    const d = doctor(c, [], { tsv: moved });
    assert.equal(d.status, 1);
    assert.deepEqual(problems(d.report), ['unit-binary-missing']);
    assert.match(find(d.report, 'unit-binary-missing').found, /\/usr\/local\/lib\/tsv\/node does not exist/);
    const f = doctor(c, ['--fix'], { tsv: moved });
    assert.equal(f.status, 0, f.text);
    const unit = c.readFile('/etc/systemd/system/tsv.service');
    assert.match(unit, /^ExecReload=\/usr\/local\/lib\/tsv-moved\/node \/usr\/local\/lib\/tsv-moved\/tsv\.cjs ctl -c /m);
    assert.doesNotMatch(unit, /\/usr\/local\/lib\/tsv\//);
    // the rewritten unit keeps the daemon's V8 flags on node's command line (src/daemon/v8-flags.json)
    if (setup!.daemon === 'tsv') {
      assert.match(unit, /^ExecStart=\/usr\/local\/lib\/tsv-moved\/node --v8-pool-size=1 --max-semi-space-size=1 --optimize-for-size \/usr\/local\/lib\/tsv-moved\/tsv\.cjs daemon -n -c /m);
    }
    // the rewritten unit really starts (and /usr/local/bin/tsv points at nothing now)
    c.must('systemctl restart tsv');
    assert.equal(c.sh('systemctl is-active tsv').stdout.trim(), 'active');
    await until('programs RUNNING', () => (c.exec([...moved, 'ctl', '-c', CONF, 'status']).stdout.match(/RUNNING/g) ?? []).length === 2);
    if (setup!.daemon === 'tsv') {
      // node starts the daemon with them, and doctor still recognises it as the daemon on this config (stale-pidfile, two-daemons)
      assert.match(c.must(`tr '\\0' ' ' < /proc/${mainPid()}/cmdline`), /^\/usr\/local\/lib\/tsv-moved\/node --v8-pool-size=1 --max-semi-space-size=1 --optimize-for-size \S+tsv\.cjs daemon -n/);
    }
    assertHealthy(c, { tsv: moved });
  });
});

describe('host: tsv doctor after kill -9 with no init system to clean up (init.d script)', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;

  before(async () => {
    c = await Container.create(setup!.variant, { boot: false });
    await c.start();
    c.installTsv();
    const r = c.exec(['tsv', 'install', '--boot', '--init', 'sysv', ...setup!.installFlags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await c?.destroy();
  });

  test('stale socket and stale pidfile are named; --fix removes both and starts the service', () => {
    assertHealthy(c);
    const pid = c.must('cat /run/tsv/tsv.pid').trim();
    c.must(`kill -9 ${pid}`);
    const d = doctor(c);
    assert.equal(d.status, 1);
    assert.deepEqual(problems(d.report), ['stale-socket', 'stale-pidfile', 'unit-inactive']);
    assert.match(find(d.report, 'stale-socket').found, /nobody listens/);
    assert.match(find(d.report, 'stale-pidfile').found, new RegExp(`names pid ${pid}, which is not running`));
    const f = doctor(c, ['--fix']);
    assert.equal(f.status, 0, f.text);
    assert.deepEqual(f.report.fixes.map((x) => x.id), ['stale-socket', 'stale-pidfile', 'unit-inactive']);
    const now = c.must('cat /run/tsv/tsv.pid').trim();
    assert.notEqual(now, pid);
    assert.equal(c.must(`tsv ctl -c ${CONF} pid`).trim(), now);
  });
});
