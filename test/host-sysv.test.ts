// The LSB init script (/etc/init.d/tsv), two ways: under systemd, which runs
// it through systemd-sysv-generator (and /lib/lsb/init-functions turns a
// direct call into systemctl), across a reboot; and run directly on a machine
// no init system manages: start, status, stop, restart, reload, and start
// after a kill -9 left a stale pidfile and socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport, daemonSetup, diffLists, fileList } from './helpers/host-container';

const support = containerSupport();
const PROGRAMS = `[program:ticker]
command=/bin/sh -c "while :; do echo tick; sleep 1; done"
; the shell and its sleep go together
stopasgroup=true
stopwaitsecs=3
`;

async function waitFor(what: string, fn: () => boolean, tries = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('host: the init.d script under systemd (systemd-sysv-generator)', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;
  let before0: Map<string, string>;

  before(async () => {
    c = await Container.create(setup!.variant, { boot: true });
    await c.start();
    c.installTsv();
    before0 = fileList(c);
  });
  after(async () => {
    await c?.destroy();
  });

  test('install --init sysv: the script is enabled with update-rc.d and systemd runs it as tsv.service', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--init', 'sysv', ...setup!.installFlags]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /running: update-rc\.d tsv defaults/);
    assert.ok(c.sh('ls /etc/rc2.d/S*tsv').status === 0, 'no start link in rc2.d');
    assert.equal(c.sh('systemctl show -p SourcePath --value tsv.service').stdout.trim(), '/etc/init.d/tsv');
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    // a direct call is redirected to systemctl by /lib/lsb/init-functions
    const st = c.sh('/etc/init.d/tsv status');
    assert.equal(st.status, 0, st.stdout + st.stderr);
  });

  test('the daemon comes back after a reboot, started by the generated unit', async () => {
    c.writeFile('/etc/tsv/conf.d/ticker.conf', PROGRAMS);
    c.must('tsv ctl -c /etc/tsv/supervisord.conf update');
    await c.reboot();
    assert.equal(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    await waitFor('ticker RUNNING', () => /^ticker +RUNNING/m.test(c.sh('tsv ctl -c /etc/tsv/supervisord.conf status').stdout));
    assert.equal(c.must('stat -c "%U:%G %a" /run/tsv/tsv.sock').trim(), 'root:tsv 770');
  });

  test('a plain uninstall keeps config, logs and group; --purge then removes them', () => {
    const r = c.exec(['tsv', 'uninstall']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /kept \(tsv uninstall --purge removes them\): .*\/etc\/tsv\/supervisord\.conf/);
    assert.equal(c.sh('test -e /etc/init.d/tsv').status, 1, 'the script is still there');
    assert.equal(c.sh('ls /etc/rc2.d/ | grep -q tsv').status, 1, 'a start link is still there');
    assert.equal(c.sh('test -f /etc/tsv/supervisord.conf && test -d /var/log/tsv && getent group tsv').status, 0);
    assert.equal(c.processes().filter((p) => /supervisord|tsv\.cjs daemon|sleep 1/.test(p.cmdline)).length, 0);
    const p = c.exec(['tsv', 'uninstall', '--purge']);
    assert.equal(p.status, 0, `${p.stdout}\n${p.stderr}`);
    assert.deepEqual(diffLists(before0, fileList(c)), []);
  });
});

describe('host: the init.d script run directly, no init system', { skip: support ?? false }, () => {
  const setup = support ? null : daemonSetup();
  let c: Container;
  const daemonPid = (): number | null => {
    const d = c.processes().find((p) => /supervisord -n|tsv\.cjs daemon -n/.test(p.cmdline));
    return d ? d.pid : null;
  };

  before(async () => {
    c = await Container.create(setup!.variant, { boot: false });
    await c.start();
    c.installTsv();
  });
  after(async () => {
    await c?.destroy();
  });

  test('install --init sysv starts it through the script (PID 1 is no init system)', () => {
    assert.doesNotMatch(c.sh('cat /proc/1/comm').stdout, /^(systemd|init|openrc-init)$/m);
    // without --init there is nothing to detect
    const guess = c.exec(['tsv', 'install', '--boot', ...setup!.installFlags]);
    assert.equal(guess.status, 1);
    assert.match(guess.stderr, /could not tell which init system runs this machine/);
    c.writeFile('/etc/tsv/conf.d/ticker.conf', PROGRAMS);
    const r = c.exec(['tsv', 'install', '--boot', '--init', 'sysv', ...setup!.installFlags]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /running: \/etc\/init\.d\/tsv start/);
    assert.match(r.stdout, /^ticker +(STARTING|RUNNING)/m);
  });

  test('status reports the daemon and, through the ctl, its programs', () => {
    const st = c.sh('/etc/init.d/tsv status');
    assert.equal(st.status, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /tsv is running \(pid \d+\)/);
    assert.match(st.stdout, /^ticker +(STARTING|RUNNING)/m);
  });

  test('stop ends the daemon and its programs and removes pidfile and socket; status says 3', () => {
    const r = c.sh('/etc/init.d/tsv stop');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(daemonPid(), null);
    assert.equal(c.processes().filter((p) => /sleep 1/.test(p.cmdline)).length, 0);
    assert.equal(c.sh('test -e /run/tsv/tsv.pid || test -e /run/tsv/tsv.sock').status, 1);
    assert.equal(c.sh('/etc/init.d/tsv status').status, 3);
    // stopping a stopped service is not an error
    assert.equal(c.sh('/etc/init.d/tsv stop').status, 0);
  });

  test('start, then restart gives a new daemon that answers', () => {
    assert.equal(c.sh('/etc/init.d/tsv start').status, 0);
    const first = daemonPid();
    assert.ok(first);
    const r = c.sh('/etc/init.d/tsv restart');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const second = daemonPid();
    assert.ok(second && second !== first, `restart kept pid ${first}`);
    assert.equal(c.sh('tsv ctl -c /etc/tsv/supervisord.conf pid').stdout.trim(), String(second));
    assert.equal(c.sh('/etc/init.d/tsv reload').status, 0);
  });

  test('start after kill -9 cleans the stale pidfile and socket', () => {
    const pid = daemonPid();
    assert.ok(pid);
    c.must(`kill -9 ${pid}`);
    // what kill -9 leaves: a pidfile naming a dead process and a socket nobody listens on
    assert.equal(c.must('cat /run/tsv/tsv.pid').trim(), String(pid));
    assert.equal(c.sh('test -S /run/tsv/tsv.sock').status, 0);
    assert.equal(c.sh('/etc/init.d/tsv status').status, 1, 'LSB: dead but pidfile exists');
    const r = c.sh('/etc/init.d/tsv start 2>&1');
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /removing stale pidfile \/run\/tsv\/tsv\.pid/);
    assert.match(r.stdout, /removing stale socket \/run\/tsv\/tsv\.sock/);
    const now = daemonPid();
    assert.ok(now && now !== pid);
    assert.equal(c.must('cat /run/tsv/tsv.pid').trim(), String(now));
    assert.equal(c.sh('tsv ctl -c /etc/tsv/supervisord.conf pid').stdout.trim(), String(now));
  });

  test('start refuses to replace a socket someone answers on', () => {
    const r = c.sh('rm -f /run/tsv/tsv.pid && /etc/init.d/tsv start 2>&1');
    // the pidfile is gone, so the script thinks nothing runs, but the socket answers
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /another daemon already answers on \/run\/tsv\/tsv\.sock/);
    assert.equal(c.sh('tsv ctl -c /etc/tsv/supervisord.conf pid').status, 0);
  });
});
