// [supervisord] settings that a reread puts into effect, tsv side by side
// with the real supervisord: reloadConfig copies identifier, strip_ansi and
// childlogdir onto the running daemon (getIdentification, the output of
// processes already running, new AUTO log names); a reread that fails
// changes nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outcome, startPair, type Daemon } from './helpers/rpc-daemons';

const have = existsSync('/usr/bin/supervisord');
const skip = have ? false : 'Supervisor is not installed';

const BODY = `
[program:color]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); printf "\\033[31mred %%s\\033[0m\\n" $i; sleep 0.05; done'
stdout_logfile=%(here)s/color.log
startsecs=0
`;

let both: Daemon[] = [];
after(async () => {
  await Promise.all(both.map((d) => d.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a file gained over `ms` milliseconds. */
async function grownBy(file: string, ms: number): Promise<string> {
  const before = readFileSync(file).length;
  await sleep(ms);
  return readFileSync(file).subarray(before).toString('latin1');
}

test('reread: identifier, strip_ansi and childlogdir take effect at once; a failed reread changes nothing', { skip }, async () => {
  ({ both } = await startPair(BODY));
  for (const d of both) {
    assert.equal(await d.rpc.call('supervisor.getIdentification'), 'supervisor', d.kind);
    assert.match(await grownBy(join(d.dir, 'color.log'), 600), /\x1b\[31mred \d+/, `${d.kind}: colour before`);
    mkdirSync(join(d.dir, 'logs2'));
    const text = readFileSync(d.conf, 'utf8')
      .replace('childlogdir=%(here)s\n', 'childlogdir=%(here)s/logs2\n')
      .replace('[supervisord]\n', '[supervisord]\nidentifier=two\nstrip_ansi=true\n');
    assert.match(text, /logs2/);
    writeFileSync(d.conf, `${text}\n[program:n]\ncommand=/bin/sleep 100000\nautostart=false\n`);
  }
  for (const d of both) {
    assert.deepEqual(await d.rpc.call('supervisor.reloadConfig'), [[['n'], [], []]], d.kind);
    assert.equal(await d.rpc.call('supervisor.getIdentification'), 'two', d.kind);
    await sleep(200);
    const later = await grownBy(join(d.dir, 'color.log'), 600);
    assert.match(later, /red \d+\n/, `${d.kind}: the program goes on`);
    assert.doesNotMatch(later, /\x1b/, `${d.kind}: stripped from the reread on`);
    assert.equal(await d.rpc.call('supervisor.addProcessGroup', ['n']), true);
    const info = (await d.rpc.call('supervisor.getAllConfigInfo')) as { name: string; stdout_logfile: string }[];
    const log = info.find((c) => c.name === 'n')?.stdout_logfile ?? '';
    assert.ok(log.startsWith(join(d.dir, 'logs2', 'n-stdout---two-')), `${d.kind}: ${log}`);
    assert.ok(existsSync(log), `${d.kind}: ${log} made`);
  }
  for (const d of both) {
    const text = readFileSync(d.conf, 'utf8').replace('identifier=two', 'identifier=three');
    writeFileSync(d.conf, `${text}\n[program:bad]\n`);
    const r = await outcome(d.rpc.call('supervisor.reloadConfig'));
    assert.ok('fault' in r && r.fault[0] === 92, `${d.kind}: ${JSON.stringify(r)}`);
    assert.equal(await d.rpc.call('supervisor.getIdentification'), 'two', `${d.kind}: unchanged by a failed reread`);
  }
});

test('reread: a log that was AUTO and now names a file, or NONE, is a change (Supervisor compares the name it made); AUTO again is none', { skip }, async () => {
  await Promise.all(both.map((d) => d.stop()));
  ({ both } = await startPair(`
[program:p]
command=/bin/sleep 100000
startsecs=0
[program:r]
command=/bin/sleep 100000
startsecs=0
[program:same]
command=/bin/sleep 100000
startsecs=0
stdout_logfile=AUTO
[eventlistener:L]
command=/bin/cat
events=TICK_3600
`));
  for (const d of both) {
    const text = readFileSync(d.conf, 'utf8')
      .replace('[program:p]\n', '[program:p]\nstdout_logfile=%(here)s/p.out\n')
      .replace('[program:r]\n', '[program:r]\nstderr_logfile=NONE\n')
      .replace('[eventlistener:L]\n', '[eventlistener:L]\nstderr_logfile=%(here)s/L.err\n');
    writeFileSync(d.conf, text);
    assert.deepEqual(await d.rpc.call('supervisor.reloadConfig'), [[[], ['L', 'p', 'r'], []]], d.kind);
  }
});
