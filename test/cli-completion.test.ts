// Tab completion on the shell's command line (src/cli/completion.ts): the
// words for each place on a tsv, supervisorctl and supervisord command line;
// the tables kept equal to what the commands parse (commander's, and the
// flags the real supervisord and supervisorctl print in their usage); and
// real bash on a terminal completing names from tsv's daemon and from the
// real supervisord, then running what it completed.
import { LONGOPTS as CRASHMAIL_LONGOPTS, LONG_TO_SHORT as CRASHMAIL_SHORT } from '../src/crashmail/crashmail';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { complete, forBash, TSV_COMMANDS, type NameSource } from '../src/cli/completion';
import { BASH_SCRIPT, COMPLETION_SCRIPTS, FILES_EXIT } from '../src/cli/completion-script';
import { tsvProgram } from '../src/cli/tsv';
import { cleanEnv } from './helpers/daemon-cli';
import { ROOT, TempDir } from './helpers/daemon-env';
import { haveSupervisord, startSide, stopSides, cleanupSides, waitLog, type Side } from './helpers/daemon-oracle';
import { plain, runOnPty } from './helpers/ctl-pty';

/** A daemon with api, and web_0 and web_1 in group web; records what it was asked. */
function fakeNames(): { source: NameSource; asked: { ctlArgs: string[]; line: string }[] } {
  const asked: { ctlArgs: string[]; line: string }[] = [];
  const source: NameSource = async (ctlArgs, line) => {
    asked.push({ ctlArgs, line });
    // the shell's completer's word starts after a quote (readline's delimiters)
    const text = (line.split(' ').pop() ?? '').replace(/^['"]/, '');
    const groups = line.startsWith('add ') || line.startsWith('remove ') || line.startsWith('update ');
    const all = groups ? ['api', 'web'] : text.includes(':') ? ['api:api', 'api:*', 'web:web_0', 'web:*', 'web:web_1'] : ['api', 'web:web_0', 'web:*', 'web:web_1'];
    return all.filter((n) => n.startsWith(text));
  };
  return { source, asked };
}

async function wordsFor(line: string, names = fakeNames().source): Promise<string[] | 'files'> {
  const r = await complete(line, names);
  return r.kind === 'files' ? 'files' : forBash(r.words, line.split(/[ \t]+/).pop() ?? '', ' \t\n"\'><=;|&(:');
}

test('completion: commands, verbs and options in each place of a tsv command line', async () => {
  const top = await wordsFor('tsv ');
  assert.ok(Array.isArray(top));
  for (const w of ['config', 'daemon', 'install', 'doctor', 'completion', 'status', 'stop', 'logs', 'ps', 'attach']) assert.ok(top.includes(w), `${w} in ${top.join(' ')}`);
  assert.ok(!top.includes('exit') && !top.includes('quit') && !top.includes('wait-ready') && !top.includes('selftest'));
  assert.deepEqual(await wordsFor('tsv st'), ['start', 'status', 'stop']);
  assert.deepEqual(await wordsFor('tsv config '), ['check', 'show', 'sample']);
  assert.deepEqual(await wordsFor('tsv config show --'), ['--configuration', '--json', '--help']);
  assert.equal(await wordsFor('tsv config check -c '), 'files');
  assert.deepEqual(await wordsFor('tsv crashmail --'), ['--program', '--any', '--optionalheader', '--email', '--sendmail_program', '--help']);
  assert.equal(await wordsFor('tsv doctor --configuration=/et'), 'files');
  assert.deepEqual(await wordsFor('tsv install --init s'), ['systemd', 'sysv']);
  // bash replaces what follows the = only
  assert.deepEqual(await wordsFor('tsv install --init=o'), ['openrc']);
  assert.deepEqual(await wordsFor('tsv install --dr'), ['--dry-run']);
  assert.deepEqual(await wordsFor('tsv uninstall --'), ['--purge', '--user', '--dry-run', '--help']);
  assert.deepEqual(await wordsFor('tsv completion '), ['bash', 'zsh']);
  // after ctl options, only the ctl's verbs
  assert.equal(await wordsFor('tsv -c '), 'files');
  const afterOptions = await wordsFor('tsv -c /etc/x.conf ');
  assert.ok(Array.isArray(afterOptions) && afterOptions.includes('status') && !afterOptions.includes('install'));
  assert.deepEqual(await wordsFor('tsv -s unix:///x.sock res'), ['restart']);
  assert.deepEqual(await wordsFor('tsv --v'), ['--version']);
  // supervisord's flags, and their values
  assert.deepEqual(await wordsFor('supervisord --nod'), ['--nodaemon']);
  assert.deepEqual(await wordsFor('tsv daemon --logl'), ['--loglevel']);
  assert.deepEqual(await wordsFor('tsv daemon -e '), ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'blather']);
  assert.equal(await wordsFor('tsv daemon -c '), 'files');
  assert.equal(await wordsFor('/usr/local/bin/supervisord --childlogdir '), 'files');
  assert.deepEqual(await wordsFor('tsv daemon -n '), []);
});

test('completion: names from the daemon after the verbs that take them, with the ctl options of the line', async () => {
  const { source, asked } = fakeNames();
  assert.deepEqual(await wordsFor('tsv stop ', source), ['api', 'web:web_0', 'web:\\*', 'web:web_1', 'all']);
  // bash splits web:w at the colon: only what follows it is replaced
  assert.deepEqual(await wordsFor('tsv stop web:w', source), ['web_0', 'web_1']);
  assert.deepEqual(await wordsFor('tsv stop web:', source), ['web_0', '\\*', 'web_1']);
  // in quotes (as Supervisor's docs write 'web:*'): no break at the colon, no escape
  assert.deepEqual(await wordsFor("tsv stop 'web:", source), ['web:web_0', 'web:*', 'web:web_1']);
  assert.deepEqual(await wordsFor('tsv stop "we', source), ['web:web_0', 'web:*', 'web:web_1']);
  assert.deepEqual(await wordsFor('tsv -c /a.conf restart a', source), ['api', 'all']);
  assert.deepEqual(asked.at(-1), { ctlArgs: ['-c', '/a.conf'], line: 'restart a' });
  // a config path as the shell will pass it: quoted, escaped, under ~
  await wordsFor(`tsv -c '/srv/my app/s.conf' stop a`, source);
  assert.deepEqual(asked.at(-1), { ctlArgs: ['-c', '/srv/my app/s.conf'], line: 'stop a' });
  await wordsFor('supervisorctl -c /srv/my\\ app/\\"s\\".conf stop a', source);
  assert.deepEqual(asked.at(-1)?.ctlArgs, ['-c', '/srv/my app/"s".conf']);
  await wordsFor('tsv -c "/srv/\\$x \\d" stop a', source);
  assert.deepEqual(asked.at(-1)?.ctlArgs, ['-c', '/srv/$x \\d']);
  await wordsFor('tsv -c ~/s.conf stop a', source);
  assert.deepEqual(asked.at(-1)?.ctlArgs, ['-c', `${homedir()}/s.conf`]);
  await wordsFor("tsv -c '~/s.conf' stop a", source);
  assert.deepEqual(asked.at(-1)?.ctlArgs, ['-c', '~/s.conf']);
  // tsv's short form takes the options after the verb too; supervisorctl does not
  await wordsFor('tsv start -s unix:///b.sock we', source);
  assert.deepEqual(asked.at(-1), { ctlArgs: ['-s', 'unix:///b.sock'], line: 'start we' });
  await wordsFor('supervisorctl -u u -p p status w', source);
  assert.deepEqual(asked.at(-1), { ctlArgs: ['-u', 'u', '-p', 'p'], line: 'status w' });
  // after the verb, supervisorctl's options are the verb's arguments
  assert.deepEqual(await wordsFor('supervisorctl status -c ', source), ['api', 'web:web_0', 'web:\\*', 'web:web_1', 'all']);
  assert.deepEqual(await wordsFor('tsv pid a', source), ['api', 'all']);
  await wordsFor('tsv ctl --serverurl=unix:///c.sock status w', source);
  assert.deepEqual(asked.at(-1), { ctlArgs: ['--serverurl=unix:///c.sock'], line: 'status w' });
  assert.deepEqual(await wordsFor('supervisorctl update ', source), ['api', 'web', 'all']);
  assert.deepEqual(await wordsFor('supervisorctl remove ', source), ['api', 'web']);
  assert.deepEqual(await wordsFor('tsv logs w', source), ['web:web_0', 'web:\\*', 'web:web_1']);
  assert.deepEqual(await wordsFor('tsv attach a', source), ['api']);
  // signal: a signal first, then names
  assert.deepEqual(await wordsFor('tsv signal US', source), ['USR1', 'USR2']);
  assert.deepEqual(await wordsFor('tsv signal HUP a', source), ['api', 'all']);
  assert.deepEqual(asked.at(-1)?.line, 'signal a');
  // tail: -f, a name, then the channel
  assert.deepEqual(await wordsFor('supervisorctl tail -', source), ['-f']);
  const tailFlags = await wordsFor('tsv tail -', source);
  assert.ok(Array.isArray(tailFlags) && tailFlags[0] === '-f' && tailFlags.includes('--configuration'));
  assert.deepEqual(await wordsFor('tsv tail -f ap', source), ['api']);
  assert.deepEqual(await wordsFor('tsv tail api ', source), ['stdout', 'stderr']);
  assert.deepEqual(await wordsFor('tsv help re', source), ['reload', 'remove', 'reread', 'restart']);
  // tsv's own options of a verb, the count they take, and names after them
  assert.deepEqual(await wordsFor('supervisorctl logs -', source), ['-n', '--lines', '--no-follow', '--nostream']);
  assert.deepEqual(await wordsFor('supervisorctl status --', source), ['--json']);
  assert.deepEqual(await wordsFor('supervisorctl restart --r', source), ['--rolling']);
  assert.deepEqual(await wordsFor('supervisorctl ps -', source), ['--json', '--watch']);
  assert.deepEqual(await wordsFor('supervisorctl pid -', source), ['--json']);
  assert.deepEqual(await wordsFor('supervisorctl avail -', source), ['--json']);
  assert.deepEqual(await wordsFor('supervisorctl events -', source), ['-f', '--follow', '--json', '-n', '--recent']);
  assert.deepEqual(await wordsFor('supervisorctl stop -', source), []);
  const asking = asked.length;
  assert.deepEqual(await wordsFor('tsv logs -n ', source), []);
  assert.deepEqual(await wordsFor('tsv events --recent ', source), []);
  assert.equal(asked.length, asking, 'a count is not a name');
  assert.deepEqual(await wordsFor('tsv logs -n 5 --no-follow w', source), ['web:web_0', 'web:\\*', 'web:web_1']);
  assert.deepEqual(asked.at(-1)?.line, 'logs w');
  assert.deepEqual(await wordsFor('tsv restart --rolling a', source), ['api', 'all']);
  assert.deepEqual(asked.at(-1)?.line, 'restart a');
  // events: the types it takes (any case), never names
  assert.deepEqual(await wordsFor('tsv events -f PROCESS_STATE_S', source), ['PROCESS_STATE_STARTING', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_STOPPING']);
  assert.deepEqual(await wordsFor('tsv events -n 5 tick_', source), ['tick_3600', 'tick_5', 'tick_60']);
  assert.equal(asked.length, asking + 2);
  assert.ok(!(await wordsFor('tsv events ', source) as string[]).includes('api'));
  assert.equal(asked.length, asking + 2);
  const before = asked.length;
  // verbs that take no names never ask the daemon
  assert.deepEqual(await wordsFor('tsv reload ', source), []);
  assert.deepEqual(await wordsFor('tsv version ', source), []);
  assert.equal(asked.length, before);
  assert.equal(await wordsFor('supervisorctl -r ', source), 'files');
  const long = await wordsFor('supervisorctl --', source);
  assert.deepEqual(Array.isArray(long) && long.sort(), ['--configuration', '--help', '--history_file', '--interactive', '--password', '--serverurl', '--username']);
});

test("completion: tsv's commands and options are commander's, and supervisord's and supervisorctl's flags are the real ones'", () => {
  const program = tsvProgram(() => {});
  const shown = program.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
  assert.deepEqual(Object.keys(TSV_COMMANDS).sort(), shown.map((c) => c.name()).sort());
  for (const c of shown) {
    const table = TSV_COMMANDS[c.name()];
    const flags = c.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    const valued = c.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    if (c.name() === 'crashmail') {
      // handed on unparsed: its own getopt's options (help aside, as commander's)
      const own = CRASHMAIL_LONGOPTS.filter((o) => o !== 'help');
      const flagsOf = (o: string): string[] => [`-${CRASHMAIL_SHORT[o.replace('=', '')] as string}`, `--${o.replace('=', '')}`];
      assert.deepEqual([...(table?.options ?? [])].sort(), own.flatMap(flagsOf).sort(), c.name());
      assert.deepEqual([...(table?.valued ?? [])].sort(), own.filter((o) => o.endsWith('=')).flatMap(flagsOf).sort(), c.name());
      continue;
    }
    // commands whose options tsv hands on unparsed (daemon, ctl, pidproxy) have none here
    assert.deepEqual([...(table?.options ?? [])].sort(), flags.sort(), c.name());
    assert.deepEqual([...(table?.valued ?? [])].sort(), valued.sort(), c.name());
    for (const p of table?.paths ?? []) assert.ok(valued.includes(p), `${c.name()} ${p}`);
    const subs = c.commands.map((s) => s.name()).sort();
    assert.deepEqual(Object.keys(table?.sub ?? {}).sort(), c.name() === 'completion' ? [...COMPLETION_SCRIPTS.keys()].sort() : subs, c.name());
    for (const s of c.commands) {
      const sub = table?.sub?.[s.name()];
      assert.deepEqual([...(sub?.options ?? [])].sort(), s.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f))).sort(), `${c.name()} ${s.name()}`);
    }
  }
});

const realSkip = haveSupervisord() ? false : 'needs /usr/bin/supervisord and supervisorctl';

test("completion: the flags in the real supervisord's and supervisorctl's usage are offered", { skip: realSkip }, async () => {
  const usage = (cmd: string): string[] => {
    const r = spawnSync(cmd, ['-h'], { encoding: 'utf8', env: cleanEnv() });
    return [...new Set([...(r.stdout + r.stderr).matchAll(/^(-\w)?\/?(--[\w-]+)/gm)].flatMap((m) => [m[1], m[2]]).filter((f): f is string => Boolean(f)))];
  };
  const daemonFlags = usage('/usr/bin/supervisord');
  assert.ok(daemonFlags.length > 20, daemonFlags.join(' '));
  const offeredDaemon = await wordsFor('supervisord -');
  for (const f of daemonFlags) assert.ok(Array.isArray(offeredDaemon) && offeredDaemon.includes(f), `supervisord ${f}`);
  const ctlFlags = usage('/usr/bin/supervisorctl');
  assert.ok(ctlFlags.length >= 12, ctlFlags.join(' '));
  const offeredCtl = await wordsFor('supervisorctl -');
  // the usage text says --history-file; getopt takes --history_file (Supervisor's typo)
  for (const f of ctlFlags.map((f) => f.replace('--history-file', '--history_file'))) assert.ok(Array.isArray(offeredCtl) && offeredCtl.includes(f), `supervisorctl ${f}`);
});

const sides: Side[] = [];
const dirs: TempDir[] = [];
after(async () => {
  await stopSides(sides);
  cleanupSides(sides);
  for (const d of dirs) d.cleanup();
});

const bashSkip = haveSupervisord() && existsSync('/usr/bin/python3') && existsSync('/bin/bash') ? false : 'needs supervisord, python3 and bash';

test('completion in bash on a terminal: names from tsv and from the real supervisord, paths, then the completed command runs', { skip: bashSkip }, async () => {
  const body = '[supervisorctl]\nserverurl=unix://{DIR}/s.sock\n[program:api]\ncommand=/bin/sleep 1000\nstartsecs=0\n[program:web]\ncommand=/bin/sleep 1000\nstartsecs=0\nprocess_name=web_%(process_num)s\nnumprocs=2\n';
  const tsv = startSide('tsv', body);
  const real = startSide('supervisord', body);
  sides.push(tsv, real);
  await waitLog([tsv, real], /success: web_1/);
  await waitLog([tsv, real], /success: api/);
  // tsv and a supervisorctl link to it on PATH, as the packages install them
  const bin = new TempDir('tsv-completion-bin-');
  dirs.push(bin);
  mkdirSync(bin.join('bin'));
  symlinkSync(join(ROOT, 'bin', 'tsv'), bin.join('bin', 'tsv'));
  symlinkSync(join(ROOT, 'bin', 'tsv'), bin.join('bin', 'supervisorctl'));
  const env = { ...cleanEnv(), PATH: `${bin.join('bin')}:/usr/bin:/bin`, PS1: 'READY> ', HOME: bin.path, INPUTRC: '/dev/null' };
  const r = await runOnPty(
    ['/bin/bash', '--norc', '--noprofile', '-i'],
    [
      { expect: 'READY> ' },
      { send: "source <(tsv completion bash); bind 'set show-all-if-ambiguous on'; bind 'set bell-style none'\r", expect: 'READY> ' },
      // the group's members and web:* listed, the common part filled in
      { send: `tsv -c ${tsv.conf} stop we\t`, expect: String.raw`web:\\\*\s+web:web_0\s+web:web_1.*stop web:` },
      { send: 'w\t', expect: String.raw`web_0\s+web_1.*stop web:web_` },
      { send: '1\t\r', expect: String.raw`web:web_1: stopped.*READY> ` },
      // in quotes, as Supervisor's docs write it: bash closes the quote
      { send: `tsv -c ${tsv.conf} status 'web:\t`, expect: String.raw`web:\*\s+web:web_0\s+web:web_1` },
      { send: '*\t\r', expect: String.raw`web:web_0 [^\n]*RUNNING.*web:web_1 [^\n]*STOPPED.*READY> ` },
      // supervisorctl (the link) against the real supervisord: its names
      { send: `supervisorctl -c ${real.conf} stop ap\t\r`, expect: String.raw`api: stopped.*READY> ` },
      { send: `supervisorctl -c ${real.conf} status w\t`, expect: String.raw`web:\\\*\s+web:web_0\s+web:web_1` },
      { send: '\x15', pause: 0.2 },
      // a path after -c
      { send: `tsv config check -c ${tsv.dir.join('supervisord.co')}\t\r`, expect: String.raw`ok: \S+supervisord\.conf: 2 groups, 3 processes.*READY> ` },
      { send: `tsv config check --configuration=${real.dir.join('supervisord.co')}\t\r`, expect: String.raw`ok: \S+supervisord\.conf: 2 groups, 3 processes.*READY> ` },
      { send: 'exit\r' },
    ],
    env,
  );
  assert.ok(r.ok, `step ${r.failed} not met:\n${plain(r.output)}`);
  assert.equal(r.code, 0);
  // the quote closed by bash, after the completed word
  assert.match(plain(r.output), /status 'web:\*' \n/);
  const state = (side: Side, name: string): string => spawnSync(join(ROOT, 'bin', 'tsv'), ['-c', side.conf, 'status', name], { encoding: 'utf8', env: cleanEnv() }).stdout;
  assert.match(state(tsv, 'web:web_1'), /STOPPED/);
  assert.match(state(tsv, 'web:web_0'), /RUNNING/);
  assert.match(state(real, 'api'), /STOPPED/);
});

const zshSkip = existsSync('/usr/bin/python3') && spawnSync('zsh', ['-fc', 'true']).status === 0 ? false : 'needs zsh and python3';

test('completion in zsh on a terminal (bashcompinit): names from the daemon, paths, then the completed command runs', { skip: zshSkip }, async () => {
  const body = '[program:api]\ncommand=/bin/sleep 1000\nstartsecs=0\n[program:web]\ncommand=/bin/sleep 1000\nstartsecs=0\nprocess_name=web_%(process_num)s\nnumprocs=2\n';
  const tsv = startSide('tsv', body);
  sides.push(tsv);
  await waitLog([tsv], /success: web_1/);
  const bin = new TempDir('tsv-completion-zsh-');
  dirs.push(bin);
  symlinkSync(join(ROOT, 'bin', 'tsv'), bin.join('tsv'));
  const sock = `unix://${tsv.dir.join('s.sock')}`;
  const r = await runOnPty(
    ['zsh', '-f', '-i'],
    [
      { send: "PS1='READY> '; source <(tsv completion zsh)\r", expect: 'READY> ' },
      // zsh does not split words at the colon: the whole word is replaced
      { send: `tsv -s ${sock} stop we\t`, expect: 'stop web:' },
      { send: '\t', expect: String.raw`web:\\\*\s+web:web_0\s+web:web_1` },
      { send: 'w\t', expect: 'eb_' },
      { send: '0\t\r', expect: 'web:web_0: stopped.*READY> ' },
      { send: `tsv config check --configuration=${tsv.dir.join('supervisord.co')}\t\r`, expect: String.raw`ok: \S+supervisord\.conf: 2 groups, 3 processes.*READY> ` },
      { send: 'exit\r' },
    ],
    { ...cleanEnv(), PATH: `${bin.path}:/usr/bin:/bin`, HOME: bin.path },
  );
  assert.ok(r.ok, `step ${r.failed} not met:\n${plain(r.output)}`);
  assert.match(spawnSync(join(ROOT, 'bin', 'tsv'), ['-s', sock, 'status', 'web:web_0'], { encoding: 'utf8', env: cleanEnv() }).stdout, /STOPPED/);
});

test('tsv completion: bash and zsh print the scripts the tests source; another shell is a usage error', () => {
  const r = spawnSync(join(ROOT, 'bin', 'tsv'), ['completion', 'bash'], { encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, BASH_SCRIPT);
  assert.match(BASH_SCRIPT, new RegExp(`-eq ${FILES_EXIT} \\]`));
  const syntax = spawnSync('/bin/bash', ['-n'], { input: BASH_SCRIPT, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  const zsh = spawnSync(join(ROOT, 'bin', 'tsv'), ['completion', 'zsh'], { encoding: 'utf8', env: cleanEnv() });
  assert.equal(zsh.status, 0);
  assert.ok(zsh.stdout.endsWith(BASH_SCRIPT) && zsh.stdout.includes('bashcompinit'));
  for (const shell of ['fish', 'constructor']) {
    const other = spawnSync(join(ROOT, 'bin', 'tsv'), ['completion', shell], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(other.status, 2);
    assert.equal(other.stderr, `tsv completion: no completion for "${shell}" (there is one for bash and one for zsh)\n`);
  }
  // a path: its start, cut after the = of --configuration=PATH
  const path = spawnSync(join(ROOT, 'bin', 'tsv'), ['__complete', ' :=', 'tsv doctor --configuration=/etc/ts'], { encoding: 'utf8', env: cleanEnv() });
  assert.deepEqual({ status: path.status, stdout: path.stdout }, { status: FILES_EXIT, stdout: '\t/etc/ts' });
  const zshPath = spawnSync(join(ROOT, 'bin', 'tsv'), ['__complete', '', 'tsv doctor --configuration=/etc/ts'], { encoding: 'utf8', env: cleanEnv() });
  assert.deepEqual({ status: zshPath.status, stdout: zshPath.stdout }, { status: FILES_EXIT, stdout: '--configuration=\t/etc/ts' });
  const plainPath = spawnSync(join(ROOT, 'bin', 'tsv'), ['__complete', '', 'tsv -c '], { encoding: 'utf8', env: cleanEnv() });
  assert.deepEqual({ status: plainPath.status, stdout: plainPath.stdout }, { status: FILES_EXIT, stdout: '\t' });
  // the shell's Tab on a daemon that is not there: no names, exit 0
  const none = spawnSync(join(ROOT, 'bin', 'tsv'), ['__complete', ' :=', 'tsv -s unix:///nonexistent/s.sock stop '], { encoding: 'utf8', env: cleanEnv() });
  assert.equal(none.status, 0, none.stderr);
  assert.equal(none.stdout, 'all\n');
});

test('completion: a daemon that takes the connection and never answers gives no names; tsv gives up by itself', async () => {
  const dir = new TempDir('tsv-completion-mute-');
  dirs.push(dir);
  const held: Socket[] = [];
  const mute = createServer((c) => held.push(c));
  await new Promise<void>((r) => mute.listen(dir.join('s.sock'), r));
  try {
    const r = await new Promise<{ code: number | null; killed: boolean; stdout: string }>((resolve) => {
      const child = execFile(join(ROOT, 'bin', 'tsv'), ['__complete', ' :=', `tsv -s unix://${dir.join('s.sock')} stop `], { encoding: 'utf8', env: cleanEnv(), timeout: 15000 }, (_err, stdout) =>
        resolve({ code: child.exitCode, killed: child.killed, stdout }),
      );
    });
    assert.deepEqual(r, { code: 0, killed: false, stdout: 'all\n' });
    assert.ok(held.length > 0, 'tsv connected');
  } finally {
    for (const c of held) c.destroy();
    mute.close();
  }
});
