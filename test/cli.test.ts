// The command line of the one binary: personalities by invoked name, the
// config commands' output and exit codes, and the sample config working
// as-is for a user without root (run by the real supervisord as nobody).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import vm from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers/common';
import { SAMPLE_CONFIG } from '../src/config/sample';
import { configSearchPaths } from '../src/config/search';
import { CTL_VERBS, TSV_COMMANDS, ctlArgsForBareForm, optionsAfterCommand } from '../src/cli/route';
import { tsvProgram } from '../src/cli/tsv';
import { verbNames } from '../src/ctl/verbs/index';

const tsv = join(repoRoot(), 'bin/tsv');

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input, timeout: 30000 });
}

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-cli-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('echo_supervisord_conf link prints the sample; tsv config sample prints the same', () => {
  withTmp((dir) => {
    symlinkSync(tsv, join(dir, 'echo_supervisord_conf'));
    const a = run(join(dir, 'echo_supervisord_conf'), []);
    const b = run(tsv, ['config', 'sample']);
    assert.equal(a.status, 0);
    assert.equal(a.stdout, SAMPLE_CONFIG);
    assert.equal(b.stdout, SAMPLE_CONFIG);
  });
});

test('links named supervisord and supervisorctl reach the daemon and the ctl', () => {
  withTmp((dir) => {
    for (const name of ['supervisord', 'supervisorctl']) {
      symlinkSync(tsv, join(dir, name));
      const r = run(join(dir, name), ['-h']);
      // Whatever stage those programs are at, they answer as themselves, never as `tsv`.
      assert.ok(!r.stdout.includes('Usage: tsv '), `${name} answered as tsv: ${r.stdout}`);
      assert.ok(!/\n\s+at /.test(r.stderr), `${name} printed a stack trace: ${r.stderr}`);
    }
  });
});

/**
 * A build's cache file: its first line names the Node that made it (the
 * running one, which made the build), the V8 data follows.
 */
function builtCache(file: string): Buffer {
  const bytes = readFileSync(`${file}.cache`);
  const nl = bytes.indexOf(10);
  const st = statSync(process.execPath);
  assert.equal(bytes.toString('latin1', 0, nl + 1), `tsv-code-cache ${process.version} ${process.arch} ${st.size} ${Math.floor(st.mtimeMs)}\n`);
  return bytes.subarray(nl + 1);
}

test('the build leaves a V8 code cache that V8 takes for the ctl bundle bin/tsv starts', () => {
  // Made by running the bundle (scripts/code-cache.mjs); a build that could not run it prints a line and goes on.
  const file = join(repoRoot(), 'build', 'tsv-ctl.cjs');
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: builtCache(file) });
  assert.equal(script.cachedDataRejected, false);
  assert.ok(statSync(`${file}.cache`).mtimeMs >= statSync(file).mtimeMs, 'the cache is older than the bundle');
});

test("the build leaves a V8 code cache for the full CLI that V8 takes under the daemon's flags, made after a run of the daemon", () => {
  // Made by running the daemon with one program (scripts/code-cache.mjs), so
  // it holds the functions compiled while the daemon worked, well beyond the
  // top level's cache; V8 takes it only under the flags it was made with,
  // which src/cli/ctl-entry.ts sets before it compiles the bundle.
  const file = join(repoRoot(), 'build', 'tsv.cjs');
  const flags = JSON.parse(readFileSync(join(repoRoot(), 'src', 'daemon', 'v8-flags.json'), 'utf8')) as string[];
  const probe = String.raw`
const fs = require('fs'), vm = require('vm'), Module = require('module');
const [file] = process.argv.slice(1);
const source = Module.wrap(fs.readFileSync(file, 'utf8'));
const bytes = fs.readFileSync(file + '.cache');
const cachedData = bytes.subarray(bytes.indexOf(10) + 1);
const built = new vm.Script(source, { filename: file, cachedData });
const topLevel = new vm.Script(source + ' ', { filename: file }).createCachedData().length;
process.stdout.write(JSON.stringify({ rejected: built.cachedDataRejected, size: cachedData.length, topLevel }));
`;
  builtCache(file);
  const withFlags = JSON.parse(run(process.execPath, [...flags, '-e', probe, file]).stdout) as { rejected: boolean; size: number; topLevel: number };
  assert.equal(withFlags.rejected, false);
  assert.ok(withFlags.size > 1.3 * withFlags.topLevel, `the cache (${withFlags.size} B) is hardly more than the top level's (${withFlags.topLevel} B)`);
  assert.ok(statSync(`${file}.cache`).mtimeMs >= statSync(file).mtimeMs, 'the cache is older than the bundle');
  // ... and under other flags V8 refuses it: setting them first is what makes it count
  assert.equal((JSON.parse(run(process.execPath, ['-e', probe, file]).stdout) as { rejected: boolean }).rejected, true);
  // the command line takes it, the daemon's and tsv's other commands alike
  withTmp((dir) => {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(conf, `[supervisord]\nlogfile=${dir}/main.log\npidfile=${dir}/pid\n`);
    const env = { ...process.env, TSV_DEBUG: '1' };
    const check = spawnSync(tsv, ['config', 'check', '-c', conf], { encoding: 'utf8', env, timeout: 30000 });
    assert.equal(check.status, 0, check.stderr);
    assert.doesNotMatch(check.stderr, /code cache/);
    // a daemon whose one program ends it
    writeFileSync(conf, `[supervisord]\nlogfile=${dir}/main.log\npidfile=${dir}/pid\n[program:stop]\ncommand=/bin/sh -c 'kill -TERM $PPID'\nstartsecs=0\nautorestart=false\n`);
    const daemon = spawnSync(tsv, ['daemon', '-n', '-c', conf], { encoding: 'utf8', env, timeout: 30000 });
    assert.equal(daemon.status, 0, daemon.stderr);
    assert.match(readFileSync(join(dir, 'main.log'), 'utf8'), /spawned: 'stop'[^]*received SIGTERM/);
    assert.doesNotMatch(daemon.stderr, /code cache/);
  });
});

test('tsv --version names tsv, node and the architecture', () => {
  const r = run(tsv, ['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^tsv \d+\.\d+\.\d+\S* \(node v\d+\.\d+\.\d+, (x64|arm64|armv7l|arm)\)\n$/);
});


test("output that cannot be written: a reader that has gone ends tsv's commands quietly, a full device is one line and status 1 (Supervisor's status, without its traceback); never a stack", () => {
  withTmp((dir) => {
    const conf = join(dir, 'ok.conf');
    writeFileSync(conf, `[supervisord]\nlogfile=${dir}/main.log\n[unix_http_server]\nfile=${dir}/sock\n[supervisorctl]\nserverurl=unix://${dir}/sock\n`);
    symlinkSync(tsv, join(dir, 'echo_supervisord_conf'));
    const commands: Array<[string, string[]]> = [
      [tsv, ['config', 'sample']],
      [tsv, ['config', 'show', '-c', conf]],
      [tsv, ['config', 'check', '-c', conf]],
      [tsv, ['doctor', '-c', conf]],
      [tsv, ['completion', 'bash']],
      [tsv, ['--help']],
      [tsv, ['--version']],
      [tsv, ['install', '--boot', '--dry-run', '--init', 'systemd', '-c', conf]],
      [tsv, ['daemon', '-h']],
      [tsv, ['daemon', '-v']],
      [tsv, ['help']],
      [join(dir, 'echo_supervisord_conf'), []],
    ];
    const full = openSync('/dev/full', 'w');
    try {
      for (const [cmd, args] of commands) {
        const what = [cmd === tsv ? 'tsv' : cmd, ...args].join(' ');
        // The pipe's reader has ended before the command starts: its first write fails with EPIPE, every time.
        const piped = spawnSync('bash', ['-c', '(sleep 0.3; exec "$@") | true; exit "${PIPESTATUS[0]}"', 'piped', cmd, ...args], { encoding: 'utf8', timeout: 30000 });
        assert.equal(piped.stderr, '', `${what} | true`);
        if (args[0] !== 'doctor') assert.equal(piped.status, 0, `${what} | true`);
        const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', full, 'pipe'], timeout: 30000 });
        assert.equal(r.stderr, 'tsv: cannot write to standard output: ENOSPC (no space left on device)\n', `${what} > /dev/full`);
        assert.equal(r.status, 1, `${what} > /dev/full`);
      }
    } finally {
      closeSync(full);
    }
  });
});
test('config check: summary line and exit 0; exit 2 with file:line on an error; exit 2 for a missing file', () => {
  withTmp((dir) => {
    const good = join(dir, 'good.conf');
    writeFileSync(good, '[supervisord]\n[program:a]\ncommand=/bin/cat\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nautostrat=true\n');
    const r = run(tsv, ['config', 'check', '-c', good]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `ok: ${good}: 1 group, 2 processes, 1 warning\n`);
    assert.equal(r.stderr, `warning: ${good}:6: [program:a] autostrat: unknown option autostrat in [program:a] is ignored\n`);
    // the same typo in [DEFAULT], which every section inherits and none reads; a key programs read is no typo there
    const defaults = join(dir, 'defaults.conf');
    writeFileSync(defaults, '[supervisord]\n[DEFAULT]\nautostrat=false\nstartsecs=0\n[program:a]\ncommand=/bin/cat\n');
    const d = run(tsv, ['config', 'check', '-c', defaults]);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.stderr, `warning: ${defaults}:3: [DEFAULT] autostrat: unknown option autostrat in [DEFAULT] is ignored: no section reads it\n`);

    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, '[supervisord]\n\n[program:a]\ncommand=/bin/cat\nstartsecs=soon\n');
    const b = run(tsv, ['config', 'check', '-c', bad]);
    assert.equal(b.status, 2);
    assert.equal(b.stdout, '');
    assert.match(b.stderr, new RegExp(`^Error: ${bad}:5: \\[program:a\\] startsecs: invalid literal for int\\(\\) with base 10: 'soon'\n`));
    assert.match(b.stderr, /hint: /);

    const missing = run(tsv, ['config', 'check', '-c', join(dir, 'nope.conf')]);
    assert.equal(missing.status, 2);
    // Supervisor's first line, with no location before it: the message names the file
    assert.ok(missing.stderr.startsWith(`Error: could not find config file ${join(dir, 'nope.conf')}\n  hint: `), missing.stderr);
    const sides = [[process.execPath, [join(repoRoot(), 'build/tsv.cjs'), 'daemon']], ...(existsSync('/usr/bin/supervisord') ? [['/usr/bin/supervisord', []]] : [])] as [string, string[]][];
    const first = sides.map(([cmd, pre]) => [['-c', '/nonexist'], ['--configuration=~/x']].map((flags) => run(cmd, [...pre, ...flags], { cwd: dir }).stderr.split('\n')[0]));
    assert.deepEqual(first[0], ['Error: could not find config file /nonexist', 'Error: could not find config file ~/x']);
    if (first[1]) assert.deepEqual(first[0], first[1], 'as supervisord says it');
  });
});

test('config check warns of a [supervisorctl] serverurl no command can use (what supervisorctl fails on at every command), and not of the ones it can', () => {
  withTmp((dir) => {
    const conf = join(dir, 'c.conf');
    const bad: [string, string][] = [
      ['http://localhost:__SUPERVISORCTL_PORT__', `has a port that is not a number (supervisorctl: "Port could not be cast to integer value as '__SUPERVISORCTL_PORT__'")`],
      ['127.0.0.1:19054', 'is not a unix:// or http:// URL (supervisorctl: "Unknown protocol for serverurl")'],
      ['https://host:9001', 'is not a unix:// or http:// URL (supervisorctl: "Unknown protocol for serverurl")'],
      ['http://localhost:99999', 'has a port past 65535 (supervisorctl: "Port out of range 0-65535")'],
      ['http://[::1', 'has an unbalanced [ or ] (supervisorctl: "Invalid IPv6 URL")'],
      ['http://::1]:80', 'has an unbalanced [ or ] (supervisorctl: "Invalid IPv6 URL")'],
    ];
    for (const [url, why] of bad) {
      writeFileSync(conf, `[supervisord]\n[supervisorctl]\nserverurl=${url}\n[program:a]\ncommand=/bin/cat\n`);
      const r = run(tsv, ['config', 'check', '-c', conf]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, `warning: ${conf}:3: [supervisorctl] serverurl: "${url}" ${why}: every supervisorctl and tsv ctl command with this file will fail; expected unix:///path/to/socket or http://host:port\n`);
    }
    for (const url of ['http://[::1]:9001', 'http://user:pw@localhost:9001/RPC2', 'http://localhost', 'unix:///run/x.sock']) {
      writeFileSync(conf, `[supervisord]\n[supervisorctl]\nserverurl=${url}\n[program:a]\ncommand=/bin/cat\n`);
      const r = run(tsv, ['config', 'check', '-c', conf]);
      assert.equal(r.stderr, '', url);
    }
  });
});

test('ctl: a config that is not UTF-8 is refused with the words and exit status of supervisorctl (Python\'s decode error, counted in its 8 KiB chunks)', { skip: existsSync('/usr/bin/supervisorctl') ? false : 'needs Supervisor' }, () => {
  withTmp((dir) => {
    const head = Buffer.from('[supervisorctl]\nserverurl=unix:///nonexistent.sock\n[program:x]\ncommand=');
    const pad = (n: number): Buffer => Buffer.from(`;${'x'.repeat(n - 2)}\n`);
    const cases: [string, Buffer][] = [
      ['Latin-1 é', Buffer.concat([head, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])])],
      ['a stray continuation byte', Buffer.concat([head, Buffer.from([0x80, 0x0a])])],
      ['a three-byte character cut short', Buffer.concat([head, Buffer.from([0xe4, 0xb8, 0x41, 0x0a])])],
      ['a surrogate', Buffer.concat([head, Buffer.from([0xed, 0xa0, 0x80, 0x0a])])],
      ['cut off at the end of the file', Buffer.concat([head, Buffer.from([0xe4, 0xb8])])],
      ['past the first 8 KiB', Buffer.concat([head, Buffer.from('\n'), pad(9000), Buffer.from([0xff, 0x0a])])],
      ['a character across the 8 KiB mark, then a fault', Buffer.concat([pad(8191), Buffer.from([0xf0, 0x9f, 0x98, 0x41]), Buffer.from('\n'), head])],
      ['valid UTF-8', Buffer.concat([head, Buffer.from('café 🙂\n')])],
    ];
    for (const [what, bytes] of cases) {
      const conf = join(dir, 'c.conf');
      writeFileSync(conf, bytes);
      const real = spawnSync('/usr/bin/supervisorctl', ['-c', conf, 'status'], { encoding: 'utf8' });
      const ours = run(tsv, ['ctl', '-c', conf, 'status']);
      assert.deepEqual(
        [ours.status, ours.stdout.split('\n')[0], ours.stderr.split('\n')[0]],
        [real.status, real.stdout.split('\n')[0], real.stderr.split('\n')[0]],
        what,
      );
    }
  });
});

test('config check: what a file does wrong says where and why (Latin-1 byte, numprocs without process_name, Supervisor\'s own names, an empty -c, a directory an include matches)', () => {
  withTmp((dir) => {
    const check = (name: string, text: string | Buffer): SpawnSyncReturns<string> => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return run(tsv, ['config', 'check', '-c', f]);
    };
    const latin = check('latin.conf', Buffer.concat([Buffer.from('[supervisord]\n[program:a]\ncommand=/bin/cat\n; caf'), Buffer.from([0xe9, 0x0a])]));
    assert.equal(latin.status, 2);
    assert.equal(latin.stderr, `Error: ${dir}/latin.conf:4: the file is not valid UTF-8 text: byte 0xe9 on this line\n  hint: save the file as UTF-8 (0xe9 is é in Latin-1)\n`);
    const numprocs = check('numprocs.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nnumprocs=2\n');
    assert.equal(numprocs.status, 2);
    assert.match(numprocs.stderr, new RegExp(`^Error: ${dir}/numprocs.conf:4: \\[program:x\\] numprocs: %\\(process_num\\) must be present within process_name when numprocs > 1\n[^]*hint: add process_name=`));
    // a handler that is in Supervisor's package (its tests' dummy_handler): refused for what it is, not as missing
    const handler = check('handler.conf', '[supervisord]\n[eventlistener:l]\ncommand=/bin/cat\nevents=EVENT\nresult_handler=supervisor.tests.base:dummy_handler\n');
    assert.equal(handler.status, 2);
    assert.match(handler.stderr, /^Error: \S+handler\.conf:5: \[eventlistener:l\] result_handler: supervisor\.tests\.base:dummy_handler cannot be resolved within \[eventlistener:l\]: tsv cannot run Python result handlers\n/);
    const own = check('own.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\npriority=%(process_num)s\n');
    assert.match(own.stderr, /hint: Supervisor gives process_num to some options, not to this one; the names here: here\n/);
    const env = check('env.conf', '[supervisord]\nlogfile=%(ENV_TSV_NOPE)s\n');
    assert.match(env.stderr, /hint: TSV_NOPE is not in supervisord's environment \(\[supervisord\] environment= applies to the other sections, not to this one\)/);
    // a % in the config's own directory name: %(here)s brings it into a value Supervisor expands twice
    mkdirSync(join(dir, '50%off'));
    const pct = check('50%off/pct.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nstdout_logfile=%(here)s/x.log\n');
    assert.equal(pct.status, 2);
    assert.match(pct.stderr, /pct\.conf:4: \[program:x\] stdout_logfile: the value is badly formatted[^]*hint: %\(here\)s put the config's directory, .*50%off, into this value/);
    // the same through a name: the directory's %(x)s is no environment variable the user forgot
    mkdirSync(join(dir, 'p%(x)sdir'));
    const named = check('p%(x)sdir/named.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nstdout_logfile=%(here)s/x.log\n');
    assert.equal(named.status, 2);
    assert.match(named.stderr, /%\(x\)s cannot be expanded here[^]*hint: %\(here\)s put the config's directory/);
    // an included FIFO: supervisord would wait on it; tsv skips it and says so in those words
    execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
    const fifo = check('fifo-inc.conf', `[supervisord]\n[include]\nfiles=${join(dir, 'fifo.conf')}\n`);
    assert.equal(fifo.status, 0, fifo.stderr);
    assert.match(fifo.stderr, /included file .*fifo\.conf is a FIFO and is ignored \(supervisord would wait on it for a writer, starting nothing\)/);
    const empty = run(tsv, ['config', 'check', '-c', '']);
    assert.equal(empty.status, 2);
    assert.equal(empty.stderr, 'Error: -c/--configuration names no file (an empty value): give the path of the config file\n');
    const doctor = run(tsv, ['doctor', '-c', '']);
    assert.equal(doctor.status, 2);
    assert.equal(doctor.stderr, 'tsv doctor: -c/--configuration names no file (an empty value): give the path of the config file\n');
    mkdirSync(join(dir, 'conf.d', 'sub.conf'), { recursive: true });
    const inc = check('inc.conf', '[supervisord]\n[include]\nfiles=conf.d/*.conf\n');
    assert.equal(inc.status, 0, inc.stderr);
    assert.match(inc.stderr, /^warning: .*inc\.conf:3: \[include\] files: included file .*conf\.d\/sub\.conf is not a regular file \(a directory\) and is ignored/m);
    // a directory named by -c reads as supervisord words it
    const asDir = run(tsv, ['config', 'check', '-c', join(dir, 'conf.d')]);
    assert.match(asDir.stderr, /could not read config file .*conf\.d\n  hint: it is not a regular file but a directory;/);
    // the hint names what it is: /dev/null is no directory
    const devNull = run(tsv, ['config', 'check', '-c', '/dev/null']);
    assert.equal(devNull.status, 2);
    assert.match(devNull.stderr, /could not read config file \/dev\/null\n  hint: it is not a regular file but a character device;/);
  });
});

test('[supervisorctl] and [ctlplugin:x], which supervisord never reads: their errors do not stop the daemon (a warning), config check refuses, and tsv\'s ctl refuses what supervisorctl refuses, in its words and exit status', { skip: existsSync('/usr/bin/supervisorctl') ? false : 'needs Supervisor' }, () => {
  withTmp((dir) => {
    const sock = join(dir, 's.sock');
    const head = `[unix_http_server]\nfile=${sock}\n[supervisord]\nlogfile=${dir}/main.log\npidfile=${dir}/pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`;
    const conf = join(dir, 'supervisord.conf');
    // a password from a variable the admin's shell has and the boot service does not
    writeFileSync(conf, `${head}[supervisorctl]\nserverurl=unix://${sock}\npassword=%(ENV_TSV_CTL_PASS)s\n[program:stop]\ncommand=/bin/sh -c 'kill -TERM $PPID'\nstartsecs=0\nautorestart=false\n`);
    const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };
    for (const daemon of [['/usr/bin/supervisord'], [tsv, 'daemon']]) {
      const r = spawnSync(daemon[0] as string, [...daemon.slice(1), '-n', '-c', conf], { encoding: 'utf8', env, timeout: 30000 });
      assert.equal(r.status, 0, `${daemon.join(' ')}: ${r.stderr}`);
      assert.match(readFileSync(join(dir, 'main.log'), 'utf8'), /spawned: 'stop'/);
      rmSync(join(dir, 'main.log'));
    }
    const check = spawnSync(tsv, ['config', 'check', '-c', conf], { encoding: 'utf8', env });
    assert.equal(check.status, 2);
    assert.match(check.stderr, /^Error: .*:10: \[supervisorctl\] password: .*supervisorctl refuses this config/);
    // ctlplugins: each case as supervisorctl says it, with -s so that no daemon is needed for the cases it lets through
    const plugin = (line: string): string => `[supervisorctl]\nserverurl=unix://${dir}/none.sock\n[ctlplugin:foo]\n${line}\n`;
    const cases: [string, string, string[]][] = [
      ['no factory', plugin('x=1'), []],
      ['a malformed spec', plugin('supervisor.ctl_factory = bad spec!'), []],
      ['not in Supervisor', plugin('supervisor.ctl_factory = supervisor.supervisorctl:nosuch'), []],
      ['Supervisor\'s own', plugin('supervisor.ctl_factory = supervisor.supervisorctl:DefaultControllerPlugin'), []],
      ['an empty -c', '', ['-c', '', '-s', `unix://${dir}/none.sock`]],
      ['a line configparser cannot read', '[supervisorctl]\nserverurl=unix:///x.sock\ngarbage line\n', []],
    ];
    for (const [what, text, args] of cases) {
      writeFileSync(join(dir, 'c.conf'), text);
      const argv = args.length ? args : ['-c', join(dir, 'c.conf')];
      const real = spawnSync('/usr/bin/supervisorctl', [...argv, 'status'], { encoding: 'utf8', env });
      const ours = spawnSync(tsv, ['ctl', ...argv, 'status'], { encoding: 'utf8', env });
      const first = (r: SpawnSyncReturns<string>): string => (r.stdout + r.stderr).split('\n')[0] as string;
      assert.equal(ours.status, real.status, `${what}: exit status; ${first(ours)}`);
      // a traceback is Python's: the readable line is ours
      if (real.stderr.includes('Traceback')) assert.match(first(ours), /^Error: .*c\.conf, line 3: .*'garbage line'/, what);
      else assert.equal(first(ours), first(real), what);
    }
  });
});

test('config show --json gives every process with values and sources', () => {
  withTmp((dir) => {
    const f = join(dir, 's.conf');
    writeFileSync(f, '[supervisord]\n[DEFAULT]\nstartsecs=7\n[program:w]\ncommand=/bin/sleep %(process_num)d\nnumprocs=2\nprocess_name=w%(process_num)02d\n');
    const r = run(tsv, ['config', 'show', '--json', '-c', f]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { groups: { name: string; processes: { name: string; command: string; startsecs: number; sources: Record<string, { kind: string; line?: number }> }[] }[] };
    const procs = j.groups[0].processes;
    assert.deepEqual(procs.map((p) => [p.name, p.command, p.startsecs]), [['w00', '/bin/sleep 0', 7], ['w01', '/bin/sleep 1', 7]]);
    assert.deepEqual(procs[0].sources.startsecs, { kind: 'file', file: f, line: 3 });
    assert.deepEqual(procs[0].sources.autostart, { kind: 'default' });
    const human = run(tsv, ['config', 'show', '-c', f]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, new RegExp(`startsecs\\s+7\\s+\\(${f}:3\\)`));
  });
});

test('the sample config works as-is for a user without root, under the real supervisord', { skip: !existsSync('/usr/bin/supervisord') || process.getuid?.() !== 0 }, () => {
  withTmp((dir) => {
    chmodSync(dir, 0o755);
    const home = join(dir, 'nobody');
    run('mkdir', [home]);
    chownSync(home, 65534, 65534);
    const conf = join(home, 'supervisord.conf');
    writeFileSync(conf, SAMPLE_CONFIG);
    chownSync(conf, 65534, 65534);
    const asNobody = (args: string[]): SpawnSyncReturns<string> =>
      run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', ...args], { cwd: home });
    assert.equal(asNobody([process.execPath, join(repoRoot(), 'build/tsv.cjs'), 'config', 'check', '-c', conf]).status, 0);
    const start = asNobody(['/usr/bin/supervisord', '-c', conf]);
    assert.equal(start.status, 0, start.stderr);
    try {
      let status: SpawnSyncReturns<string> | null = null;
      for (let i = 0; i < 50; i++) {
        status = asNobody(['/usr/bin/supervisorctl', '-c', conf, 'status']);
        if (status.status === 0) break;
        spawnSync('sleep', ['0.1']);
      }
      assert.equal(status?.status, 0, `${status?.stdout}${status?.stderr}`);
      assert.ok(existsSync(join(home, 'supervisor.sock')), 'socket next to the config');
      assert.ok(existsSync(join(home, 'supervisord.log')), 'log next to the config');
    } finally {
      asNobody(['/usr/bin/supervisorctl', '-c', conf, 'shutdown']);
      for (let i = 0; i < 50 && existsSync(join(home, 'supervisord.pid')); i++) spawnSync('sleep', ['0.1']);
    }
  });
});

test('without -c the config is found on the search path: Supervisor\'s order, /etc/tsv before the system-wide places', () => {
  assert.deepEqual(configSearchPaths('/opt/tsv/bin/tsv', { HOME: '/home/ann' }), [
    '/opt/tsv/etc/supervisord.conf',
    '/opt/tsv/supervisord.conf',
    'supervisord.conf',
    'etc/supervisord.conf',
    // what tsv install --user writes
    '/home/ann/.config/tsv/supervisord.conf',
    '/etc/tsv/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
  ]);
  withTmp((dir) => {
    // A config in the current directory is found, whatever /etc holds.
    writeFileSync(join(dir, 'supervisord.conf'), '[supervisord]\n[program:here]\ncommand=/bin/cat\n');
    const r = run(process.execPath, [join(repoRoot(), 'build/tsv.cjs'), 'config', 'check'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 group, 1 process/);
  });
});

test("tsv help COMMAND is that command's help (tsv help VERB stays supervisorctl's); tsv --help names the bare verbs and tsv's own", () => {
  const program = tsvProgram(() => undefined);
  assert.deepEqual(program.commands.map((c) => c.name()).sort(), [...TSV_COMMANDS].sort(), "route.ts's TSV_COMMANDS and tsv.ts's commands");
  for (const [asked, same] of [
    [['help', 'install'], ['install', '-h']],
    [['help', 'config', 'check'], ['config', 'check', '-h']],
    [['help', 'daemon'], ['daemon', '-h']],
    [['help', 'doctor'], ['doctor', '--help']],
  ]) {
    const a = run(tsv, asked);
    const b = run(tsv, same);
    assert.deepEqual([a.status, a.stdout, a.stderr], [b.status, b.stdout, b.stderr], asked.join(' '));
    assert.equal(a.status, 0, asked.join(' '));
    assert.doesNotMatch(a.stdout, /No help on/);
  }
  const verb = run(tsv, ['help', 'status']);
  assert.match(verb.stdout, /^status <name>\t\tGet status for a single process\n/);
  const help = run(tsv, ['--help']);
  for (const word of ['tsv status', 'logs', 'ps', 'events', 'attach NAME', 'status --json', 'restart --rolling']) assert.ok(help.stdout.includes(word), word);
});

test('tsv <verb> and tsv -c FILE <verb>: supervisorctl options are moved in front of the verb; before one of tsv\'s own commands, after it', () => {
  assert.deepEqual(ctlArgsForBareForm(['status']), ['status']);
  assert.deepEqual(ctlArgsForBareForm(['-c', 'f.conf', 'status', 'web']), ['-c', 'f.conf', 'status', 'web']);
  assert.deepEqual(ctlArgsForBareForm(['status', '-c', 'f.conf', 'web']), ['-c', 'f.conf', 'status', 'web']);
  assert.deepEqual(ctlArgsForBareForm(['tail', '-f', '--configuration=f.conf', 'web', 'stderr']), ['--configuration=f.conf', 'tail', '-f', 'web', 'stderr']);
  assert.deepEqual(ctlArgsForBareForm(['-cf.conf', '-u', 'me', '-p', 'pw']), ['-cf.conf', '-u', 'me', '-p', 'pw']);
  assert.deepEqual(ctlArgsForBareForm(['signal', 'HUP', 'web', '-s', 'unix:///x.sock']), ['-s', 'unix:///x.sock', 'signal', 'HUP', 'web']);
  assert.equal(ctlArgsForBareForm(['config', 'check']), null);
  assert.equal(ctlArgsForBareForm([]), null);
  // tsv's own verbs too (`tsv logs -c FILE` was refused as a bad argument of logs)
  assert.deepEqual(ctlArgsForBareForm(['logs', '-c', 'f.conf', '--no-follow']), ['-c', 'f.conf', 'logs', '--no-follow']);
  assert.deepEqual(ctlArgsForBareForm(['ps', 'web', '-c', 'f.conf']), ['-c', 'f.conf', 'ps', 'web']);
  // EOF is the shell's end of input, not a verb anyone types
  assert.deepEqual(verbNames().filter((v) => v !== 'EOF' && !CTL_VERBS.has(v)), [], 'verbs the bare form does not know');
  // before one of tsv's own commands they go after it (it takes -c there); pidproxy and crashmail pass theirs on
  assert.deepEqual(optionsAfterCommand(['-c', 'f.conf', 'config', 'check']), ['config', 'check', '-c', 'f.conf']);
  assert.deepEqual(optionsAfterCommand(['--configuration=f.conf', 'doctor', '--json']), ['doctor', '--json', '--configuration=f.conf']);
  assert.deepEqual(optionsAfterCommand(['-c', 'f.conf', 'ctl', 'status', 'web']), ['ctl', '-c', 'f.conf', 'status', 'web']);
  assert.equal(optionsAfterCommand(['-c', 'f.conf', 'status']), null);
  assert.equal(optionsAfterCommand(['config', 'check', '-c', 'f.conf']), null);
  assert.equal(optionsAfterCommand(['-c', 'f.conf', 'pidproxy', 'p.pid', 'cmd']), null);
  withTmp((dir) => {
    const conf = join(dir, 'a.conf');
    writeFileSync(conf, '[supervisord]\n[program:a]\ncommand=/bin/cat\n');
    const r = run(tsv, ['-c', conf, 'config', 'check']);
    assert.equal(r.stdout, `ok: ${conf}: 1 group, 1 process\n`);
    assert.equal(r.status, 0);
  });
});

test("a C locale: tsv config check and tsv ctl see the LC_CTYPE Python's PEP 538 coercion sets, as supervisorctl and the daemon do (%(ENV_LC_CTYPE)s)", { skip: existsSync('/usr/bin/supervisorctl') ? false : 'needs /usr/bin/supervisorctl' }, () => {
  withTmp((dir) => {
    const conf = join(dir, 'lc.conf');
    writeFileSync(
      conf,
      '[supervisord]\nlogfile=%(here)s/sd.log\npidfile=%(here)s/sd.pid\n[supervisorctl]\nserverurl=unix://%(here)s/%(ENV_LC_CTYPE)s.sock\n[program:x]\ncommand=/bin/echo %(ENV_LC_CTYPE)s\n',
    );
    const envs: Record<string, string>[] = [{}, { LANG: 'C' }, { LANG: 'POSIX' }, { LANG: 'xx_YY.UTF-8' }, { LC_CTYPE: 'C.UTF-8' }, { LC_ALL: 'C' }, { PYTHONCOERCECLOCALE: '0' }];
    let coerced = 0;
    for (const extra of envs) {
      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...extra };
      const py = spawnSync('/usr/bin/supervisorctl', ['-c', conf, 'status'], { encoding: 'utf8', env });
      const ours = spawnSync(process.execPath, [join(repoRoot(), 'build/tsv.cjs'), 'ctl', '-c', conf, 'status'], { encoding: 'utf8', env });
      assert.equal(ours.stdout + ours.stderr, (py.stdout + py.stderr).replaceAll('/usr/bin/supervisorctl', 'tsv ctl'), JSON.stringify(extra));
      const check = spawnSync(process.execPath, [join(repoRoot(), 'build/tsv.cjs'), 'config', 'check', '-c', conf], { encoding: 'utf8', env });
      const sees = /\.UTF-8\.sock|\.utf8\.sock/i.test(py.stdout + py.stderr);
      if (sees && !('LC_CTYPE' in extra)) coerced++;
      assert.equal(check.status, sees ? 0 : 2, `${JSON.stringify(extra)}: ${check.stderr}`);
    }
    assert.ok(coerced >= 3, 'the C locale was coerced for {}, LANG=C and LANG=POSIX at least');
  });
});
