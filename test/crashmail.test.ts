// `tsv crashmail` (also a link named crashmail): superlance's crashmail event
// listener, run under tsv's daemon and under the real supervisord, with a
// sendmail that appends the mail to a file (as superlance's own tests do).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { oracleSkip, startDaemon, waitUp, type Impl } from './helpers/events-env';
import { crashMail, parseCrashmailArgs, type CrashmailOptions } from '../src/crashmail/crashmail';
import { asctime } from '../src/log/asctime';

test('crashmail options: getopt as superlance parses them (clusters, attached values, long prefixes); -a chooses every program; refusals', () => {
  const base = { programs: [], email: null, sendmail: '/usr/sbin/sendmail -t -i', optionalHeader: null };
  assert.deepEqual(parseCrashmailArgs([]), base);
  assert.deepEqual(parseCrashmailArgs(['-p', 'web', '-pg:worker', '-m', 'ops@example.com', '-o', 'host1', '-s', 'cat']), {
    programs: ['web', 'g:worker'],
    email: 'ops@example.com',
    sendmail: 'cat',
    optionalHeader: 'host1',
  });
  assert.deepEqual(parseCrashmailArgs(['--program=web', '--prog', 'db', '--email', 'a@b', '--optional=x', '--sendmail_program=m']), {
    programs: ['web', 'db'],
    email: 'a@b',
    sendmail: 'm',
    optionalHeader: 'x',
  });
  // a prefix needs only to be unique among the six
  assert.deepEqual(parseCrashmailArgs(['--s=cat', '--e', 'a@b']), { ...base, sendmail: 'cat', email: 'a@b' });
  // -a overrides -p wherever it stands; a cluster ends at an option that takes a value
  assert.deepEqual(parseCrashmailArgs(['-p', 'web', '-amops@example.com']), { ...base, email: 'ops@example.com' });
  assert.deepEqual(parseCrashmailArgs(['--any', '-p', 'web']), base);
  // getopt stops at the first word that is no option (superlance's usage names a URL there)
  assert.deepEqual(parseCrashmailArgs(['-m', 'a@b', 'http://x', '-p', 'web']), { ...base, email: 'a@b' });
  assert.equal(parseCrashmailArgs(['-h', '-x']), 'usage');
  assert.equal(parseCrashmailArgs(['-a', '-h']), 'help');
  assert.equal(parseCrashmailArgs(['--help']), 'help');
  for (const bad of [['-x'], ['-p'], ['--email'], ['--any=1'], ['--nosuch'], ['--help=1']]) assert.equal(parseCrashmailArgs(bad), 'usage', bad.join(' '));
});

test("crashmail's mail: superlance's text for an unexpected exit; nothing for an expected one or a program not chosen", () => {
  const at = Date.UTC(2026, 10, 26, 1, 2, 3, 45);
  const o: CrashmailOptions = { programs: [], email: 'ops@example.com', sendmail: 'cat', optionalHeader: null };
  const payload = (name: string, group: string, expected: number): string => `processname:${name} groupname:${group} from_state:RUNNING expected:${expected} pid:4242`;
  // no -o: the subject begins with a space, as superlance's does
  assert.equal(
    crashMail(o, payload('web', 'web', 0), at),
    `To: ops@example.com\nSubject:  web crashed at ${asctime(at)}\n\nProcess web in group web exited unexpectedly (pid 4242) from state RUNNING`,
  );
  assert.equal(crashMail(o, payload('web', 'web', 1), at), null);
  const chosen = { ...o, programs: ['db', 'g:worker'], optionalHeader: 'host1' };
  assert.equal(crashMail(chosen, payload('web', 'web', 0), at), null);
  assert.equal(crashMail(chosen, payload('worker', 'other', 0), at), null);
  assert.match(crashMail(chosen, payload('worker', 'g', 0), at) ?? '', /^To: ops@example\.com\nSubject: host1: worker crashed at /);
  assert.ok(crashMail(chosen, payload('db', 'db', 0), at));
});

const MAIL = /^To: ops@example\.com\nSubject: (?:host1:)? (\S+) crashed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\n\nProcess \1 in group (\S+) exited unexpectedly \(pid \d+\) from state (RUNNING|STARTING)$/;

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`crashmail as a listener of ${impl}: a mail for each unexpected exit of the programs chosen, none for an expected one; without -m none at all`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const cm = `${process.execPath} ${TSV} crashmail`;
    const d = startDaemon(
      impl,
      "[program:crash]\ncommand=/bin/sh -c 'sleep 0.5; exit 3'\nstartsecs=0\nautorestart=false\n" +
        "[program:fine]\ncommand=/bin/sh -c 'sleep 0.5; exit 0'\nstartsecs=0\nautorestart=false\n" +
        "[program:other]\ncommand=/bin/sh -c 'sleep 0.5; exit 4'\nstartsecs=0\nautorestart=false\n[group:g]\nprograms=other\n" +
        `[eventlistener:all]\ncommand=${cm} -o host1 -m ops@example.com -s 'cat >> {DIR}/all.mail; printf "\\n---\\n" >> {DIR}/all.mail'\nevents=PROCESS_STATE\nstderr_logfile={DIR}/all.err\n` +
        `[eventlistener:some]\ncommand=${cm} -p crash -m ops@example.com -s 'cat >> {DIR}/some.mail; printf "\\n---\\n" >> {DIR}/some.mail'\nevents=PROCESS_STATE_EXITED\nstderr_logfile={DIR}/some.err\n` +
        `[eventlistener:nobody]\ncommand=${cm} -s 'cat >> {DIR}/nobody.mail'\nevents=PROCESS_STATE\nstderr_logfile={DIR}/nobody.err\n`,
    );
    try {
      await waitUp(d);
      const mails = (file: string): string[] => (existsSync(d.dir.join(file)) ? readFileSync(d.dir.join(file), 'utf8').split('\n---\n').filter(Boolean) : []);
      await until(() => mails('all.mail').length === 2 && mails('some.mail').length === 1, 'the mails', 15000);
      // crash once more: a listener takes its events in order, so its second mail comes after it has seen other's exit
      await d.rpc.call('supervisor.startProcess', ['crash']);
      await until(() => mails('all.mail').length === 3 && mails('some.mail').length === 2, 'the mails of the second crash', 15000);
      const who = (file: string): string[] => mails(file).map((m) => MAIL.exec(m)?.slice(1, 3).join(' ') ?? m);
      assert.deepEqual(who('all.mail').slice(0, 2).sort(), ['crash crash', 'other g']);
      assert.equal(who('all.mail')[2], 'crash crash');
      assert.match(mails('all.mail')[0] as string, /^To: ops@example\.com\nSubject: host1: /);
      assert.deepEqual(who('some.mail'), ['crash crash', 'crash crash']);
      // superlance's stderr lines, the mail after `Mailed:` with no line end of its own; the second
      // `Mailed:` is written once sendmail has ended, which may be after its mail is in the file
      await until(() => (readFileSync(d.dir.join('some.err'), 'utf8').match(/Mailed:/g) ?? []).length === 2, "the listener's second Mailed:");
      const err = readFileSync(d.dir.join('some.err'), 'utf8');
      assert.match(err, /^unexpected exit, mailing\nMailed:\n\nTo: ops@example\.com\nSubject:  crash crashed at [^\n]+\n\nProcess crash in group crash exited unexpectedly \(pid \d+\) from state RUNNINGunexpected exit, mailing\nMailed:/);
      await until(() => (readFileSync(d.dir.join('nobody.err'), 'utf8').match(/not mailed/g) ?? []).length === 3, "the address-less listener's lines");
      assert.equal(readFileSync(d.dir.join('nobody.err'), 'utf8'), 'unexpected exit, not mailed: no address (-m)\n'.repeat(3));
      assert.equal(existsSync(d.dir.join('nobody.mail')), false);
      // each listener answered every event: still RUNNING, and none was rejected
      const infos = (await d.rpc.call('supervisor.getAllProcessInfo')) as { name: string; statename: string }[];
      assert.deepEqual(infos.filter((i) => ['all', 'some', 'nobody'].includes(i.name)).map((i) => i.statename), ['RUNNING', 'RUNNING', 'RUNNING']);
      assert.doesNotMatch(d.log(), /rejected|BUSY|UNKNOWN/);
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('crashmail: a failing sendmail is named on stderr and the listener goes on; sendmail\'s output never reaches the protocol on stdout', async () => {
  const cm = `${process.execPath} ${TSV} crashmail`;
  const d = startDaemon(
    'tsv',
    "[program:crash]\ncommand=/bin/sh -c 'sleep 0.3; exit 3'\nstartsecs=0\nautorestart=true\nstartretries=100\n" +
      `[eventlistener:cm]\ncommand=${cm} -m ops@example.com -s 'echo chatter; cat > /dev/null; exit 5'\nevents=PROCESS_STATE\nstderr_logfile={DIR}/cm.err\n`,
  );
  try {
    await waitUp(d);
    const err = (): string => readFileSync(d.dir.join('cm.err'), 'utf8');
    await until(() => (err().match(/not mailed/g) ?? []).length >= 2, 'two failed mails', 15000);
    assert.match(err(), /^unexpected exit, mailing\nchatter\nnot mailed: echo chatter; cat > \/dev\/null; exit 5 exited with status 5\n/);
    const info = (await d.rpc.call('supervisor.getProcessInfo', ['cm'])) as { statename: string };
    assert.equal(info.statename, 'RUNNING');
    assert.doesNotMatch(d.log(), /rejected|UNKNOWN/);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('crashmail on the command line: outside a listener it says so and exits 0; -h is its usage (0), a bad option too (255); a link named crashmail is the same', () => {
  const dir = new TempDir('tsv-crashmail-');
  try {
    const env = cleanEnv();
    delete env.SUPERVISOR_SERVER_URL;
    const run = (args: string[]) => spawnSync(process.execPath, [TSV, 'crashmail', ...args], { encoding: 'utf8', env });
    const outside = run(['-a']);
    assert.deepEqual([outside.status, outside.stdout, outside.stderr], [0, '', 'crashmail must be run as a supervisor event listener\n']);
    const help = run(['-h']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^crashmail: mail a notice .*\n[\s\S]*-p, --program NAME/);
    const bad = run(['-x']);
    assert.deepEqual([bad.status, bad.stdout], [255, help.stdout]);
    const link = dir.join('crashmail');
    symlinkSync(TSV, link);
    const linked = spawnSync(process.execPath, [link, '-h'], { encoding: 'utf8', env });
    assert.deepEqual([linked.status, linked.stdout], [0, help.stdout]);
  } finally {
    dir.cleanup();
  }
});
