// `tsv logs`: many processes' logs in one view, against tsv and against the
// real supervisord (the same output for the same logs), the history-to-stream
// seam without a line lost or repeated on either, unfinished lines, logs that
// join later (tsv), errors, and the daemon going away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { rotatedLog, withTimeout } from './helpers/daemon-env';
import { SUPERVISORCTL, oracleSkip, startDaemon, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { bytesAfterTruncation, lastLines, overlap, textAfter, LineWriter, LogOutput } from '../src/ctl/log-lines';

function tsvLogs(d: Daemon, ...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [TSV, '-c', d.conf, 'logs', ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

interface Following {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

function followLogs(d: Daemon, ...args: string[]): Following {
  const child = spawn(process.execPath, [TSV, '-c', d.conf, 'logs', ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function stopFollowing(f: Following): Promise<number | string | null> {
  f.child.kill('SIGINT');
  const code = await withTimeout(f.exited, 10000, 'tsv logs to exit');
  return code ?? f.child.signalCode;
}

/** Programs that write a known history, then stay quiet. */
const FIXED =
  "[program:alpha]\ncommand=/bin/sh -c 'for i in 1 2 3 4 5; do echo alpha $i; done; exec sleep 100'\n" +
  "[program:both]\ncommand=/bin/sh -c 'echo out line; echo err 1 >&2; echo err 2 >&2; exec sleep 100'\n" +
  "[program:merged]\ncommand=/bin/sh -c 'echo to stderr >&2; exec sleep 100'\nredirect_stderr=true\n" +
  // stdout and stderr in one file: shown once (the file), as stdout
  "[program:shared]\ncommand=/bin/sh -c 'echo s out; sleep 0.2; echo s err >&2; exec sleep 100'\nstdout_logfile={DIR}/shared.log\nstderr_logfile={DIR}/shared.log\n" +
  "[program:silent]\ncommand=/bin/sh -c 'echo never seen; exec sleep 100'\nstdout_logfile=NONE\nstderr_logfile=NONE\n" +
  "[group:g]\nprograms=w1,w2\n" +
  "[program:w1]\ncommand=/bin/sh -c 'echo w1 says; exec sleep 100'\n" +
  "[program:w2]\ncommand=/bin/sh -c 'printf \"no newline\"; exec sleep 100'\n";

/** Labelled lines as `tsv logs` writes them, the label column as wide as the widest label. */
function labelled(rows: [label: string, text: string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, t]) => `${l.padEnd(width)} | ${t}\n`).join('');
}

// in getAllProcessInfo's order (groups by name), which both daemons share
const FIXED_EXPECTED = labelled([
  ['alpha', 'alpha 3'],
  ['alpha', 'alpha 4'],
  ['alpha', 'alpha 5'],
  ['both', 'out line'],
  ['both (stderr)', 'err 1'],
  ['both (stderr)', 'err 2'],
  ['g:w1', 'w1 says'],
  ['g:w2', 'no newline'],
  ['merged', 'to stderr'],
  ['shared', 's out'],
  ['shared', 's err'],
]);

async function fixedDaemon(impl: Impl): Promise<Daemon> {
  const d = startDaemon(impl, FIXED);
  await waitUp(d);
  await until(() => /no newline[^]*s err/.test(tsvLogs(d, '--no-follow').out), `${impl}: every program has written`);
  return d;
}

test('logs --no-follow: the last lines of every log, labelled, the same from tsv and from supervisord', { skip: oracleSkip, timeout: 90000 }, async () => {
  const outs: Record<string, string> = {};
  for (const impl of ['tsv', 'supervisord'] as const) {
    const d = await fixedDaemon(impl);
    try {
      const r = tsvLogs(d, '-n', '3', '--no-follow');
      assert.equal(r.code, 0, r.err);
      // ordered as getAllProcessInfo orders them (by group name), so the two daemons agree
      outs[impl] = r.out;
      assert.equal(
        tsvLogs(d, '--lines=1', '--nostream', 'both', 'g:*').out,
        labelled([
          ['both', 'out line'],
          ['both (stderr)', 'err 2'],
          ['g:w1', 'w1 says'],
          ['g:w2', 'no newline'],
        ]),
      );
      assert.equal(tsvLogs(d, '-n0', '--no-follow', 'alpha').out, '', '-n 0: no history');
      const bad = tsvLogs(d, '--no-follow', 'alpha', 'nosuch', 'nogroup:*');
      assert.equal(bad.code, 1);
      assert.equal(bad.out, 'nosuch: ERROR (no such process)\nnogroup: ERROR (no such group)\n');
      // a program whose logs are NONE: said as tail says it; followed alone, nothing could ever come
      for (const follow of [[], ['--no-follow']]) {
        const none = tsvLogs(d, ...follow, 'silent');
        assert.deepEqual([none.code, none.out, none.err], [1, '', 'silent: ERROR (no log file)\n'], `logs ${follow.join(' ')} silent`);
      }
      const mixed = tsvLogs(d, '-n1', '--no-follow', 'silent', 'alpha');
      assert.deepEqual([mixed.code, mixed.out, mixed.err], [1, 'alpha | alpha 5\n', 'silent: ERROR (no log file)\n']);
      const badArg = tsvLogs(d, '-n', 'x');
      assert.equal(badArg.code, 2);
      assert.match(badArg.out, /^Error: bad argument -n x\nlogs\t/);
      for (const [args, shown] of [[['-n', '1000000'], '-n 1000000'], [['-n1000000'], '-n1000000'], [['--lines=1000000'], '--lines=1000000']] as const) {
        const tooMany = tsvLogs(d, '--no-follow', ...args);
        assert.equal(tooMany.code, 2);
        assert.match(tooMany.out, new RegExp(`^Error: bad argument ${shown} \\(999999 at most\\)\nlogs\t`));
      }
      assert.equal(tsvLogs(d, '--no-follow', '-n', '999999', 'alpha').code, 0);
    } finally {
      d.cleanup();
    }
  }
  assert.equal(outs.tsv, FIXED_EXPECTED);
  assert.equal(outs.supervisord, outs.tsv);
});

for (const impl of ['tsv', 'supervisord'] as const) {
  test(`logs shows a file several processes write (numprocs, one stdout_logfile) once, labelled with their group (${impl})`, { skip: impl === 'supervisord' ? oracleSkip : false, timeout: 60000 }, async () => {
    const d = startDaemon(
      impl,
      "[program:w]\ncommand=/bin/sh -c 'echo start $SUPERVISOR_PROCESS_NAME; sleep 1.5; echo later $SUPERVISOR_PROCESS_NAME; exec sleep 100'\n" +
        'numprocs=2\nprocess_name=%(program_name)s_%(process_num)s\nstdout_logfile={DIR}/w.log\n' +
        "[program:solo]\ncommand=/bin/sh -c 'echo solo; exec sleep 100'\n",
    );
    try {
      await waitUp(d);
      const f = followLogs(d);
      await until(() => (f.out().match(/later/g) ?? []).length >= 2, 'the later lines of both processes');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await stopFollowing(f), 0, f.err());
      const sorted = (t: string): string[] => t.split('\n').filter(Boolean).map((l) => l.replace(/ +\|/, ' |')).sort();
      assert.deepEqual(sorted(f.out()), ['later w_0', 'later w_1', 'solo', 'start w_0', 'start w_1'].map((t) => (t === 'solo' ? 'solo | solo' : `w:* | ${t}`)).sort());
      const once = tsvLogs(d, '--no-follow');
      assert.deepEqual(sorted(once.out), sorted(f.out()));
      // one of them alone: the file it writes, under its own name
      assert.deepEqual(sorted(tsvLogs(d, '--no-follow', 'w:w_1').out), ['w:w_1 | later w_0', 'w:w_1 | later w_1', 'w:w_1 | start w_0', 'w:w_1 | start w_1']);
    } finally {
      d.cleanup();
    }
  });
}

/** A program writing numbered lines every 2 ms: the seam between history and stream is crossed while it writes. */
const COUNTER = "[program:count]\ncommand=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"n $i\"; sleep 0.002; done'\n";

for (const impl of ['tsv', 'supervisord'] as const) {
  test(`logs follows from where the history ends, no line lost or repeated (${impl})`, { skip: impl === 'supervisord' ? oracleSkip : false, timeout: 60000 }, async () => {
    const d = startDaemon(impl, COUNTER);
    try {
      await waitUp(d);
      await until(
        () => Number(/ n (\d+)$/m.exec(tsvLogs(d, '--no-follow', '-n', '1').out)?.[1] ?? 0) > 300,
        `${impl}: the counter past 300 lines (more than the 1,024 bytes supervisord's stream repeats)`,
      );
      for (let round = 0; round < 3; round++) {
        const f = followLogs(d, '-n', '5', 'count');
        await until(() => f.out().split('\n').length > 200, 'two hundred lines followed');
        assert.equal(await stopFollowing(f), 0);
        const nums = f
          .out()
          .split('\n')
          .filter((l) => l)
          .map((l) => {
            const m = /^count +\| n (\d+)$/.exec(l);
            assert.ok(m, `a labelled line: ${JSON.stringify(l)}`);
            return Number(m[1]);
          });
        for (let i = 1; i < nums.length; i++) assert.equal(nums[i], (nums[i - 1] as number) + 1, `line ${i} follows line ${i - 1}: ${nums.slice(Math.max(0, i - 3), i + 3).join(',')}`);
      }
    } finally {
      d.cleanup();
    }
  });
}

test('tail -f and maintail -f into a pipe whose reader goes away (| head -2): the broken pipe is said on stderr, status 0, as supervisorctl says it', { skip: oracleSkip, timeout: 60000 }, async () => {
  const d = startDaemon('tsv', '[program:tick]\ncommand=/bin/sh -c "while :; do echo tick; sleep 0.1; done"\nstartsecs=0\n');
  try {
    await waitUp(d);
    const seen: Record<string, string[]> = {};
    for (const [who, ctl] of [
      ['supervisorctl', `${SUPERVISORCTL} -c ${d.conf}`],
      ['tsv ctl', `${process.execPath} ${TSV} ctl -c ${d.conf}`],
    ] as const) {
      for (const verb of ['tail -f tick', 'maintail -f']) {
        const r = spawnSync('bash', ['-c', `${ctl} ${verb} 2>err | head -2 >/dev/null; echo "rc=\${PIPESTATUS[0]}"; cat err`], {
          encoding: 'utf8',
          cwd: d.dir.path,
          env: cleanEnv(),
          timeout: 20000,
          input: '',
        });
        (seen[who] ??= []).push(r.stdout);
      }
    }
    assert.deepEqual(seen['tsv ctl'], seen.supervisorctl);
    assert.match(seen.supervisorctl?.[0] ?? '', /^rc=0\nunix:\/\/.*\/logtail\/tick\/stdout Cannot connect, error: <class 'BrokenPipeError'> \(\[Errno 32\] Broken pipe\)\n$/);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('a log that is a FIFO no one writes to (its program not running): tail fails at once and tail -f shows nothing, and the daemon goes on answering (an open of it waited for a writer and froze the daemon)', { timeout: 60000 }, async () => {
  const d = startDaemon('tsv', '[program:f]\ncommand=/bin/sleep 100\nautostart=false\nstdout_logfile=%(here)s/fifo\n');
  spawnSync('mkfifo', [d.dir.join('fifo')]);
  try {
    await waitUp(d);
    const t0 = Date.now();
    await assert.rejects(d.rpc.call('supervisor.readProcessStdoutLog', ['f', 0, 100]), /FAILED/);
    const tail = spawnSync(process.execPath, [TSV, 'ctl', '-c', d.conf, 'tail', 'f'], { encoding: 'utf8', env: cleanEnv(), timeout: 10000 });
    assert.equal(tail.stdout, 'f: ERROR (unknown error reading log)\n');
    assert.equal(tail.status, 1);
    const follow = spawn(process.execPath, [TSV, 'ctl', '-c', d.conf, 'tail', '-f', 'f'], { env: cleanEnv(), stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await withTimeout(d.rpc.call('supervisor.getState'), 5000, 'the daemon to answer while tail -f runs').then((s) => (s as { statename: string }).statename), 'RUNNING');
    } finally {
      follow.kill();
    }
    assert.ok(Date.now() - t0 < 15000);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('logs on tsv: a process that starts later and a group added by update join the view, the group with every line it wrote (not its last N: all are new), none of what its fixed log held before; a line without newline shows', { timeout: 60000 }, async () => {
  const body = "[program:late]\ncommand=/bin/sh -c 'echo late arrives; printf \"prompt> \"; exec sleep 100'\nautostart=false\n";
  const d = startDaemon('tsv', body);
  let follower: Following | null = null;
  try {
    await waitUp(d);
    const f = followLogs(d);
    follower = f;
    // the event stream is open once the history of the others has been read; `late` has no file yet
    await new Promise((r) => setTimeout(r, 700));
    await d.rpc.call('supervisor.startProcess', ['late']);
    await until(() => /^late +\| late arrives$/m.test(f.out()), 'the late starter in the view');
    await until(() => /^late +\| prompt> $/m.test(f.out()), 'the unfinished line after a pause');
    // more lines at once than the view's -n (10): all of them are new output
    writeFileSync(d.dir.join('fixed.log'), 'an earlier run\n');
    d.rewrite(
      body +
        "[program:added]\ncommand=/bin/sh -c 'echo added says hi; for i in $(seq 1 30); do echo added line $i; done; exec sleep 100'\n" +
        "[program:fixed]\ncommand=/bin/sh -c 'echo fixed says hi; exec sleep 100'\nstdout_logfile={DIR}/fixed.log\n",
    );
    await d.rpc.call('supervisor.reloadConfig', []);
    await d.rpc.call('supervisor.addProcessGroup', ['added']);
    await d.rpc.call('supervisor.addProcessGroup', ['fixed']);
    await until(() => /^added +\| added line 30$/m.test(f.out()) && /^fixed +\| fixed says hi$/m.test(f.out()), 'the added groups in the view');
    assert.match(f.out(), /^added +\| added says hi$/m);
    for (let i = 1; i <= 30; i++) assert.match(f.out(), new RegExp(`^added +\\| added line ${i}$`, 'm'));
    assert.doesNotMatch(f.out(), /an earlier run/);
    assert.equal(await stopFollowing(f), 0);
    assert.equal(f.err(), '');
  } finally {
    if (follower && follower.child.exitCode === null) follower.child.kill('SIGKILL'); // a failed wait leaves it following
    d.cleanup();
  }
});

test('tsv ctl reads, from tsv, logs holding what XML forbids: U+FFFE, U+FFFF, a private-use character beside a colour code (tail, maintail, logs)', { timeout: 60000 }, async () => {
  // tsv answers its own ctl such strings in XML as Python writes them (raw); the ctl's lenient reading failed on
  // U+FFFE/U+FFFF, and on controls once a character of U+E000-U+E01F was there too
  const body =
    "[program:c]\ncommand=/bin/sh -c 'printf \"icon \\356\\200\\201 \\033[1mbold\\033[0m\\n\"; exec sleep 100'\nstartsecs=0\nstdout_logfile={DIR}/c.out\n" +
    "[program:d]\ncommand=/bin/sh -c 'printf \"bin \\357\\277\\276 \\357\\277\\277 x\\n\"; exec sleep 100'\nstartsecs=0\nstdout_logfile={DIR}/d.out\n";
  const lines = { c: 'icon \ue001 \x1b[1mbold\x1b[0m\n', d: 'bin \ufffe \uffff x\n' };
  const d = startDaemon('tsv', body, { loglevel: 'debug' });
  try {
    await waitUp(d);
    for (const name of ['c', 'd'] as const) await until(() => existsSync(d.dir.join(`${name}.out`)) && readFileSync(d.dir.join(`${name}.out`), 'utf8') === lines[name], `${name}'s line in its log`);
    const ctl = (...args: string[]) => spawnSync(process.execPath, [TSV, '-c', d.conf, ...args], { env: cleanEnv(), timeout: 20000 });
    for (const name of ['c', 'd'] as const) {
      const r = ctl('tail', name);
      assert.equal(r.stderr.toString(), '', `tail ${name}`);
      assert.equal(r.status, 0);
      assert.deepEqual(r.stdout, Buffer.from(`${lines[name]}\n`), `tail ${name}: the log's bytes (and the newline supervisorctl's output adds)`);
    }
    const main = ctl('maintail', '-100000');
    assert.equal(main.status, 0, main.stderr.toString());
    for (const name of ['c', 'd'] as const) assert.ok(main.stdout.toString().includes(lines[name]), `maintail: ${name}'s output echoed at debug level`);
    const view = tsvLogs(d, '--no-follow');
    assert.equal(view.err, '');
    assert.equal(view.code, 0);
    assert.equal(view.out, labelled([['c', lines.c.trimEnd()], ['d', lines.d.trimEnd()]]));
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('logs follows a log past 2 GiB on tsv: its last lines, then each new line once (tailProcessLog cannot say where such a file ends)', { timeout: 60000 }, async () => {
  const d = startDaemon(
    'tsv',
    "[program:big]\ncommand=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo new $i; sleep 0.1; done'\nstdout_logfile={DIR}/big.log\nstdout_logfile_maxbytes=0\nautostart=false\n",
  );
  try {
    await waitUp(d);
    // 3 GiB without the blocks: a hole, then a line
    const log = d.dir.join('big.log');
    writeFileSync(log, '');
    truncateSync(log, 3 * 2 ** 30);
    appendFileSync(log, '\nold line\n');
    await d.rpc.call('supervisor.startProcess', ['big']);
    const end = (): string => {
      const fd = openSync(log, 'r');
      try {
        const b = Buffer.alloc(64);
        return b.subarray(0, readSync(fd, b, 0, b.length, fstatSync(fd).size - b.length)).toString();
      } finally {
        closeSync(fd);
      }
    };
    await until(() => end().includes('new 3'), 'a few lines in the log');
    // history enough for every line so far, then lines that only the stream can show
    const last = Number(/new (\d+)\n$/.exec(end())?.[1]);
    const f = followLogs(d, '-n', '1000', 'big');
    await until(() => f.out().includes(`| new ${last + 5}\n`) || f.out().includes('\0'), 'lines written after the history in the view');
    assert.equal(await stopFollowing(f), 0);
    assert.doesNotMatch(f.out(), /\0/, 'the hole was read as lines');
    const lines = f.out().split('\n').filter(Boolean).map((l) => l.replace(/^big +\| /, ''));
    assert.equal(lines[0], 'old line', f.out().slice(0, 300));
    const numbers = lines.slice(1).map((l) => Number(/^new (\d+)$/.exec(l)?.[1]));
    assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'every new line once, in order');
    assert.equal(f.err(), '');
  } finally {
    d.cleanup();
  }
});

test('logs follows 300 logs at once (150 programs) on tsv, and the daemon still answers status meanwhile', { timeout: 120000 }, async () => {
  const N = 150;
  let body = '';
  for (let i = 0; i < N; i++) body += `[program:p${i}]\ncommand=/bin/sh -c 'echo p${i} up; while read l; do echo "$l out"; echo "$l err" >&2; done'\n`;
  const d = startDaemon('tsv', body);
  try {
    await waitUp(d, 60000);
    await until(() => tsvLogs(d, '--no-follow', '-n', '1').out.split('\n').filter((l) => / up$/.test(l)).length === N, 'every program up', 60000);
    const f = followLogs(d, '-n', '1');
    await until(() => f.out().split('\n').filter((l) => / up$/.test(l)).length === N, 'the history of every log', 60000);
    // the last history line is read just before its stream opens
    await new Promise((r) => setTimeout(r, 1000));
    const status = spawnSync(process.execPath, [TSV, '-c', d.conf, 'status'], { encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
    assert.equal(status.status, 0, status.stdout + status.stderr);
    assert.equal(status.stdout.trimEnd().split('\n').length, N);
    for (let i = 0; i < N; i++) await d.rpc.call('supervisor.sendProcessStdin', [`p${i}`, `ping${i}\n`]);
    const seen = (): number => f.out().split('\n').filter((l) => /^p\d+(?: \(stderr\))? +\| ping\d+ (out|err)$/.test(l)).length;
    await until(() => seen() === 2 * N, `a ping on stdout and stderr of all ${N} (seen: ${seen()})`, 30000);
    for (let i = 0; i < N; i++) {
      assert.match(f.out(), new RegExp(`^p${i} +\\| ping${i} out$`, 'm'));
      assert.match(f.out(), new RegExp(`^p${i} \\(stderr\\) +\\| ping${i} err$`, 'm'));
    }
    assert.equal(await stopFollowing(f), 0);
    assert.equal(f.err(), '');
  } finally {
    d.cleanup();
  }
});

const RELOADED =
  "[program:explicit]\ncommand=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"e $i\"; sleep 0.01; done'\nstdout_logfile={DIR}/explicit.log\n" +
  "[program:auto]\ncommand=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"a $i\"; sleep 0.01; done'\n";

/** The numbers of a program's lines in the view, in order. */
function numbers(out: string, label: string): number[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(`${label} `))
    .map((l) => Number(/\| \w (\d+)$/.exec(l)?.[1]));
}

/** Reloads the daemon under a following view; returns once the program's new run (one more line 1) has passed line 50. */
async function reloadAndNewRun(d: Daemon, f: Following, label: string): Promise<void> {
  const ones = (): number => numbers(f.out(), label).filter((n) => n === 1).length;
  const before = ones();
  await d.rpc.call('supervisor.restart', []);
  await until(() => f.err().includes('logs: the daemon is back\n'), 'the daemon back', 30000);
  await until(() => ones() > before && (numbers(f.out(), label).at(-1) as number) > 50, 'lines of the new run');
}

/** A program's numbered lines as shown: its first run, then (from the last line 1) its second, each without a gap or a repeat. */
function assertTwoRuns(shown: number[], label: string): void {
  const restart = shown.lastIndexOf(1);
  for (const run of [shown.slice(0, restart), shown.slice(restart)]) {
    for (let i = 1; i < run.length; i++) assert.equal(run[i], (run[i - 1] as number) + 1, `${label}: ${run.slice(Math.max(0, i - 3), i + 3).join(',')}`);
  }
}

for (const impl of ['tsv', 'supervisord'] as const) {
  test(`logs goes on across a reload: the same file from where it was, a new AUTO file from its start (${impl})`, { skip: impl === 'supervisord' ? oracleSkip : false, timeout: 60000 }, async () => {
    const d = startDaemon(impl, RELOADED);
    try {
      await waitUp(d);
      const f = followLogs(d, '-n', '3');
      await until(() => numbers(f.out(), 'auto').length > 50, 'lines before the reload');
      await reloadAndNewRun(d, f, 'auto');
      assert.equal(await stopFollowing(f), 0, f.err());
      assert.equal(f.err(), 'logs: the daemon closed the log streams (it stopped or is reloading); waiting for it (Ctrl-C to exit)\nlogs: the daemon is back\n');
      // the explicit log is one file: what was shown is a stretch of it, no line left out or repeated
      const shown = f.out().split('\n').filter((l) => l.startsWith('explicit ')).map((l) => l.replace(/^explicit +\| /, ''));
      const file = readFileSync(d.dir.join('explicit.log'), 'utf8').split('\n');
      const at = file.indexOf(shown[0] as string);
      assert.ok(at >= 0 && shown.length > 50, `${shown.length} lines shown from line ${at}`);
      assert.deepEqual(shown, file.slice(at, at + shown.length), 'the explicit log as shown is the file');
      assert.ok(shown.includes('e 1'), 'a line of the second run');
      // the AUTO log has a new file after the reload: its lines from the first, one run after the other
      assertTwoRuns(numbers(f.out(), 'auto'), 'auto');
    } finally {
      d.cleanup();
    }
  });
}

test('logs goes on across a reload after the log rotated (and was cleared) while followed: no line shown twice or left out', { timeout: 60000 }, async () => {
  const d = startDaemon('tsv', RELOADED.replace('stdout_logfile={DIR}/explicit.log\n', 'stdout_logfile={DIR}/explicit.log\nstdout_logfile_maxbytes=2KB\nstdout_logfile_backups=2\n'));
  try {
    await waitUp(d);
    const f = followLogs(d, '-n', '3', 'explicit');
    // 2 KB hold ~300 lines: a few rotations, then a clear (a new file too)
    await until(() => numbers(f.out(), 'explicit').length > 700, 'lines over a few rotations', 30000);
    await d.rpc.call('supervisor.clearProcessLogs', ['explicit']);
    const cleared = numbers(f.out(), 'explicit').length;
    await until(() => numbers(f.out(), 'explicit').length > cleared + 50, 'lines after the clear');
    await reloadAndNewRun(d, f, 'explicit');
    assert.equal(await stopFollowing(f), 0, f.err());
    assertTwoRuns(numbers(f.out(), 'explicit'), 'explicit');
  } finally {
    d.cleanup();
  }
});

test('logs across a reload after its fixed log was deleted meanwhile: the new, shorter file is shown from its start at once (a small old file held it back until the new one outgrew it)', { timeout: 60000 }, async (t) => {
  const old = 'x'.repeat(300);
  const d = startDaemon('tsv', `[program:fixed]\ncommand=/bin/sh -c 'if [ -e {DIR}/second ]; then echo new run; else echo ${old}; touch {DIR}/second; fi; exec sleep 100'\nstdout_logfile={DIR}/fixed.log\n`);
  try {
    await waitUp(d);
    const f = followLogs(d, '-n', '3', 'fixed');
    // it waits for a daemon that went: stopped whatever fails
    t.after(() => stopFollowing(f));
    await until(() => f.out().includes(old), 'the old run shown');
    rmSync(d.dir.join('fixed.log'));
    await d.rpc.call('supervisor.restart', []);
    await until(() => /\nfixed +\| new run\n/.test(f.out()), "the new run's line", 20000);
    assert.equal(await stopFollowing(f), 0, f.err());
  } finally {
    d.cleanup();
  }
});

// tsv only: supervisord 4.2.5's stream stops at a truncation (docs/differences.md, 'tail -f, truncation and rotation')
test("logs after a log was truncated in place (logrotate's copytruncate): the mark, the file from its start, and across a reload on from there", { timeout: 60000 }, async () => {
  const d = startDaemon('tsv', RELOADED);
  try {
    await waitUp(d);
    const f = followLogs(d, '-n', '3', 'explicit');
    const afterMark = (): string => f.out().split('==> File truncated <==\n')[1] ?? '';
    await until(() => f.out().split('\n').length > 30, 'lines before the truncation');
    truncateSync(d.dir.join('explicit.log'), 0);
    await until(() => f.out().includes('| ==> File truncated <==\n'), 'the truncation mark');
    await until(() => afterMark().split('\n').length > 30, 'lines after the truncation');
    await reloadAndNewRun(d, f, 'explicit');
    assert.equal(await stopFollowing(f), 0, f.err());
    // after the mark, what was shown is the file from its first line: nothing skipped or shown twice across the reload
    // (the offset the view goes on from counts from the mark, not from the first byte it showed)
    const shown = afterMark().split('\n').filter((l) => l !== '').map((l) => l.replace(/^explicit +\| /, ''));
    const file = readFileSync(d.dir.join('explicit.log'), 'utf8').split('\n');
    assert.ok(shown.includes('e 1') && shown.length > 40, `${shown.length} lines shown`);
    assert.deepEqual(shown, file.slice(0, shown.length), 'the truncated log as shown is the file');
  } finally {
    d.cleanup();
  }
});

test('logs waits for a daemon that stopped and goes on when it is back; with nothing to follow it says so', { skip: oracleSkip, timeout: 60000 }, async () => {
  const d = startDaemon('tsv', "[program:p]\ncommand=/bin/sh -c 'echo hi from $$; exec sleep 100'\nstdout_logfile={DIR}/p.log\n");
  let again: ChildProcess | null = null;
  try {
    await waitUp(d);
    const f = followLogs(d);
    await until(() => /^p +\| hi from \d+$/m.test(f.out()), 'the history');
    await d.stop();
    await until(() => f.err().includes('waiting for it (Ctrl-C to exit)'), 'the note');
    assert.equal(f.child.exitCode, null, 'still waiting');
    again = spawn(process.execPath, [TSV, 'daemon', '-n', '-c', d.conf], { env: cleanEnv(), stdio: 'ignore' });
    await until(() => f.out().split('\n').filter((l) => /^p +\| hi from \d+$/.test(l)).length === 2, 'the line of the second start');
    assert.equal(await stopFollowing(f), 0, f.err());
    assert.equal(f.err(), 'logs: the daemon closed the log streams (it stopped or is reloading); waiting for it (Ctrl-C to exit)\nlogs: the daemon is back\n');
  } finally {
    again?.kill('SIGTERM');
    if (again) await withTimeout(new Promise((r) => again?.on('exit', r)), 20000, 'the second daemon to exit').catch(() => again?.kill('SIGKILL'));
    d.cleanup();
  }
  const s = startDaemon('supervisord', "[program:quiet]\ncommand=sleep 100\nstdout_logfile=NONE\nstderr_logfile=NONE\n");
  try {
    await waitUp(s);
    const r = tsvLogs(s);
    assert.equal(r.code, 1);
    assert.match(r.out, /^Error: no log file to follow/);
  } finally {
    s.cleanup();
  }
});

test('logs on supervisord goes on after a log rotated with backups=0 (supervisord ends its stream when the file shrinks), beside another log and alone, without taking it for the daemon gone', { skip: oracleSkip, timeout: 60000 }, async () => {
  // about 400 lines a second into 4 KB files: a rotation every half second or so
  const writer = (name: string): string => `/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "${name} line $i"; [ $((i%%20)) = 0 ] && sleep 0.05; done'`;
  const d = startDaemon(
    'supervisord',
    `[program:pair]\ncommand=${writer('pair')}\nstdout_logfile={DIR}/pair.log\nstdout_logfile_maxbytes=4KB\nstdout_logfile_backups=0\nstderr_logfile={DIR}/pair.err\n` +
      `[program:lone]\ncommand=${writer('lone')}\nredirect_stderr=true\nstdout_logfile={DIR}/lone.log\nstdout_logfile_maxbytes=4KB\nstdout_logfile_backups=0\n`,
  );
  try {
    await waitUp(d);
    for (const name of ['pair', 'lone']) {
      const f = followLogs(d, name);
      const lastShown = (): number => Math.max(0, ...[...f.out().matchAll(new RegExp(`^${name} +\\| ${name} line (\\d+)$`, 'gm'))].map((m) => Number(m[1])));
      const start = lastShown();
      try {
        // a dozen rotations or more (before: the pair's log stopped at the first, the lone one said the daemon had gone at each)
        await until(() => lastShown() >= start + 3000 || f.err() !== '', `${name}: lines after many rotations`, 20000);
        assert.equal(f.err(), '', name);
        assert.ok(lastShown() >= start + 3000, `${name}: the last line shown is ${lastShown()}`);
      } finally {
        assert.equal(await stopFollowing(f), 0, f.err());
      }
    }
  } finally {
    await d.stop();
    d.cleanup();
  }
});

for (const impl of ['tsv', 'supervisord'] as const) {
  test(`tail -f of programs named in UTF-8 (café, emoji🙂), by supervisorctl and by tsv ctl (${impl})`, { skip: oracleSkip, timeout: 60000 }, async () => {
    // supervisorctl puts the name in the request line as UTF-8 bytes, which node:http's parser
    // refused (400); tsv ctl sent é as one byte and could not send 🙂 at all
    const d = startDaemon(
      impl,
      "[program:café]\ncommand=/bin/sh -c 'while :; do echo tick; sleep 0.1; done'\n" + "[program:emoji🙂]\ncommand=/bin/sh -c 'while :; do echo smile; sleep 0.1; done'\n",
    );
    try {
      await waitUp(d);
      for (const [name, line] of [['café', 'tick'], ['emoji🙂', 'smile']] as const) {
        for (const client of [[SUPERVISORCTL], [process.execPath, TSV, 'ctl']]) {
          const cmd = client[0] as string;
          const child = spawn(cmd, [...client.slice(1), '-c', d.conf, 'tail', '-f', name], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
          child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
          const exited = new Promise((r) => child.on('exit', r));
          await until(() => out.split(`${line}\n`).length > 2 || err !== '' || child.exitCode !== null, `${client.join(' ')} tail -f ${name}`).catch(() => undefined);
          child.kill('SIGINT');
          await withTimeout(exited, 10000, 'tail -f to exit');
          // supervisorctl's own race at Ctrl-C: a SIGINT that lands in its HTTP client's callback is printed as a failed connect
          const said = err.replace(/^\S+ Cannot connect, error: <class 'KeyboardInterrupt'> \(\)\n$/m, '');
          assert.equal(said, '', `${client.join(' ')} tail -f ${name}`);
          assert.match(out, new RegExp(`^==> Press Ctrl-C to exit <==\n(${line}\n){2}`), `${client.join(' ')} tail -f ${name}`);
        }
      }
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

/** Where a log stream of tsv's begins (X-Tsv-Log-Offset) and its first line. */
interface StreamStart {
  offset: string | undefined;
  body: string;
}

async function firstLineOf(d: Daemon, path: string): Promise<StreamStart> {
  const res = await d.rpc.stream(path);
  const offset = res.headers['x-tsv-log-offset'] as string | undefined;
  let text = '';
  const line = new Promise<string>((resolve) => {
    res.setEncoding('utf8').on('data', (c: string) => {
      text += c;
      if (text.endsWith('\n')) resolve(text);
    });
  });
  try {
    return { offset, body: await withTimeout(line, 5000, `a line from ${path} (so far ${JSON.stringify(text)})`) };
  } finally {
    res.destroy();
  }
}

test('/logtail?offset=N on tsv starts there and says where (X-Tsv-Log-Offset, also without it); past the end of a shorter file, from its start', { timeout: 30000 }, async () => {
  const d = startDaemon('tsv', "[program:p]\ncommand=/bin/sh -c 'echo 0123456789; exec sleep 100'\n");
  try {
    await waitUp(d);
    await until(() => tsvLogs(d, '--no-follow').out.includes('0123456789'), 'the line');
    const read = (path: string): Promise<StreamStart> => firstLineOf(d, path);
    assert.deepEqual(await read('/logtail/p/stdout?offset=4'), { offset: '4', body: '456789\n' });
    assert.deepEqual(await read('/logtail/p?offset=999'), { offset: '0', body: '0123456789\n' });
    // without it, Supervisor's stream (the last 1,024 bytes), and where it begins
    assert.deepEqual(await read('/logtail/p'), { offset: '0', body: '0123456789\n' });
  } finally {
    d.cleanup();
  }
});

test('/logtail?from=run on tsv: from where the process\'s first run began writing (not what its fixed log held before), the whole file once rotated since (moved away, or emptied in place with no backups), the end before any run', { timeout: 30000 }, async () => {
  // every log holds more than the 1,024 bytes a stream without the query begins with, so only the query gives these offsets
  const old = `${'an earlier run '.repeat(100)}\n`;
  const zeros = `${'0'.repeat(2500)}\n`;
  const d = startDaemon(
    'tsv',
    "[program:q]\ncommand=/bin/sh -c 'echo this run; exec sleep 100'\nstdout_logfile={DIR}/q.log\n" +
      // its first line takes the file past maxbytes and it is rotated; the new file grows past where the run began in the old one
      `[program:r]\ncommand=/bin/sh -c 'printf "%%02000d\\n" 1; sleep 0.3; printf "%%02500d\\n" 0; exec sleep 100'\nstdout_logfile={DIR}/r.log\nstdout_logfile_maxbytes=3000\nstdout_logfile_backups=1\n` +
      // the same, with no backups: the file is emptied in place (same inode), then grows past where the run began
      `[program:t]\ncommand=/bin/sh -c 'printf "%%02000d\\n" 1; sleep 0.3; printf "%%02500d\\n" 0; exec sleep 100'\nstdout_logfile={DIR}/t.log\nstdout_logfile_maxbytes=3000\nstdout_logfile_backups=0\n` +
      "[program:s]\ncommand=/bin/sh -c 'echo s runs; exec sleep 100'\nstdout_logfile={DIR}/s.log\nautostart=false\n",
  );
  try {
    for (const name of ['q', 'r', 's', 't']) writeFileSync(d.dir.join(`${name}.log`), old);
    await waitUp(d);
    await until(() => readFileSync(d.dir.join('q.log'), 'utf8').endsWith('this run\n'), 'q wrote');
    await until(() => existsSync(d.dir.join('r.log.1')) && readFileSync(d.dir.join('r.log'), 'utf8') === zeros, 'r rotated and wrote again');
    const first = (path: string): Promise<StreamStart> => firstLineOf(d, path);
    assert.deepEqual(await first('/logtail/q?from=run'), { offset: String(old.length), body: 'this run\n' });
    assert.deepEqual(await first('/logtail/r?from=run'), { offset: '0', body: zeros });
    await until(() => readFileSync(d.dir.join('t.log'), 'utf8') === zeros, 't emptied in place and wrote again');
    assert.deepEqual(await first('/logtail/t?from=run'), { offset: '0', body: zeros });
    // s has not run: its stream begins at the end, and its run's first line is the first thing it sends
    const res = await d.rpc.stream('/logtail/s/stdout?from=run');
    assert.equal(res.headers['x-tsv-log-offset'], String(old.length));
    let text = '';
    res.setEncoding('utf8').on('data', (c: string) => (text += c));
    await d.rpc.call('supervisor.startProcess', ['s']);
    await until(() => text === 's runs\n', `s's run in the stream (so far ${JSON.stringify(text)})`);
    res.destroy();
    // s has run now: from where that run began, after what the file held
    assert.deepEqual(await first('/logtail/s?from=run'), { offset: String(old.length), body: 's runs\n' });
  } finally {
    d.cleanup();
  }
});

test('/logtail on tsv: a stream that falls behind by several rotations sends every rotated file through, in order, before the newest (nothing skipped)', { timeout: 60000 }, async () => {
  // 3 MB of numbered lines into 200 KB files: about 15 rotations while the stream's reader is paused
  const d = startDaemon(
    'tsv',
    `[program:w]\ncommand=/usr/bin/python3 -c "import sys; [sys.stdout.write(str(i).zfill(30) + chr(10)) for i in range(100000)]; sys.stdout.flush(); import time; time.sleep(100)"\n` +
      'stdout_logfile={DIR}/w.log\nstdout_logfile_maxbytes=200000\nstdout_logfile_backups=100\nautostart=false\n',
  );
  try {
    writeFileSync(d.dir.join('w.log'), ''); // there to follow before the program starts
    await waitUp(d);
    const res = await d.rpc.stream('/logtail/w/stdout?offset=0');
    res.pause();
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    await d.rpc.call('supervisor.startProcess', ['w']);
    const all = Array.from({ length: 100000 }, (_, i) => `${String(i).padStart(30, '0')}\n`).join('');
    await until(() => rotatedLog(d.dir.path, 'w.log').all.length === all.length, 'the program to write everything', 30000);
    assert.ok(existsSync(d.dir.join('w.log.10')), 'rotated more than ten times');
    res.resume();
    await until(() => Buffer.concat(chunks).length >= all.length, 'the stream to send it all', 30000);
    res.destroy();
    const got = Buffer.concat(chunks).toString('latin1');
    assert.equal(got.length, all.length, 'nothing skipped, nothing twice');
    assert.ok(got === all, 'every line, in order');
  } finally {
    d.cleanup();
  }
});

test('log-lines: the last lines of a history, the overlap of a stream with it, labelled whole lines', async () => {
  assert.equal(lastLines('a\nb\nc\n', 2, true), 'b\nc\n');
  // an unfinished last line is one of the n, as tail -n counts it; the stream finishes it
  assert.equal(lastLines('a\nb\nc\npart', 2, true), 'c\npart');
  assert.equal(lastLines('a\nb\nc\npart', 1, true), 'part');
  assert.equal(lastLines('a\nb\nc\npart', 0, true), '');
  assert.equal(lastLines('only part', 1, true), 'only part');
  assert.equal(lastLines('only part', 3, true), 'only part');
  assert.equal(lastLines('a\nb\n', 10, true), 'a\nb\n');
  assert.equal(lastLines('\n\nx\n', 10, true), '\n\nx\n', 'empty lines count');
  assert.equal(lastLines('\n\nx\n', 2, true), '\nx\n');
  assert.equal(lastLines('tail of a line\nb\n', 10, false), 'b\n', 'a cut-off first line is dropped');
  assert.equal(lastLines('no newline at all', 10, false), '');
  assert.equal(lastLines('a\nb\n', 0, true), '');

  const hist = Buffer.from('one\ntwo\nthree\n');
  assert.equal(overlap(hist, Buffer.from('two\nthree\nfour\n'), 1024), 10);
  assert.equal(overlap(hist, Buffer.from('ee\nfour\n'), 1024), 3);
  assert.equal(overlap(hist, Buffer.from('four\n'), 1024), 0);
  const mark = '==> File truncated <==\n';
  assert.equal(bytesAfterTruncation(hist, Buffer.from('more\n')), -1);
  assert.equal(bytesAfterTruncation(hist, Buffer.from(`x\n${mark}new\n`)), 4);
  assert.equal(bytesAfterTruncation(Buffer.from(`x\n${mark.slice(0, 9)}`), Buffer.from(`${mark.slice(9)}ab`)), 2, 'a mark split between chunks');
  assert.equal(bytesAfterTruncation(Buffer.from(mark), Buffer.from('ab')), -1, 'a mark already counted');
  assert.equal(bytesAfterTruncation(hist, Buffer.from(`${mark}a\n${mark}bc`)), 2, 'the last mark');
  assert.equal(textAfter('a\nb\nc\nd\n', Buffer.from('x\nb\n')), 'c\nd\n', 'after the last line shown');
  assert.equal(textAfter('a\r\nb\r\nc\n', Buffer.from('a\r\nb\r\n')), 'c\n', 'CR as XML-RPC carries it');
  assert.equal(textAfter('new 1\nnew 2\n', Buffer.from('old 9\n')), 'new 1\nnew 2\n', 'not there: all of it');
  assert.equal(textAfter('b\nb\nc\n', Buffer.from('b\n')), 'c\n', 'the last occurrence');
  assert.equal(overlap(hist, Buffer.from('two\nthree\n'), 4), 0, 'no more than max');

  const lines: string[] = [];
  const w = new LineWriter((l) => lines.push(l));
  w.push(Buffer.from('a\nb'));
  w.push(Buffer.from([0xc3]));
  w.push(Buffer.from([0xa9, 0x0a]));
  assert.deepEqual(lines, ['a', 'bé'], 'a character split between chunks is whole');
  w.push('wait');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(lines, ['a', 'bé', 'wait'], 'an unfinished line shows after a pause');
  w.push('ing\n');
  w.flush(true);
  assert.deepEqual(lines, ['a', 'bé', 'wait', 'ing']);

  let text = '';
  const out = new LogOutput((t) => (text += t), true);
  out.reserve('web', true);
  out.channel('db', false).push('ready\n');
  out.channel('web', true).push('oops\n');
  assert.equal(text, '\x1b[36mdb\x1b[39m           | ready\n\x1b[31mweb (stderr)\x1b[39m | oops\n');
});
