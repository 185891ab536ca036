// `tsv install --boot --user`: a per-user systemd service for someone
// without root, in a booted Debian root where root has enabled lingering for
// the user (so the user's manager, and tsv with it, starts at boot).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport, daemonSetup, diffLists, fileList, type ExecOptions } from './helpers/host-container';

const support = containerSupport();

const setup = support ? null : daemonSetup();
// The userpam root has no supervisor package: this one runs tsv's own daemon.
const skip = support ?? (setup?.daemon !== 'tsv' ? "needs tsv's daemon (the userpam root has no supervisor package)" : false);

describe('host: tsv install --boot --user (systemd user unit)', { skip }, () => {
  let c: Container;
  let env: Record<string, string>;
  let before0: Map<string, string>;
  const asAlice = (): ExecOptions => ({ user: 'alice', env });
  const conf = '/home/alice/.config/tsv/supervisord.conf';

  before(async () => {
    c = await Container.create('userpam', { boot: true });
    await c.start();
    c.installTsv();
    c.must('useradd -m alice && loginctl enable-linger alice');
    const uid = c.must('id -u alice').trim();
    env = { HOME: '/home/alice', XDG_RUNTIME_DIR: `/run/user/${uid}` };
    // the user's manager starts with lingering
    for (let i = 0; i < 100 && c.sh(`test -S /run/user/${uid}/systemd/private`).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    before0 = fileList(c);
  });
  after(async () => {
    await c?.destroy();
  });

  test('alice installs her own service: user unit, her socket (0700), no root', () => {
    const r = c.exec(['tsv', 'install', '--boot', '--user'], asAlice());
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /init system: systemd \(your systemd user manager runs/);
    assert.match(r.stdout, /running: systemctl --user enable tsv\.service/);
    assert.doesNotMatch(r.stdout, /group/);
    assert.equal(c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim(), 'active');
    const uid = env.XDG_RUNTIME_DIR.split('/').pop();
    assert.equal(c.must(`stat -c "%U %a %F" /run/user/${uid}/tsv/tsv.sock`).trim(), 'alice 700 socket');
    assert.equal(c.exec(['tsv', 'ctl', '-c', conf, 'pid'], asAlice()).status, 0);
    // the daemon runs as alice
    const pid = c.exec(['tsv', 'ctl', '-c', conf, 'pid'], asAlice()).stdout.trim();
    assert.equal(c.processes().find((p) => p.pid === Number(pid))?.user, 'alice');
    const v = c.sh('systemd-analyze --user verify /home/alice/.config/systemd/user/tsv.service 2>&1', asAlice());
    assert.equal(v.status, 0, v.stdout);
    // her Tab completion, where bash-completion looks for a user's own
    assert.equal(c.must('stat -c "%U %a" /home/alice/.local/share/bash-completion/completions/tsv').trim(), 'alice 644');
    const line = `tsv -c ${conf} pid `;
    const tab = c.exec(['bash', '-c', `. ~/.local/share/bash-completion/completions/tsv; COMP_LINE='${line}'; COMP_POINT=${line.length}; COMP_WORDS=(${line} ''); COMP_CWORD=4; _tsv_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], asAlice());
    assert.equal(tab.status, 0, tab.stderr);
    assert.match(tab.stdout, /\ball\n$/);
  });

  test('it comes back after a reboot (lingering starts her manager)', async () => {
    await c.reboot();
    for (let i = 0; i < 100 && c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim() !== 'active'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim(), 'active');
    assert.equal(c.exec(['tsv', 'ctl', '-c', conf, 'pid'], asAlice()).status, 0);
    const d = c.exec(['tsv', 'doctor', '--user'], asAlice());
    assert.equal(d.status, 0, d.stdout);
  });

  test('plain `tsv pid` finds her config (~/.config/tsv, on the search path); without lingering doctor names the cause', async () => {
    const pid = c.exec(['tsv', 'ctl', '-c', conf, 'pid'], asAlice()).stdout.trim();
    assert.equal(c.exec(['tsv', 'pid'], asAlice()).stdout.trim(), pid);
    const uid = env.XDG_RUNTIME_DIR.split('/').pop();
    c.must('loginctl disable-linger alice');
    try {
      for (let i = 0; i < 100 && c.sh(`test -S /run/user/${uid}/systemd/private`).status === 0; i++) await new Promise((r) => setTimeout(r, 100));
      const d = JSON.parse(c.exec(['tsv', 'doctor', '--user', '--json'], asAlice()).stdout) as { checks: { id: string; status: string; found: string; fix: string | null }[] };
      const of = (id: string) => d.checks.find((x) => x.id === id);
      assert.equal(of('unit-inactive')?.status, 'problem', JSON.stringify(d.checks.filter((x) => x.status === 'problem')));
      assert.match(of('unit-inactive')?.found ?? '', /your systemd user manager does not run/);
      assert.match(of('unit-inactive')?.fix ?? '', /^loginctl enable-linger alice/);
      assert.notEqual(of('unit-disabled')?.status, 'problem', 'its links are still there: not "not enabled"');
    } finally {
      c.must('loginctl enable-linger alice');
    }
    for (let i = 0; i < 100 && c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim() !== 'active'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim(), 'active');
  });

  test('tsv uninstall --user --purge leaves nothing behind', () => {
    const r = c.exec(['tsv', 'uninstall', '--user', '--purge'], asAlice());
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.notEqual(c.sh('systemctl --user is-active tsv', asAlice()).stdout.trim(), 'active');
    assert.deepEqual(diffLists(before0, fileList(c)), []);
  });
});
