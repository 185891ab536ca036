// pidproxy: Supervisor's /usr/bin/pidproxy (Debian's 4.2.5, the oracle) and
// tsv's (a link named pidproxy to bin/tsv, and `tsv pidproxy`) are given the
// same command lines, signals and pidfiles; what the command's target
// receives, what each prints and its exit status must be the same. Where tsv
// differs on purpose (docs/differences.md, "pidproxy"), the test says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TempDir, ROOT, sleep, withTimeout } from './helpers/daemon-env';
import { cleanEnv, killTree, poll, until } from './helpers/daemon-cli';
import { haveSupervisord, startSide, stopSides, cleanupSides, waitLog, normalizeLog, ctlOn, rewriteConf, type Side } from './helpers/daemon-oracle';
import { pyAbspath } from '../src/pidproxy/pidproxy';

const ORACLE = '/usr/bin/pidproxy';
const PYTHON = '/usr/bin/python3';
const skip = existsSync(ORACLE) && existsSync(PYTHON) ? false : 'needs /usr/bin/pidproxy and /usr/bin/python3 (apt-get install supervisor)';

type Impl = 'supervisor' | 'tsv';
const IMPLS: readonly Impl[] = ['supervisor', 'tsv'];

// The process pidproxy's signals are for: it records each one it gets and
// ends on TERM, INT and QUIT; it writes the pidfile (atomically) only once
// its handlers are in place. Python, so that INT and QUIT can be caught in a
// process a non-interactive shell started with `&` (which ignores them).
const TARGET = `import os, signal, sys
log, pidfile = sys.argv[1], sys.argv[2]
def got(sig, frame):
    with open(log, 'a') as f:
        f.write(signal.Signals(sig).name + '\\n')
    if sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        sys.exit(0)
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM):
    signal.signal(s, got)
with open(pidfile + '.tmp', 'w') as f:
    f.write(str(os.getpid()) + '\\n')
os.rename(pidfile + '.tmp', pidfile)
while True:
    signal.pause()
`;

/** A directory with the target, a wrapper that starts it (pidproxy's command) and a pidproxy link to tsv. */
function workdir(impl: Impl): TempDir {
  const dir = new TempDir(`tsv-pidproxy-${impl}-`);
  dir.file('target.py', TARGET);
  // $1: the pidfile the target writes (the one pidproxy reads, or another); then exit with $2
  dir.file('wrapper.sh', `#!/bin/sh\n${PYTHON} "$(dirname "$0")/target.py" "$(dirname "$0")/sigs" "$1" &\nwait\nexit \${2:-0}\n`, 0o755);
  symlinkSync(join(ROOT, 'bin', 'tsv'), dir.join('pidproxy'));
  return dir;
}

function proxyPath(impl: Impl, dir: TempDir): string {
  return impl === 'supervisor' ? ORACLE : dir.join('pidproxy');
}

interface Run {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** exit status, and when (performance.now()) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * pidproxy started with `args` in dir. Its stdout and stderr are files, not
 * pipes: the command inherits them and may outlive pidproxy.
 */
interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** what runs pidproxy (default: pidproxy itself) */
  argv?: string[];
  /** a descriptor pidproxy inherits as its fd 5 */
  extraFd?: number;
}

function start(impl: Impl, dir: TempDir, args: string[], opts: StartOptions = {}): Run {
  const out = openSync(dir.join('pidproxy.out'), 'w');
  const err = openSync(dir.join('pidproxy.err'), 'w');
  const stdio: ('ignore' | number)[] = ['ignore', out, err];
  if (opts.extraFd !== undefined) stdio.push('ignore', 'ignore', opts.extraFd);
  const [cmd, ...pre] = opts.argv ?? [proxyPath(impl, dir)];
  const child = spawn(cmd as string, [...pre, ...args], { cwd: dir.path, env: opts.env ?? cleanEnv(), stdio });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal, at: performance.now() })),
  );
  return { child, out: () => dir.read('pidproxy.out'), err: () => dir.read('pidproxy.err'), exited };
}

async function ended(run: Run, ms = 15000): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  return withTimeout(run.exited, ms, 'pidproxy to exit');
}

function finish(run: Run | null, dir: TempDir): void {
  if (run?.child.pid && run.child.exitCode === null && run.child.signalCode === null) killTree(run.child.pid);
  // the target may outlive pidproxy (it is not pidproxy's child)
  for (const f of ['t.pid', 'other.pid']) {
    try {
      process.kill(Number(readFileSync(dir.join(f), 'utf8')), 'SIGKILL');
    } catch {
      // not there, or gone
    }
  }
  dir.cleanup();
}

type Launch = (args: string[], opts?: StartOptions) => Run;

/**
 * body once for each implementation, in a fresh directory of its own;
 * launch() starts that implementation's pidproxy there, and whatever it
 * started is cleaned up after.
 */
async function onBoth<T>(body: (impl: Impl, dir: TempDir, launch: Launch) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const impl of IMPLS) {
    const dir = workdir(impl);
    let run: Run | null = null;
    try {
      out.push(await body(impl, dir, (args, opts) => (run = start(impl, dir, args, opts))));
    } finally {
      finish(run, dir);
    }
  }
  return out;
}

const sigs = (dir: TempDir): string[] => dir.read('sigs').split('\n').filter(Boolean);

/** Send sig to pidproxy and wait until the target has recorded n signals. */
async function signalAndWait(run: Run, dir: TempDir, sig: NodeJS.Signals, n: number): Promise<void> {
  run.child.kill(sig);
  await until(() => sigs(dir).length >= n, `the target to record ${sig}`, 10000);
}

test('pidproxy: the usage text and status 1 for too few arguments, as Supervisor prints them', { skip }, () => {
  for (const args of [[], ['only.pid'], ['-h'], ['--help']]) {
    const results = IMPLS.map((impl) => {
      const dir = workdir(impl);
      try {
        const r = spawnSync(proxyPath(impl, dir), args, { cwd: dir.path, env: cleanEnv(), encoding: 'utf8' });
        return { status: r.status, stdout: r.stdout.replaceAll(proxyPath(impl, dir), 'PROG'), stderr: r.stderr };
      } finally {
        dir.cleanup();
      }
    });
    assert.deepEqual(results[1], results[0], `pidproxy ${args.join(' ')}`);
    assert.equal(results[0]?.status, 1);
    assert.match(results[0]?.stdout ?? '', /^pidproxy -- run command and proxy signals.*\n\nUsage: PROG <pidfile name> <command> \[<cmdarg1> \.\.\.\]\n\n$/s);
  }
  // the same from `tsv pidproxy`, which names itself so
  const r = spawnSync(join(ROOT, 'bin', 'tsv'), ['pidproxy'], { env: cleanEnv(), encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /\nUsage: tsv pidproxy <pidfile name> <command>/);
});

for (const last of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
  test(`pidproxy: HUP, USR1 and USR2 reach the pidfile's process and pidproxy goes on; ${last} reaches it and pidproxy exits 0`, { skip }, async () => {
    const [py, ts] = await onBoth(async (impl, dir, launch) => {
      const run = launch(['t.pid', './wrapper.sh', dir.join('t.pid')]);
      await until(() => existsSync(dir.join('t.pid')), 'the target to write its pidfile', 10000);
      const targetPid = Number(dir.read('t.pid'));
      await signalAndWait(run, dir, 'SIGHUP', 1);
      await signalAndWait(run, dir, 'SIGUSR1', 2);
      await signalAndWait(run, dir, 'SIGUSR2', 3);
      assert.equal(run.child.exitCode, null, `${impl}: pidproxy still runs after HUP, USR1, USR2`);
      run.child.kill(last);
      const end = await ended(run);
      await until(() => sigs(dir).length >= 4, 'the last signal', 10000);
      await until(() => !alive(targetPid), 'the target to end', 10000);
      return { code: end.code, signal: end.signal, sigs: sigs(dir), out: run.out(), err: run.err() };
    });
    assert.deepEqual(ts, py);
    assert.deepEqual(py, { code: 0, signal: null, sigs: ['SIGHUP', 'SIGUSR1', 'SIGUSR2', last], out: '', err: '' });
  });
}

test('pidproxy: a pidfile that is missing or not a number is reported and nothing is sent; Python int() digits are read', { skip }, async () => {
  const seen = await onBoth(async (impl, dir, launch) => {
    // the target writes other.pid; pidproxy reads t.pid
    const run = launch(['t.pid', './wrapper.sh', dir.join('other.pid')]);
    await until(() => existsSync(dir.join('other.pid')), 'the target to write its pidfile', 10000);
    const pid = dir.read('other.pid').trim();
    run.child.kill('SIGHUP'); // no t.pid
    await sleep(300);
    dir.file('t.pid', 'garbage\n');
    run.child.kill('SIGTERM'); // not a number: not sent, and pidproxy goes on
    await sleep(300);
    assert.equal(run.child.exitCode, null, `${impl}: still running after a TERM it could not pass on`);
    // fullwidth digits, blanks and an underscore: Python's int() reads them
    const fullwidth = [...pid].map((d) => String.fromCodePoint(0xff10 + Number(d))).join('');
    dir.file('t.pid', ` ${fullwidth.slice(0, 1)}_${fullwidth.slice(1)}\t\n`);
    await signalAndWait(run, dir, 'SIGUSR1', 1);
    run.child.kill('SIGTERM');
    const end = await ended(run);
    return { code: end.code, sigs: sigs(dir), out: run.out().replaceAll(dir.path, '<DIR>') };
  });
  assert.deepEqual(seen[1], seen[0]);
  assert.deepEqual(seen[0], { code: 0, sigs: ['SIGUSR1', 'SIGTERM'], out: "Can't read child pidfile t.pid!\n".repeat(2) });
});

test('pidproxy: a pidfile naming a process that is gone ends pidproxy with status 1, explained instead of a traceback', { skip }, async () => {
  const seen = await onBoth(async (_impl, dir, launch) => {
    const gone = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    const run = launch(['t.pid', './wrapper.sh', dir.join('other.pid')]);
    await until(() => existsSync(dir.join('other.pid')), 'the target to write its pidfile', 10000);
    dir.file('t.pid', `${gone}\n`);
    run.child.kill('SIGHUP');
    const end = await ended(run);
    return { code: end.code, err: run.err() };
  });
  assert.equal(seen[0]?.code, 1);
  assert.equal(seen[1]?.code, 1);
  assert.match(String(seen[0]?.err), /Traceback[\s\S]*ProcessLookupError/);
  assert.match(String(seen[1]?.err), /^pidproxy: couldn't send SIGHUP to pid \d+ \(from t\.pid\): ESRCH \(No such process\)\n$/);
});

test('pidproxy: a pidfile holding 0 or a negative number signals no process group (tsv only: Supervisor sends it there)', async () => {
  const dir = workdir('tsv');
  let run: Run | null = null;
  try {
    run = start('tsv', dir, ['t.pid', './wrapper.sh', dir.join('other.pid')]);
    await until(() => existsSync(dir.join('other.pid')), 'the target to write its pidfile', 10000);
    for (const n of ['0', '-1', `-${process.pid}`]) {
      dir.file('t.pid', `${n}\n`);
      run.child.kill('SIGTERM');
      await poll(() => (run?.err().includes(`holds ${n},`) ? true : undefined), `the refusal of ${n}`, 10000);
    }
    assert.equal(run.child.exitCode, null, 'pidproxy goes on');
    assert.deepEqual(sigs(dir), [], 'nothing reached the target');
    assert.equal(run.out(), "Can't read child pidfile t.pid!\n".repeat(3));
    assert.match(run.err(), /^pidproxy: t\.pid holds 0, which is not a process id: SIGTERM not sent\n/);
  } finally {
    finish(run, dir);
  }
});

test('pidproxy: when the command ends, pidproxy exits 0 whatever its status; tsv at once, Supervisor on its next 5-second look', { skip }, async () => {
  const [supervisorDelay, tsvDelay] = await onBoth(async (impl, dir, launch) => {
    // the wrapper exits 3 once its target has ended
    const run = launch(['t.pid', './wrapper.sh', dir.join('t.pid'), '3']);
    await until(() => existsSync(dir.join('t.pid')), 'the target to write its pidfile', 10000);
    process.kill(Number(dir.read('t.pid')), 'SIGTERM');
    const t0 = performance.now();
    const end = await ended(run, 15000);
    assert.deepEqual({ code: end.code, signal: end.signal, out: run.out(), err: run.err() }, { code: 0, signal: null, out: '', err: '' }, impl);
    return end.at - t0;
  });
  // event-driven, not a poll: generous for a loaded machine, far below Supervisor's 5 s
  assert.ok((tsvDelay as number) < 1500, `tsv's pidproxy exited ${tsvDelay?.toFixed(0)} ms after its command (Supervisor's: ${supervisorDelay?.toFixed(0)} ms)`);
});

test('pidproxy: the command is taken relative to the working directory, never from PATH; argv[0] as given; a command that cannot run', { skip }, async () => {
  const bin = new TempDir('tsv-pidproxy-path-');
  // on PATH only: never run
  bin.file('onpath', '#!/bin/sh\necho onpath > ran\n', 0o755);
  const env = cleanEnv({ PATH: `${bin.path}:${process.env.PATH ?? '/usr/bin:/bin'}` });
  const cases = {
    'on PATH only': ['onpath'],
    'in the directory': ['here', 'a b', ''],
    'through ..': ['../{BASE}/./here', 'x'],
    'argv[0]': ['lsx', '--no-such-option'],
    missing: ['./nosuch'],
    'not executable': ['./target.py'],
  };
  type Outcome = { code: number | null; ran: string; err: string };
  // one directory per case and implementation, all at once: Supervisor's pidproxy takes up to 5 s to see its command end
  const runCase = async (impl: Impl, args: readonly string[]): Promise<Outcome> => {
    const dir = workdir(impl);
    let run: Run | null = null;
    try {
      // in the working directory, named without ./ (a script's $0 is the file the kernel was given)
      dir.file('here', '#!/bin/sh\necho "$0|$*" > ran\n', 0o755);
      // a program that names itself by its argv[0]
      symlinkSync('/bin/ls', dir.join('lsx'));
      run = start(impl, dir, ['p.pid', ...args.map((a) => a.replace('{BASE}', basename(dir.path)))], { env });
      const end = await ended(run, 15000);
      assert.equal(run.out(), '', `${impl}: ${args.join(' ')}: nothing on stdout`);
      return { code: end.code, ran: dir.read('ran').replaceAll(dir.path, '<DIR>'), err: run.err().replaceAll(dir.path, '<DIR>') };
    } finally {
      finish(run, dir);
    }
  };
  try {
    const [py, ts] = await Promise.all(
      IMPLS.map(async (impl) => Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([label, args]) => [label, await runCase(impl, args)] as const)))),
    );
    const lsError = "lsx: unrecognized option '--no-such-option'\nTry 'lsx --help' for more information.\n";
    assert.deepEqual(py, {
      'on PATH only': { code: 0, ran: '', err: '' },
      'in the directory': { code: 0, ran: '<DIR>/here|a b \n', err: '' },
      'through ..': { code: 0, ran: '<DIR>/here|x\n', err: '' },
      'argv[0]': { code: 0, ran: '', err: lsError },
      missing: { code: 0, ran: '', err: '' },
      'not executable': { code: 0, ran: '', err: '' },
    });
    // the same, except that tsv's says why a command could not be run, where Supervisor's says nothing
    assert.deepEqual(ts, {
      ...py,
      'on PATH only': { code: 0, ran: '', err: "pidproxy: couldn't exec <DIR>/onpath: ENOENT (No such file or directory)\n" },
      missing: { code: 0, ran: '', err: "pidproxy: couldn't exec <DIR>/nosuch: ENOENT (No such file or directory)\n" },
      'not executable': { code: 0, ran: '', err: "pidproxy: couldn't exec <DIR>/target.py: EACCES (Permission denied)\n" },
    });
  } finally {
    bin.cleanup();
  }
});

test('pidproxy: the command inherits what os.spawnv hands on: fds, process group, ignored signals, environment bytes, the C locale coerced', { skip }, async () => {
  const seen = await onBoth(async (impl, dir, launch) => {
    dir.file(
      'probe.sh',
      '#!/bin/sh\n' +
        // builtins only: a shell that forks blocks every signal for a moment, which a reader of its status would catch or not by timing
        'while read -r k v; do case $k in SigBlk:|SigIgn:) printf "%s\\t%s\\n" "$k" "$v" >> sigstate;; esac; done < /proc/$$/status\n' +
        // one command, no pipeline: while dash builds a pipeline it holds the previous pipe's end, which ls would list or not by timing
        'ls /proc/$$/fd > fds\n' +
        // the process group: the 3rd field after the command's name
        'echo "$(sed "s/.*) //" /proc/$$/stat | cut -d" " -f3) $(sed "s/.*) //" /proc/$PPID/stat | cut -d" " -f3)" > pgids\n' +
        'printf %s "$BYTES" | od -An -tx1 > bytes\n' +
        'env | grep -E "^(LC_|LANG)" | sort > locale\n' +
        'umask > umask\n',
      0o755,
    );
    // a value that is not UTF-8, and no locale at all (Python then coerces LC_CTYPE)
    const env = cleanEnv();
    for (const k of Object.keys(env)) if (/^(LC_|LANG)/.test(k)) delete env[k];
    const sh = `BYTES="$(printf 'a\\377b')" exec "$0" "$@"`;
    const extra = openSync(dir.file('extra', ''), 'r');
    try {
      const end = await ended(launch(['p.pid', './probe.sh'], { env, argv: ['/bin/sh', '-c', sh, proxyPath(impl, dir)], extraFd: extra }));
      assert.equal(end.code, 0);
    } finally {
      closeSync(extra);
    }
    const [probePgid, proxyPgid] = dir.read('pgids').trim().split(/\s+/);
    return {
      sigstate: dir.read('sigstate'),
      fds: dir
        .read('fds')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b)
        .map((fd) => `${fd} `)
        .join(''),
      samePgid: String(probePgid === proxyPgid),
      bytes: dir.read('bytes'),
      locale: dir.read('locale'),
      umask: dir.read('umask'),
    };
  });
  // Node marks every descriptor it inherits close-on-exec at start-up, so tsv's hands on 0, 1 and 2 only
  // (docs/differences.md); under a daemon nothing else is open
  assert.match(seen[0]?.fds ?? '', /^0 1 2 5 /, 'Supervisor hands on the inherited fd 5');
  assert.equal(seen[1]?.fds, seen[0]?.fds.replace(/^0 1 2 5 /, '0 1 2 '));
  assert.deepEqual({ ...seen[1], fds: '' }, { ...seen[0], fds: '' });
  // Python ignores SIGPIPE and SIGXFSZ, and os.spawnv hands that on; nothing is blocked
  assert.equal(seen[0]?.sigstate, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000001001000\n');
  assert.equal(seen[0]?.samePgid, 'true');
  assert.equal(seen[0]?.bytes.trim(), '61 ff 62');
  assert.equal(seen[0]?.locale, 'LC_CTYPE=C.UTF-8\n');
});

const skipDaemons = skip || (haveSupervisord() ? false : 'needs /usr/bin/supervisord');

test('pidproxy under each daemon (Supervisor with its pidproxy, tsv with tsv\'s): signal, stop and the state lines', { skip: skipDaemons }, async () => {
  const sides: Side[] = [];
  try {
    // the helpers go into each side's directory once it exists and the daemon has read its config; the program is added then
    for (const impl of ['supervisord', 'tsv'] as const) sides.push(startSide(impl, ''));
    await waitLog(sides, /RPC interface/);
    for (const side of sides) {
      side.dir.file('target.py', TARGET);
      side.dir.file('wrapper.sh', `#!/bin/sh\n${PYTHON} "$(dirname "$0")/target.py" "$(dirname "$0")/sigs" "$1" &\nwait\n`, 0o755);
      let proxy = ORACLE;
      if (side.impl === 'tsv') {
        proxy = side.dir.join('pidproxy');
        symlinkSync(join(ROOT, 'bin', 'tsv'), proxy);
      }
      rewriteConf(side, `[program:db]\ncommand=${proxy} {DIR}/t.pid {DIR}/wrapper.sh {DIR}/t.pid\nstartsecs=1\nstopwaitsecs=5\n`);
    }
    for (const side of sides) assert.deepEqual(ctlOn(side, ['update']), { status: 0, out: 'db: added process group\n' }, side.impl);
    await waitLog(sides, /success: db entered RUNNING/);
    for (const side of sides) await until(() => existsSync(side.dir.join('t.pid')), 'the target', 10000);
    for (const side of sides) assert.equal(ctlOn(side, ['signal', 'HUP', 'db']).out, 'db: signalled\n');
    for (const side of sides) await until(() => side.dir.read('sigs').includes('SIGHUP'), 'HUP at the target', 10000);
    for (const side of sides) assert.equal(ctlOn(side, ['stop', 'db']).out, 'db: stopped\n');
    await waitLog(sides, /stopped: db/);
    for (const side of sides) await until(() => side.dir.read('sigs') === 'SIGHUP\nSIGTERM\n', 'TERM at the target', 10000);
    const [py, ts] = sides.map((s) => normalizeLog(s.log(), s.dir.path).filter((l) => /'db'| db /.test(l)));
    assert.deepEqual(ts, py);
    assert.deepEqual(py, [
      "INFO spawned: 'db' with pid <PID>",
      'INFO success: db entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)',
      'INFO waiting for db to stop',
      'INFO stopped: db (exit status 0)',
    ]);
  } finally {
    await stopSides(sides);
    for (const side of sides) {
      try {
        process.kill(Number(side.dir.read('t.pid')), 'SIGKILL');
      } catch {
        // gone
      }
    }
    cleanupSides(sides);
  }
});

test("pidproxy: Python's os.path.abspath, by text", { skip: existsSync(PYTHON) ? false : 'needs python3' }, () => {
  const cases: [string, string][] = [
    ['x', '/w'], ['./x', '/w'], ['../x', '/w/v'], ['a/../../b', '/w'], ['../../../../x', '/w'], ['', '/w'], ['.', '/w'],
    ['/abs//x/./y/', '/w'], ['//x', '/w'], ['///x', '/w'], ['//', '/w'], ['x/..', '/'], ['..', '/'], ['a//b', '/w/'],
  ];
  const script = 'import json,sys,posixpath\nfor p,c in json.load(sys.stdin): print(posixpath.normpath(posixpath.join(c,p)))';
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(cases.map(([p, c]) => pyAbspath(p, c)), r.stdout.trimEnd().split('\n'));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
