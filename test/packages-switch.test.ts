// A Debian host moving from Debian's supervisor package to tsv's: the real
// supervisor service runs programs from /etc/supervisor, the tsv .deb is
// installed beside it, then `tsv install --boot --from-supervisor` moves the
// programs to the package's service (the package owns the unit and the main
// config, so they go into /etc/tsv/conf.d). Also doctor on that package host:
// the package's unit, stopped and disabled, is a problem, not "healthy".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './helpers/common';
import { Container, containerSupport } from './helpers/host-container';
import { debianSupervisorConf, settleCopies, unitState } from './helpers/supervisor-host';
import { packageArches, packagesSupport, upstreamVersion } from './helpers/packages';

const arch = packageArches()[0]!;
const skip = containerSupport() ?? packagesSupport(arch);
// A port no other test uses: the containers share the host's network.
const PORT = 39474;
const SUPERVISOR_CONF = debianSupervisorConf({
  port: PORT,
  supervisord: 'minfds=2048\n',
  sections: '[program:beacon]\ncommand=/bin/sleep 100003\ndirectory=%(here)s\n',
  include: '/etc/supervisor/conf.d/*.conf /etc/supervisor/extra/*.conf',
});
const WORKERS = `[program:worker]
command=/bin/sleep 100001
process_name=%(program_name)s_%(process_num)s
numprocs=2
startsecs=0
`;
// the same file name in a second directory
const EXTRA = `[program:extra_worker]
command=/bin/sleep 100002
`;

describe('packages: a host moves from Debian\'s supervisor to the tsv package', { skip: skip ?? false }, () => {
  let c: Container;
  let dir: string;
  const ours = /^\/bin\/sleep 10000[123]$/;
  const settle = (want: number): Promise<number> => settleCopies(c, ours, want);
  const state = (unit: string): string => unitState(c, unit);
  const doctor = (): { status: number | null; checks: { id: string; status: string; found: string; fix?: string }[] } => {
    const r = c.exec(['tsv', 'doctor', '--json']);
    return { status: r.status, checks: (JSON.parse(r.stdout) as { checks: { id: string; status: string; found: string; fix?: string }[] }).checks };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsv-packages-switch-'));
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const built = spawnSync(process.execPath, [join(repoRoot(), 'scripts/packages.mjs'), '--arch', arch.dist, '--format', 'deb', '--compression', 'zstd', '--out', dir], { encoding: 'utf8', env, timeout: 900_000 });
    assert.equal(built.status, 0, built.stdout + built.stderr);
    c = await Container.create('supervisor', { boot: true });
    await c.start();
    copyFileSync(join(dir, `tsv_${upstreamVersion()}_${arch.deb}.deb`), c.path('/root/tsv.deb'));
    copyFileSync(join(dir, `tsv-supervisor-compat_${upstreamVersion()}_all.deb`), c.path('/root/tsv-supervisor-compat.deb'));
    c.writeFile('/etc/supervisor/supervisord.conf', SUPERVISOR_CONF);
    c.writeFile('/etc/supervisor/conf.d/workers.conf', WORKERS);
    c.writeFile('/etc/supervisor/extra/workers.conf', EXTRA);
    c.must('systemctl enable --now supervisor.service');
    assert.equal(await settle(4), 4, 'supervisord runs beacon, two workers and extra_worker');
  });

  after(async () => {
    await c?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the tsv .deb installs beside the running Supervisor: both services run, the programs once', async () => {
    c.must('dpkg -i /root/tsv.deb');
    assert.equal(state('tsv.service'), 'enabled active');
    assert.equal(state('supervisor.service'), 'enabled active');
    assert.equal(await settle(4), 4);
  });

  test('--from-supervisor moves the programs into /etc/tsv/conf.d and the package\'s service runs them; Supervisor is stopped and disabled; nothing is recorded for tsv uninstall', async () => {
    const dry = c.exec(['tsv', 'install', '--boot', '--from-supervisor', '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /would write \/etc\/tsv\/conf\.d\/workers\.conf \(new/);
    assert.match(dry.stdout, /would write \/etc\/tsv\/conf\.d\/extra-workers\.conf \(new/);
    assert.equal(state('supervisor.service'), 'enabled active', 'a dry run changes nothing');
    const r = c.exec(['tsv', 'install', '--boot', '--from-supervisor']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /note: not carried, as \/etc\/tsv\/supervisord\.conf is the package's: \[supervisord\] minfds=2048/);
    assert.equal(c.readFile('/etc/tsv/conf.d/workers.conf'), WORKERS);
    assert.equal(c.readFile('/etc/tsv/conf.d/extra-workers.conf'), EXTRA);
    const main = c.readFile('/etc/tsv/conf.d/from-supervisord-conf.conf');
    assert.match(main, new RegExp(`^\\[inet_http_server\\]\\nport=127\\.0\\.0\\.1:${PORT}$`, 'm'));
    assert.match(main, /^\[program:beacon\]\ncommand=\/bin\/sleep 100003\ndirectory=\/etc\/supervisor$/m);
    assert.match(state('supervisor.service'), /^disabled (inactive|failed)$/);
    assert.equal(state('tsv.service'), 'enabled active');
    assert.equal(await settle(4), 4, 'each program once');
    const mainPid = c.must('systemctl show -p MainPID --value tsv').trim();
    for (const p of c.processes().filter((x) => ours.test(x.cmdline))) assert.equal(c.must(`cut -d' ' -f4 /proc/${p.pid}/stat`).trim(), mainPid, `${p.cmdline} is tsv's`);
    assert.match(c.must(`tsv ctl -s http://127.0.0.1:${PORT} status`), /^extra_worker +(STARTING|RUNNING)/m);
    assert.equal(c.sh('test -e /var/lib/tsv/install-manifest.json').status, 1, 'no hand install recorded');
    assert.equal(doctor().status, 0);
  });

  test('doctor on the package host: its unit stopped and disabled is unit-disabled and unit-inactive, not healthy; enabled and started again, healthy', () => {
    c.must('systemctl disable --now tsv.service');
    try {
      const d = doctor();
      assert.equal(d.status, 1);
      const problems = d.checks.filter((x) => x.status === 'problem').map((x) => x.id);
      assert.deepEqual(problems, ['unit-disabled', 'unit-inactive']);
      assert.equal(d.checks.find((x) => x.id === 'unit-disabled')!.fix, 'systemctl enable tsv.service');
      assert.match(d.checks.find((x) => x.id === 'unit-binary-missing')!.found, /^\/lib\/systemd\/system\/tsv\.service runs \/usr\/bin\/tsv/);
    } finally {
      c.must('systemctl enable --now tsv.service');
    }
    assert.equal(doctor().status, 0);
  });

  test('tsv-supervisor-compat removes the supervisor package and says where its programs went; supervisorctl and systemctl restart supervisor then reach tsv', async () => {
    // a file added for Supervisor after the move has no copy in tsv's conf.d
    c.writeFile('/etc/supervisor/conf.d/later.conf', '[program:later]\ncommand=/bin/sleep 100004\n');
    const r = c.sh('DEBIAN_FRONTEND=noninteractive apt-get install -y /root/tsv-supervisor-compat.deb 2>&1');
    assert.equal(r.status, 0, r.stdout);
    assert.match(
      r.stdout,
      /tsv-supervisor-compat: programs configured for Supervisor in \/etc\/supervisor no longer run \(\/etc\/supervisor\/conf\.d\/later\.conf\);\r?\n {2}move them to tsv with: tsv install --boot --from-supervisor \(tsv doctor lists any left behind\)/,
    );
    const left = c.exec(['tsv', 'doctor', '--json']);
    assert.match(left.stdout, /1 program\(s\) configured for Supervisor run under no daemon: later \(\/etc\/supervisor\/conf\.d\/later\.conf\)/);
    c.must('rm /etc/supervisor/conf.d/later.conf');
    assert.notEqual(c.sh("dpkg-query -W -f '${Status}' supervisor").stdout, 'install ok installed');
    assert.match(c.must('supervisorctl status'), /^extra_worker +(STARTING|RUNNING)/m);
    const before = c.must('systemctl show -p MainPID --value tsv').trim();
    c.must('systemctl restart supervisor');
    assert.notEqual(c.must('systemctl show -p MainPID --value tsv').trim(), before);
    assert.equal(await settle(4), 4);
  });
});
