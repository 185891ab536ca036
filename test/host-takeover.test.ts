// `tsv install --boot --from-supervisor` on a host where Debian's supervisor
// package runs the programs: a booted Debian root with the real supervisor
// service enabled and running. The takeover must leave every program running
// once (Supervisor's service stopped and disabled, also after a reboot), and
// an install whose daemon does not come up must give the programs back to
// Supervisor as they were.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport } from './helpers/host-container';
import { debianSupervisorConf, settleCopies, unitState } from './helpers/supervisor-host';

const support = containerSupport();
// A port no other test uses: the containers share the host's network.
const PORT = 39473;
const SUPERVISOR_CONF = debianSupervisorConf({ port: PORT, include: '/etc/supervisor/conf.d/*.conf' });
const PROGRAMS = `[program:worker]
command=/bin/sleep 100001
process_name=%(program_name)s_%(process_num)s
numprocs=2
startsecs=0
`;

describe('host: tsv install --from-supervisor takes over from the running supervisor service', { skip: support ?? false }, () => {
  let c: Container;

  const WORKER = /^\/bin\/sleep 100001$/;
  const state = (unit: string): string => unitState(c, unit);
  const settle = (want: number): Promise<number> => settleCopies(c, WORKER, want);

  before(async () => {
    c = await Container.create('supervisor', { boot: true });
    await c.start();
    c.installTsv();
    c.writeFile('/etc/supervisor/supervisord.conf', SUPERVISOR_CONF);
    c.writeFile('/etc/supervisor/conf.d/workers.conf', PROGRAMS);
    c.must('systemctl enable --now supervisor.service');
    assert.equal(await settle(2), 2, 'supervisord runs the two workers');
  });

  after(async () => {
    await c?.destroy();
  });

  test('--dry-run names the stop of supervisor.service and changes nothing', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--dry-run', '--from-supervisor']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Supervisor's service supervisor\.service is enabled and running: tsv takes its programs over/);
    assert.match(r.stdout, /would run: systemctl disable --now supervisor\.service/);
    assert.equal(state('supervisor.service'), 'enabled active');
  });

  test('a daemon that does not come up: tsv is stopped and supervisor.service is put back as it was, its programs running once', async () => {
    const r = c.exec(['tsv', 'install', '--boot', '--from-supervisor', '--daemon-command', '/bin/false']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /running: systemctl disable --now supervisor\.service/);
    assert.match(r.stderr, /Supervisor's supervisor\.service was put back as it was; its programs run under it again/);
    assert.equal(state('supervisor.service'), 'enabled active');
    assert.match(state('tsv.service'), /^disabled (inactive|failed)$/);
    assert.equal(await settle(2), 2);
    assert.equal(c.exec(['supervisorctl', 'status']).status, 0, 'Python supervisorctl reaches supervisord again');
    // what the failed attempt wrote goes, so that the next one imports afresh
    c.must('tsv uninstall --purge');
  });

  test('the takeover: supervisor.service stopped and disabled, every program runs once (under tsv), the inet port taken over, also after a reboot', async () => {
    const r = c.exec(['tsv', 'install', '--boot', '--from-supervisor']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /running: systemctl disable --now supervisor\.service/);
    assert.match(r.stdout, /note: Supervisor's own supervisorctl looks for its daemon on its socket and now finds none there: use `tsv status`, or `supervisorctl -c \/etc\/tsv\/supervisord\.conf status`/);
    assert.match(state('supervisor.service'), /^disabled (inactive|failed)$/);
    assert.equal(state('tsv.service'), 'enabled active');
    assert.equal(await settle(2), 2, 'two workers, not four');
    const mainPid = c.sh('systemctl show -p MainPID --value tsv').stdout.trim();
    for (const p of c.processes().filter((x) => x.cmdline === '/bin/sleep 100001')) {
      assert.equal(c.must(`cut -d' ' -f4 /proc/${p.pid}/stat`).trim(), mainPid, 'a child of tsv');
    }
    // the [inet_http_server] came over, and tsv has the port now that supervisord let it go
    assert.match(c.must(`tsv ctl -s http://127.0.0.1:${PORT} status`), /^worker:worker_0 +RUNNING/m);
    await c.reboot();
    assert.match(state('supervisor.service'), /^disabled inactive$/);
    assert.equal(state('tsv.service'), 'enabled active');
    assert.equal(await settle(2), 2);
  });

  test('installing again with supervisor.service already stopped and disabled: nothing of it to do', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--from-supervisor']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /supervisor\.service/);
  });

  test('doctor: a program added for Supervisor after the switch runs under no daemon (supervisor-programs-left); Supervisor started again runs the programs twice (programs-run-twice)', async () => {
    const doctor = (): { status: number | null; checks: { id: string; status: string; found: string }[] } => {
      const r = c.exec(['tsv', 'doctor', '--json']);
      return { status: r.status, checks: (JSON.parse(r.stdout) as { checks: { id: string; status: string; found: string }[] }).checks };
    };
    const find = (d: ReturnType<typeof doctor>, id: string): { status: string; found: string } => d.checks.find((x) => x.id === id)!;
    let d = doctor();
    assert.equal(d.status, 0, JSON.stringify(d.checks.filter((x) => x.status === 'problem')));
    assert.equal(find(d, 'supervisor-programs-left').status, 'ok');
    c.writeFile('/etc/supervisor/conf.d/forgotten.conf', '[program:forgotten]\ncommand=/bin/sleep 100002\n');
    d = doctor();
    assert.equal(d.status, 1);
    assert.deepEqual([find(d, 'supervisor-programs-left').status, find(d, 'supervisor-programs-left').found], ['problem', '1 program(s) configured for Supervisor run under no daemon: forgotten (/etc/supervisor/conf.d/forgotten.conf)']);
    // (without its [inet_http_server], whose port tsv holds now: supervisord would refuse to start)
    c.writeFile('/etc/supervisor/supervisord.conf', SUPERVISOR_CONF.replace(`[inet_http_server]\nport=127.0.0.1:${PORT}\n`, ''));
    c.must('rm /etc/supervisor/conf.d/forgotten.conf && systemctl start supervisor.service');
    try {
      assert.equal(await settle(4), 4, 'both daemons run the workers');
      const sd = c.must('cat /var/run/supervisord.pid').trim();
      d = doctor();
      assert.equal(d.status, 1);
      assert.deepEqual(
        [find(d, 'programs-run-twice').status, find(d, 'programs-run-twice').found],
        ['problem', `pid ${sd} (supervisord on /etc/supervisor/supervisord.conf) runs worker too`],
      );
      assert.equal(find(d, 'supervisor-programs-left').status, 'ok', 'Supervisor runs its config');
    } finally {
      c.must('systemctl stop supervisor.service');
      c.writeFile('/etc/supervisor/supervisord.conf', SUPERVISOR_CONF);
    }
    assert.equal(await settle(2), 2);
    assert.equal(doctor().status, 0);
  });

  test("--from-supervisor with tsv's config already there and without a program Supervisor runs: refused before Supervisor is touched", () => {
    c.writeFile('/etc/supervisor/conf.d/extra.conf', '[program:extra]\ncommand=/bin/sleep 100004\n');
    c.must('systemctl enable supervisor.service');
    try {
      const r = c.exec(['tsv', 'install', '--boot', '--from-supervisor']);
      assert.equal(r.status, 1, r.stdout);
      assert.match(
        r.stderr,
        /--from-supervisor would stop Supervisor's supervisor\.service, but \/etc\/tsv\/supervisord\.conf exists, so nothing is imported, and it does not run extra: they would run under no daemon; nothing was changed/,
      );
      assert.equal(state('supervisor.service'), 'enabled inactive');
      assert.equal(state('tsv.service'), 'enabled active');
    } finally {
      c.must('rm /etc/supervisor/conf.d/extra.conf');
    }
    // with every program of Supervisor's in tsv's config, a second takeover goes ahead
    const again = c.exec(['tsv', 'install', '--boot', '--from-supervisor']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /running: systemctl disable --now supervisor\.service/);
    assert.match(state('supervisor.service'), /^disabled (inactive|failed)$/);
  });

  test('tsv uninstall gives the programs back to supervisor.service as it was before the first takeover', async () => {
    const r = c.exec(['tsv', 'uninstall']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /tsv install took the programs over from Supervisor's supervisor\.service: it is put back as it was/);
    assert.notEqual(c.sh('systemctl is-active tsv.service').stdout.trim(), 'active');
    assert.equal(state('supervisor.service'), 'enabled active');
    assert.equal(await settle(2), 2, 'the workers run once, under supervisord');
    assert.equal(c.exec(['supervisorctl', 'status']).status, 0, 'Python supervisorctl reaches supervisord again');
  });
});
