// `tsv install --boot` on real systemd: a Debian bookworm root booted with
// systemd as PID 1 in systemd-nspawn. Install (imported from a Debian-style
// Supervisor setup), install again (nothing changes), a hand-edited unit is
// shown as a diff and put back, reboot, then check what install promised:
// the service is active, the socket is root:tsv 0770, a member of the tsv
// group runs `tsv status` without sudo (and a non-member cannot), programs
// run as their user=, and `tsv uninstall --purge` leaves the file list as it
// was before. Every timing printed is a measurement, not an assertion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport, daemonSetup, diffLists, fileList } from './helpers/host-container';

const support = containerSupport();
const SUPERVISOR_CONF = `; Debian's /etc/supervisor/supervisord.conf (as shipped by the supervisor package)
[unix_http_server]
file=/var/run/supervisor.sock   ; (the path to the socket file)
chmod=0700                       ; sockef file mode (default 0700)

[supervisord]
logfile=/var/log/supervisor/supervisord.log ; (main log file;default $CWD/supervisord.log)
pidfile=/var/run/supervisord.pid ; (supervisord pidfile;default supervisord.pid)
childlogdir=/var/log/supervisor            ; ('AUTO' child log dir, default $TEMP)

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///var/run/supervisor.sock ; use a unix:// URL  for a unix socket

[include]
files = /etc/supervisor/conf.d/*.conf
`;
const PROGRAMS = `[program:web]
command=/bin/sleep infinity
user=svc
directory=/
stdout_logfile=/var/log/tsv/web.log
redirect_stderr=true
stopwaitsecs=15

[program:worker]
command=/bin/sh -c "echo worker up; exec sleep infinity"
process_name=%(program_name)s_%(process_num)s
numprocs=2
stopwaitsecs=5
`;

describe('host: tsv install --boot under real systemd', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;
  let before0: Map<string, string>;
  let afterInstall: Map<string, string>;
  const flags = (): string[] => ['--from-supervisor', ...(setup?.installFlags ?? [])];

  before(async () => {
    c = await Container.create(setup!.variant, { boot: true });
    const bootMs = await c.start();
    c.installTsv();
    c.must('useradd --system -M -s /usr/sbin/nologin svc && useradd -M alice && useradd -M bob');
    c.writeFile('/etc/supervisor/supervisord.conf', SUPERVISOR_CONF);
    c.writeFile('/etc/supervisor/conf.d/programs.conf', PROGRAMS);
    before0 = fileList(c);
    console.log(`# daemon under test: ${setup!.daemon}; first boot to running: ${bootMs} ms`);
  });

  after(async () => {
    await c?.destroy();
  });

  test('--dry-run prints every file in full and every command, and changes nothing', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--dry-run', ...flags()]);
    assert.equal(r.status, 0, r.stderr);
    for (const want of [
      'would create group tsv: groupadd --system tsv',
      'would write /etc/systemd/system/tsv.service (new',
      'ExecStart=/usr',
      'KillMode=mixed',
      'would write /etc/tmpfiles.d/tsv.conf',
      'would write /etc/tsv/supervisord.conf (new',
      'would write /etc/tsv/conf.d/programs.conf (new',
      '[program:web]',
      'would run: systemctl daemon-reload',
      'would run: systemctl enable tsv.service',
      'would run: systemctl start tsv.service',
      'would write /usr/local/share/bash-completion/completions/tsv (new',
    ]) {
      assert.ok(r.stdout.includes(want), `dry run output lacks ${JSON.stringify(want)}:\n${r.stdout}`);
    }
    assert.deepEqual(diffLists(before0, fileList(c)), []);
  });

  test('install imports the Supervisor setup, enables and starts tsv, and probes it through the socket', () => {
    const t0 = Date.now();
    const r = c.exec(['tsv', 'install', '--boot', ...flags()]);
    const ms = Date.now() - t0;
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    console.log(`# tsv install --boot (first run): ${ms} ms`);
    assert.match(r.stdout, /created group tsv/);
    assert.match(r.stdout, /running: systemctl enable tsv\.service/);
    assert.match(r.stdout, /\$ tsv status {3}\(through unix:\/\/\/run\/tsv\/tsv\.sock\)/);
    assert.match(r.stdout, /^web +(STARTING|RUNNING)/m);
    const conf = c.readFile('/etc/tsv/supervisord.conf');
    assert.match(conf, /^file = \/run\/tsv\/tsv\.sock$/m);
    assert.match(conf, /^chown = root:tsv$/m);
    assert.equal(c.readFile('/etc/tsv/conf.d/programs.conf'), PROGRAMS);
    // the program's log is the daemon's, as under supervisord (it opens it), whatever the program's user=
    assert.equal(c.must('stat -c %U /var/log/tsv/web.log').trim(), 'root');
    assert.equal(c.sh('systemctl is-enabled tsv.service').stdout.trim(), 'enabled');
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    // Tab completion where bash-completion looks, running the tsv installed (no PATH needed)
    const line = 'tsv -c /etc/tsv/supervisord.conf status w';
    const tab = c.exec(['bash', '-c', `. /usr/local/share/bash-completion/completions/tsv; PATH=/nonexistent; COMP_LINE='${line}'; COMP_POINT=${line.length}; COMP_WORDS=(${line}); COMP_CWORD=4; _tsv_complete; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    assert.deepEqual({ status: tab.status, stdout: tab.stdout, stderr: tab.stderr }, { status: 0, stdout: 'web\nworker:\\*\nworker:worker_0\nworker:worker_1\n', stderr: '' });
  });

  test('the installed unit passes systemd-analyze verify (and a broken one does not)', () => {
    const r = c.sh('systemd-analyze verify /etc/systemd/system/tsv.service 2>&1');
    assert.equal(r.status, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /tsv\.service/);
    c.writeFile('/root/broken.service', c.readFile('/etc/systemd/system/tsv.service').replace('KillMode=mixed', 'KillMode=sometimes'));
    const bad = c.sh('systemd-analyze verify /root/broken.service 2>&1');
    assert.match(bad.stdout, /kill mode/i);
    c.must('rm /root/broken.service');
  });

  test('a second install changes nothing and says so', () => {
    afterInstall = fileList(c);
    const unitBefore = c.readFile('/etc/systemd/system/tsv.service');
    const pidBefore = c.sh('systemctl show -p MainPID --value tsv').stdout.trim();
    const t0 = Date.now();
    const r = c.exec(['tsv', 'install', '--boot', ...flags()]);
    console.log(`# tsv install --boot (second run, nothing to do): ${Date.now() - t0} ms`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nothing to change/);
    assert.doesNotMatch(r.stdout, /^(running|wrote|created|updated)/m);
    assert.equal(c.readFile('/etc/systemd/system/tsv.service'), unitBefore);
    assert.equal(c.sh('systemctl show -p MainPID --value tsv').stdout.trim(), pidBefore, 'the daemon was restarted');
    assert.deepEqual(diffLists(afterInstall, fileList(c)), []);
  });

  test('an edited unit is shown as a diff, then replaced and the service restarted', () => {
    const unit = c.readFile('/etc/systemd/system/tsv.service');
    c.writeFile('/etc/systemd/system/tsv.service', unit.replace('RestartSec=3', 'RestartSec=42'));
    c.must('systemctl daemon-reload');
    const r = c.exec(['tsv', 'install', '--boot', ...flags()]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ +-RestartSec=42$/m);
    assert.match(r.stdout, /^ +\+RestartSec=3$/m);
    assert.match(r.stdout, /running: systemctl restart tsv\.service/);
    assert.equal(c.readFile('/etc/systemd/system/tsv.service'), unit);
  });

  test('after a reboot the daemon is active, the socket is root:tsv 0770, programs run', async () => {
    const { exitCode, ms } = await c.reboot();
    assert.equal(exitCode, 133, 'systemd-nspawn ends with 133 on reboot');
    // start() waited for is-system-running: the unit's READY=1 makes that mean "the socket answers"
    console.log(`# reboot request to booted machine with tsv answering: ${ms} ms`);
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    const since = c.sh('systemctl show -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic tsv').stdout;
    const start = Number(/ExecMainStartTimestampMonotonic=(\d+)/.exec(since)?.[1]);
    const active = Number(/ActiveEnterTimestampMonotonic=(\d+)/.exec(since)?.[1]);
    console.log(`# tsv.service start to active (socket answering), from systemd's timestamps: ${Math.round((active - start) / 1000)} ms`);
    assert.equal(c.must('stat -c "%U:%G %a %F" /run/tsv/tsv.sock').trim(), 'root:tsv 770 socket');
    // programs reach RUNNING after startsecs (1 s)
    let status = '';
    for (let i = 0; i < 50; i++) {
      status = c.sh('tsv ctl -c /etc/tsv/supervisord.conf status').stdout;
      if ((status.match(/RUNNING/g) ?? []).length === 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(status, /^web +RUNNING/m);
    assert.match(status, /^worker:worker_0 +RUNNING/m);
    assert.match(status, /^worker:worker_1 +RUNNING/m);
    const webPid = c.must('tsv ctl -c /etc/tsv/supervisord.conf pid web').trim();
    assert.equal(c.processes().find((p) => p.pid === Number(webPid))?.user, 'svc');
    // sd_notify: systemd shows the programs' states; the daemon's notify socket is not handed down to them
    assert.equal(c.sh('systemctl show -p Type --value tsv').stdout.trim(), 'notify');
    const statusText = async (want: RegExp): Promise<string> => {
      let text = '';
      for (let i = 0; i < 50 && !want.test(text); i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        text = c.sh('systemctl show -p StatusText --value tsv').stdout.trim();
      }
      return text;
    };
    assert.equal(await statusText(/^3 programs: 3 RUNNING$/), '3 programs: 3 RUNNING');
    assert.match(c.sh('systemctl status tsv').stdout, /Status: "3 programs: 3 RUNNING"/);
    assert.doesNotMatch(c.must(`tr '\\0' '\\n' < /proc/${webPid}/environ`), /^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/m);
    // a reload (RELOADING=1, then READY=1) keeps the same main process, and the service active
    const mainPid = c.sh('systemctl show -p MainPID --value tsv').stdout.trim();
    assert.equal(c.exec(['tsv', 'ctl', '-c', '/etc/tsv/supervisord.conf', 'reload']).status, 0);
    assert.match(await statusText(/^3 programs: 3 RUNNING$/), /^3 programs: 3 RUNNING$/);
    assert.equal(c.sh('systemctl show -p MainPID --value tsv').stdout.trim(), mainPid);
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    // every notification came from the main process, as NotifyAccess=main wants (systemd logs any it refused)
    const journal = c.sh('journalctl -u tsv --no-pager -o cat').stdout;
    assert.match(journal, /supervisord started with pid (\d+)\n[^]*supervisord started with pid \1\n/);
    assert.doesNotMatch(journal, /notification message|reception only permitted/i);
  });

  test('a container-style program (stdout_logfile=/dev/stdout) runs under the unit, its lines in the journal: the daemon\'s stdout is the journal\'s socket, which open() refuses (supervisord: ENXIO)', async () => {
    c.writeFile('/etc/tsv/conf.d/journal.conf', '[program:tojournal]\ncommand=/bin/sh -c "echo to-the-journal; exec sleep 1000"\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstartsecs=0\n');
    try {
      const u = c.exec(['tsv', 'ctl', '-c', '/etc/tsv/supervisord.conf', 'update']);
      assert.equal(u.status, 0, `${u.stdout}\n${u.stderr}`);
      let journal = '';
      for (let i = 0; i < 50 && !journal.includes('to-the-journal'); i++) {
        if (i) await new Promise((r) => setTimeout(r, 200));
        journal = c.sh('journalctl -u tsv --no-pager -o cat').stdout;
      }
      assert.match(journal, /^to-the-journal$/m);
      assert.match(c.sh('tsv ctl -c /etc/tsv/supervisord.conf status tojournal').stdout, /^tojournal +RUNNING/);
    } finally {
      c.sh('rm -f /etc/tsv/conf.d/journal.conf && tsv ctl -c /etc/tsv/supervisord.conf update');
    }
  });

  test('a member of the tsv group runs `tsv status` without sudo; a non-member gets Permission denied', () => {
    c.must('usermod -aG tsv alice');
    const a = c.exec(['tsv', 'status', '-c', '/etc/tsv/supervisord.conf'], { user: 'alice' });
    // the ctl's flags come before the verb (supervisorctl's grammar)
    const a2 = c.exec(['tsv', 'ctl', '-c', '/etc/tsv/supervisord.conf', 'status'], { user: 'alice' });
    assert.equal(a2.status, 0, `${a2.stdout}\n${a2.stderr}\n(tsv status -c: ${a.stdout}${a.stderr})`);
    assert.match(a2.stdout, /^web +RUNNING/m);
    const b = c.exec(['tsv', 'ctl', '-c', '/etc/tsv/supervisord.conf', 'status'], { user: 'bob' });
    assert.notEqual(b.status, 0);
    assert.match(b.stdout + b.stderr, /Permission denied|EACCES/i);
  });

  test("doctor run by a tsv-group member skips what it cannot see (root's daemon's open files) instead of calling it ok", () => {
    const r = c.exec(['tsv', 'doctor', '--json'], { user: 'alice' });
    const checks = (JSON.parse(r.stdout) as { checks: { id: string; status: string; found: string }[] }).checks;
    const deleted = checks.find((x) => x.id === 'log-deleted');
    assert.equal(deleted?.status, 'skipped', JSON.stringify(deleted));
    assert.match(deleted?.found ?? '', /are not ours to see \(run tsv doctor as root or as the daemon's user\)/);
    const asRoot = JSON.parse(c.must('tsv doctor --json')) as { checks: { id: string; status: string }[] };
    assert.equal(asRoot.checks.find((x) => x.id === 'log-deleted')?.status, 'ok');
  });

  test('tsv uninstall --purge leaves nothing behind', () => {
    const r = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /removed group tsv \(its members were: alice\)/);
    assert.notEqual(c.sh('systemctl is-enabled tsv.service').stdout.trim(), 'enabled');
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'inactive');
    const left = c.processes().filter((p) => /supervisord|tsv\.cjs daemon|sleep/.test(p.cmdline));
    assert.deepEqual(left, [], 'a daemon or a program survived');
    assert.deepEqual(diffLists(before0, fileList(c)), []);
  });
});

describe('host: install refuses to call a broken service installed', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;

  before(async () => {
    c = await Container.create(setup!.variant, { boot: true });
    await c.start();
    c.installTsv();
  });
  after(async () => {
    await c?.destroy();
  });

  test('a config error stops install before anything is enabled, naming file and line', () => {
    c.writeFile('/etc/tsv/supervisord.conf', '[supervisord]\nlogfile=/var/log/tsv/tsv.log\nnodaemon=maybe\n');
    const r = c.exec(['tsv', 'install', '--boot', ...setup!.installFlags]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the config \/etc\/tsv\/supervisord\.conf has an error; nothing was enabled/);
    assert.match(r.stderr, /\/etc\/tsv\/supervisord\.conf:3: \[supervisord\] nodaemon/);
    assert.equal(c.sh('test -e /etc/systemd/system/tsv.service').status, 1);
    // the config (and /etc/tsv) were the test's, not install's
    c.must('rm -r /etc/tsv');
    assert.equal(c.exec(['tsv', 'uninstall', '--purge']).status, 0);
  });

  test('with the tsv package installed, install refuses and changes nothing; --dry-run warns', () => {
    // What the .deb puts there (src/host/package-files.ts); the package itself is tested in test/packages.test.ts.
    c.writeFile('/lib/systemd/system/tsv.service', '# Rendered from initscripts/tsv.service.mustache when the package was built; installed by the tsv package.\n[Service]\nExecStart=/usr/bin/tsv daemon -n\n');
    try {
      const before = fileList(c);
      const r = c.exec(['tsv', 'install', '--boot', ...setup!.installFlags]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /the tsv package is installed here and provides the boot service \(\/lib\/systemd\/system\/tsv\.service\)/);
      assert.match(r.stderr, /remove the package first/);
      assert.deepEqual(diffLists(before, fileList(c)), []);
      const dry = c.exec(['tsv', 'install', '--boot', '--dry-run', ...setup!.installFlags]);
      assert.equal(dry.status, 0, dry.stdout + dry.stderr);
      assert.match(dry.stdout, /warning: the tsv package provides the boot service here \(\/lib\/systemd\/system\/tsv\.service\): without --dry-run this install is refused/);
      // --user installs a per-user service, which the package does not provide
      assert.doesNotMatch(c.exec(['tsv', 'install', '--boot', '--user', '--dry-run']).stderr, /tsv package/);
    } finally {
      c.must('rm -f /lib/systemd/system/tsv.service');
    }
  });

  test('a daemon that exits at once: install fails and shows what systemd and the journal say', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--daemon-command', '/bin/false']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /tsv install: start tsv now failed/);
    assert.match(r.stderr, /what the init system says:/);
    assert.match(r.stderr, /journalctl -b -u tsv\.service/);
    assert.match(r.stderr, /ExecStart=\/bin\/false|status=1\/FAILURE/);
    // a new service that does not come up is not left to restart in a loop at every boot
    assert.match(r.stderr, /tsv is stopped and taken off the boot again, so that it does not restart in a loop/);
    assert.notEqual(c.sh('systemctl is-enabled tsv.service').stdout.trim(), 'enabled');
    // --fix tries the start once: the journal's lines, new after each try, do not make it a new problem
    const fix = c.exec(['tsv', 'doctor', '--fix']);
    assert.equal(fix.status, 1, fix.stdout);
    assert.equal(fix.stdout.match(/^FAILED +unit-inactive/gm)?.length, 1, fix.stdout);
    // what was done is in the manifest, so it can be undone
    const u = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(u.status, 0, u.stdout + u.stderr);
    assert.equal(c.sh('test -e /etc/systemd/system/tsv.service || test -e /etc/tsv').status, 1);
  });

  test('a re-install that fails where the service ran is left enabled for its admin to mend, and says so without taking it off the boot', () => {
    const flags = setup!.installFlags;
    try {
      let r = c.exec(['tsv', 'install', '--boot', ...flags]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
      r = c.exec(['tsv', 'install', '--boot', ...flags, '--daemon-command', '/bin/false']);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /tsv install: run the changed unit failed/);
      assert.doesNotMatch(r.stderr, /taken off the boot/);
      assert.equal(c.sh('systemctl is-enabled tsv.service').stdout.trim(), 'enabled');
      // mended: the install runs again
      r = c.exec(['tsv', 'install', '--boot', ...flags]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    } finally {
      c.sh('tsv uninstall --purge');
    }
  });

  test("uninstall --purge keeps what the admin put beside the config (a conf.d file, an app beside a -c config install made the directory for), and says nothing about failures it did not have", () => {
    const flags = setup!.installFlags;
    let r = c.exec(['tsv', 'install', '--boot', ...flags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    c.writeFile('/etc/tsv/conf.d/extra.conf', '[program:extra]\ncommand=/bin/sleep 100003\n');
    r = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kept \/etc\/tsv\/conf\.d: it holds files tsv install did not create/);
    assert.doesNotMatch(r.stdout, /removed \/etc\/tsv and everything in it/);
    assert.doesNotMatch(r.stdout + r.stderr, /Failed to reset failed state/);
    assert.equal(c.must('cat /etc/tsv/conf.d/extra.conf'), '[program:extra]\ncommand=/bin/sleep 100003\n');
    c.must('rm -r /etc/tsv');

    r = c.exec(['tsv', 'install', '--boot', '-c', '/opt/app/supervisord.conf', ...flags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /created directory \/opt\/app /);
    c.writeFile('/opt/app/server.py', 'print(1)\n');
    r = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /removed \/opt\/app\/supervisord\.conf/);
    assert.match(r.stdout, /kept \/opt\/app: it holds files tsv install did not create/);
    assert.equal(c.must('cat /opt/app/server.py'), 'print(1)\n');
    c.must('rm -r /opt/app');
  });

  test("[supervisord] user=svc: the unit starts the daemon as svc, so systemd makes /run/tsv and /var/log/tsv svc's and keeps them so across restarts", () => {
    const flags = setup!.installFlags;
    try {
      let r = c.exec(['tsv', 'install', '--boot', ...flags]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      c.must('useradd --system -M -s /usr/sbin/nologin -G tsv svc');
      // the daemon may give its socket only to a group it is in, once it runs as svc
      c.must("sed -i -e 's/^\\[supervisord\\]$/[supervisord]\\nuser=svc/' -e 's/^chown = root:tsv$/chown = svc:tsv/' /etc/tsv/supervisord.conf");
      c.writeFile('/etc/tsv/conf.d/app.conf', '[program:app]\ncommand=/bin/sleep 100006\n');
      // under the unit as it was, systemd gives the directories back to root at each start: doctor says what lasts
      c.sh('systemctl restart tsv.service');
      const d = JSON.parse(c.exec(['tsv', 'doctor', '--json']).stdout) as { checks: { id: string; status: string; fix: string | null; fixable: boolean }[] };
      const runDir = d.checks.find((x) => x.id === 'run-dir-unwritable');
      assert.equal(runDir?.status, 'problem', JSON.stringify(d.checks.filter((x) => x.status === 'problem')));
      assert.match(runDir?.fix ?? '', /^tsv install --boot \(its unit then starts the daemon as svc/);
      assert.equal(runDir?.fixable, false, 'a chown the next start undoes is no fix');
      r = c.exec(['tsv', 'install', '--boot', ...flags]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^ {2}\+User=svc$/m);
      for (let i = 0; i < 2; i++) {
        assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
        assert.equal(c.must('stat -c %U /run/tsv /var/log/tsv /var/log/tsv/tsv.log /run/tsv/tsv.sock').trim(), 'svc\nsvc\nsvc\nsvc');
        const st = c.exec(['tsv', 'ctl', '-c', '/etc/tsv/supervisord.conf', 'status']);
        assert.match(st.stdout, /^app +(STARTING|RUNNING)/m, st.stdout + st.stderr);
        const main = c.sh('systemctl show -p MainPID --value tsv.service').stdout.trim();
        assert.equal(c.must(`stat -c %U /proc/${main}`).trim(), 'svc');
        c.must('systemctl restart tsv.service');
      }
      assert.equal(JSON.parse(c.exec(['tsv', 'doctor', '--json']).stdout).checks.find((x: { id: string }) => x.id === 'unit-user')?.status, 'ok');
      // user= taken out of the config: the unit install wrote still starts the daemon as svc
      c.must("sed -i -e '/^user=svc$/d' /etc/tsv/supervisord.conf");
      const stale = (JSON.parse(c.exec(['tsv', 'doctor', '--json']).stdout) as { checks: { id: string; status: string; found: string; fix: string | null; fixable: boolean }[] }).checks.find((x) => x.id === 'unit-user');
      assert.equal(stale?.status, 'problem');
      assert.equal(stale?.found, '/etc/systemd/system/tsv.service starts the daemon as svc, and /etc/tsv/supervisord.conf has no [supervisord] user= (or user=root)');
      assert.equal(stale?.fix, 'tsv install --boot (its unit then starts the daemon as root)');
      assert.equal(stale?.fixable, false, "tsv install's unit is install's to render");
      assert.equal(c.exec(['tsv', 'uninstall', '--purge']).status, 0);
    } finally {
      c.sh('tsv uninstall --purge; userdel svc; rm -rf /etc/tsv /var/log/tsv');
    }
  });

  test('a config without [supervisorctl] is refused before anything is enabled; a socket not given to the tsv group is not said to be usable by its members', () => {
    const flags = setup!.installFlags;
    const body = '[unix_http_server]\nfile=/run/app.sock\n[supervisord]\nlogfile=/var/log/app.log\npidfile=/run/app.pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[program:a]\ncommand=/bin/sleep 100005\n';
    c.writeFile('/srv/app/sup.conf', body);
    let r = c.exec(['tsv', 'install', '--boot', '-c', '/srv/app/sup.conf', ...flags]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /the config \/srv\/app\/sup\.conf has no \[supervisorctl\] section, so `tsv status` and supervisorctl cannot find the daemon it runs; nothing was enabled/);
    assert.match(r.stderr, /serverurl=unix:\/\/\/run\/app\.sock/);
    assert.equal(c.sh('test -e /etc/systemd/system/tsv.service').status, 1);
    c.writeFile('/srv/app/sup.conf', body + '[supervisorctl]\nserverurl=unix:///run/app.sock\n');
    r = c.exec(['tsv', 'install', '--boot', '-c', '/srv/app/sup.conf', ...flags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /tsv is installed and answering on unix:\/\/\/run\/app\.sock\n/);
    assert.match(r.stdout, /note: plain `tsv status` finds no config on its search path, not \/srv\/app\/sup\.conf: use `tsv -c \/srv\/app\/sup\.conf status`/);
    assert.doesNotMatch(r.stdout, /members of the tsv group/);
    assert.equal(c.exec(['tsv', 'uninstall', '--purge']).status, 0);
    c.must('rm -r /srv/app');
  });
});

describe('host: --init systemd where systemd is installed but not running (an image being built)', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;

  before(async () => {
    c = await Container.create(setup!.variant, { boot: false });
    await c.start();
    c.installTsv();
  });
  after(async () => {
    await c?.destroy();
  });

  test('install enables the unit for the first boot and starts nothing; uninstall undoes it offline too', () => {
    const plain = c.exec(['tsv', 'install', '--boot', ...setup!.installFlags]);
    assert.equal(plain.status, 1, plain.stdout);
    assert.match(plain.stderr, /where systemd is installed but not running, as in an image being built, the service is enabled for the first boot/);
    const r = c.exec(['tsv', 'install', '--boot', '--init', 'systemd', ...setup!.installFlags]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /systemd does not run here \(no \/run\/systemd\/system\): tsv is enabled and starts at the first boot; nothing was started or checked/);
    assert.doesNotMatch(r.stdout + r.stderr, /daemon-reload|Failed to connect to bus/);
    assert.equal(c.sh('test -L /etc/systemd/system/multi-user.target.wants/tsv.service').status, 0, 'enabled');
    assert.equal(c.processes().filter((p) => /tsv\.cjs daemon/.test(p.cmdline)).length, 0, 'nothing started');
    const u = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(u.status, 0, u.stdout + u.stderr);
    assert.doesNotMatch(u.stdout + u.stderr, /Failed to connect to bus|System has not been booted/);
    assert.equal(c.sh('test -e /etc/systemd/system/multi-user.target.wants/tsv.service || test -e /etc/systemd/system/tsv.service').status, 1);
  });
});
