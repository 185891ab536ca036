// Programs with pty=true and `tsv attach`: the real daemon, real pseudo-
// terminals (node-pty plays the person at the keyboard), a real user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as pty from 'node-pty';
import { TempDir, withTimeout } from './helpers/daemon-env';
import { withTestUser } from './helpers/test-user';
import { TSV, cleanEnv, daemonForeground, poll, type Foreground } from './helpers/daemon-cli';
import { RpcClient } from '../src/rpc/client';
import { oracleSkip, startDaemon as startOracleDaemon, waitUp } from './helpers/events-env';

interface Daemon {
  dir: TempDir;
  conf: string;
  fg: Foreground;
  /** tsv's ctl against it: stdout+stderr and the exit status */
  ctl(...args: string[]): { out: string; status: number | null };
  stop(): Promise<void>;
}

async function startDaemon(programs: string, auth = ''): Promise<Daemon> {
  const dir = new TempDir('tsv-pty-');
  const sock = dir.join('tsv.sock');
  const conf = dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\n` +
      `[unix_http_server]\nfile=${sock}\n${auth}[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://${sock}\n${auth}${programs}`,
  );
  const fg = daemonForeground(['-c', conf]);
  const ctl = (...args: string[]): { out: string; status: number | null } => {
    const r = spawnSync(process.execPath, [TSV, '-c', conf, ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
    return { out: r.stdout + r.stderr, status: r.status };
  };
  await poll(() => (/success: |exited: /.test(dir.read('supervisord.log')) ? true : undefined), 'the programs to start');
  return {
    dir,
    conf,
    fg,
    ctl,
    async stop() {
      await fg.terminate();
      dir.cleanup();
    },
  };
}

/** `tsv attach` (or a shell line around it) on a real terminal, cols x rows, as someone at a keyboard. */
function onTerminal(argv: string[], cols = 100, rows = 30) {
  const term = pty.spawn(argv[0] as string, argv.slice(1), { cols, rows, env: cleanEnv({ TERM: 'xterm' }) as Record<string, string> });
  let screen = '';
  let exitCode: number | null = null;
  const exited = new Promise<number>((r) =>
    term.onExit((e) => {
      exitCode = e.exitCode;
      r(e.exitCode);
    }),
  );
  term.onData((d) => (screen += d));
  return {
    term,
    exited,
    screen: () => screen,
    exitCode: () => exitCode,
    /** waits until what the terminal showed matches */
    until: (rx: RegExp, what: string) => poll(() => (rx.test(screen) ? true : undefined), `${what}; the terminal showed ${JSON.stringify(screen)}`, 10000),
  };
}

// the trap's $(stty size) runs at each SIGWINCH, not when the trap is set
const ECHO_LOOP = `sh -c 'trap "echo size \\$(stty size)" WINCH; echo ready; while :; do read l && echo "got:$l"; done'`;

test('pty=true: stdin, stdout and stderr are one terminal of 80x24, the program leads its session and process group, TERM is set; a plain program has none', async () => {
  const probe = `sh -c 'tty; ps -o pid=,pgid=,sid= -p $$; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-three; echo "TERM=$TERM"; echo to-stderr >&2'`;
  const d = await startDaemon(
    `[program:onpty]\ncommand=${probe}\npty=true\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/onpty.out\n` +
      `[program:plain]\ncommand=sh -c 'tty; echo to-stderr >&2'\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/plain.out\nstderr_logfile=%(here)s/plain.err\n`,
  );
  try {
    const out = await poll(() => (/to-stderr/.test(d.dir.read('onpty.out')) ? d.dir.read('onpty.out') : undefined), 'the pty program to finish');
    const lines = out.split('\r\n');
    assert.match(lines[0] as string, /^\/dev\/pts\/\d+$/);
    const [pid, pgid, sid] = (lines[1] as string).trim().split(/\s+/).map(Number);
    assert.ok(pid > 0 && pgid === pid && sid === pid, `own process group and session: ${lines[1]}`);
    assert.equal(lines[2], '24 80');
    assert.equal(lines[3], 'all-three');
    assert.equal(lines[4], 'TERM=xterm');
    assert.equal(lines[5], 'to-stderr', 'stderr is the terminal too, logged with stdout');
    assert.deepEqual(
      readdirSync(d.dir.path).filter((f) => f.startsWith('onpty-stderr')),
      [],
      'no stderr log of its own (no AUTO file either)',
    );
    // its last output reaches the log before its exit is handled: wait for the exit
    await poll(() => (/exited: onpty/.test(d.dir.read('supervisord.log')) ? true : undefined), 'the pty program to be reaped');
    assert.match(d.dir.read('supervisord.log'), /exited: onpty \(exit status 0; expected\)/);
    await poll(() => (/to-stderr/.test(d.dir.read('plain.err')) ? true : undefined), 'the plain program');
    assert.equal(d.dir.read('plain.out'), 'not a tty\n');
    // the config reader knows the option: no warning for it
    const check = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', d.conf], { env: cleanEnv(), encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout + check.stderr, /warning/);
  } finally {
    await d.stop();
  }
});

test('pty=true with user=: uid, gid and supplementary groups still match `id USER`; the terminal is the user\'s, so the program can open it again by name', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to create a test user and switch to it');
    return;
  }
  await withTestUser('tsvp', 1, async (user) => {
    const d = await startDaemon(
      `[program:who]\ncommand=/usr/bin/id\nuser=${user.name}\npty=true\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/who.out\n` +
        // as gpg's pinentry (GPG_TTY) and mesg do
        `[program:reopen]\ncommand=/bin/sh -c 'stat -c "owner=%%U" "$(tty)"; (: > "$(tty)") && echo reopened'\nuser=${user.name}\npty=true\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/reopen.out\n`,
    );
    try {
      const got = await poll(() => (d.dir.read('who.out').includes('groups=') ? d.dir.read('who.out') : undefined), 'id to run');
      assert.equal(got.trim(), user.id);
      await poll(() => (/ EXITED /.test(d.ctl('status', 'reopen').out) ? true : undefined), 'reopen to end');
      assert.equal(d.dir.read('reopen.out'), `owner=${user.name}\r\nreopened\r\n`);
    } finally {
      await d.stop();
    }
  });
});

test('tsv attach: the recent output first, keys reach the program, its output comes back untouched, a resize is a SIGWINCH, Ctrl-] detaches and leaves it running, the terminal is given back', async () => {
  const d = await startDaemon(`[program:echo]\ncommand=${ECHO_LOOP}\npty=true\nstdout_logfile=%(here)s/echo.out\n[program:late]\ncommand=sh -c 'while read l; do sleep 0.1; echo "late:$l"; done'\npty=true\n`);
  try {
    await poll(() => (d.dir.read('echo.out').includes('ready') ? true : undefined), 'the program to say ready');
    // a shell around attach, so the terminal's settings can be read after it
    const t = onTerminal(['/bin/sh', '-c', `${process.execPath} ${TSV} -c ${d.conf} attach echo; echo "attach-status=$?"; stty -a`]);
    try {
      await t.until(/attached to echo; Ctrl-\] detaches[\s\S]*ready\r\n/, 'the banner, then what the program said before');
      // attaching at 100x30 resized its terminal from 80x24
      await t.until(/size 30 100\r\n/, 'the attach to set the window');
      t.term.write('hello\r');
      // the program's terminal echoes and answers with \r\n; ours adds nothing (no \r\r\n)
      await t.until(/hello\r\ngot:hello\r\n/, 'the echo and the answer');
      assert.doesNotMatch(t.screen(), /got:hello\r\r\n/);
      t.term.resize(120, 40);
      await t.until(/size 40 120\r\n/, 'the program to see the new size');
      t.term.write('\x1d');
      await t.until(/detached from echo <==\r\nattach-status=0\r\n/, 'Ctrl-] to detach with status 0');
      await t.until(/speed[\s\S]*\n/, 'stty -a');
      await t.exited;
      const settings = t.screen().slice(t.screen().indexOf('attach-status'));
      assert.match(settings, /(^|\s)icanon(\s|$)/, 'line editing back');
      assert.match(settings, /(^|\s)echo(\s|$)/, 'echo back');
      assert.match(settings, /(^|\s)opost(\s|$)/, 'output processing back');
    } finally {
      t.term.kill();
    }
    assert.match(d.ctl('status', 'echo').out, /^echo\s+RUNNING/);
    assert.match(d.dir.read('echo.out'), /got:hello\r\n/, 'the log has what the terminal showed');
    // without a terminal: stdin is sent, all of it, and its end detaches
    const lines = Array.from({ length: 2000 }, (_, i) => `piped-${i}\n`).join('');
    const piped = spawnSync(process.execPath, [TSV, '-c', d.conf, 'attach', 'echo'], { env: cleanEnv(), input: lines, encoding: 'utf8', timeout: 20000 });
    assert.equal(piped.status, 0, piped.stdout + piped.stderr);
    await poll(() => (d.dir.read('echo.out').includes('got:piped-1999\r\n') ? true : undefined), 'the last piped line to arrive');
    const got = d.dir.read('echo.out').match(/got:piped-\d+/g) ?? [];
    assert.equal(got.length, 2000, 'every piped line, once');
    // a script's one line and the answer the program takes a moment to give: shown before the session ends
    for (let i = 0; i < 3; i++) {
      const one = spawnSync(process.execPath, [TSV, '-c', d.conf, 'attach', 'late'], { env: cleanEnv(), input: `line-${i}\n`, encoding: 'utf8', timeout: 20000 });
      assert.equal(one.status, 0, one.stdout + one.stderr);
      assert.match(one.stdout, new RegExp(`\nlate:line-${i}\r\n[^]*detached from late`), `run ${i}: the answer before the end`);
    }
  } finally {
    await d.stop();
  }
});

test('tsv attach: the end of the program ends the session with its exit line; refusals name the process and the reason, exit 1; supervisorctl sees the program as any other', async () => {
  const d = await startDaemon(
    `[program:short]\ncommand=sh -c 'read l; echo "bye $l"; exit 3'\npty=true\nstartsecs=0\nautorestart=false\nexitcodes=0\nstdout_logfile=%(here)s/short.out\n` +
      `[program:plain]\ncommand=sleep 1000\n[program:idle]\ncommand=sleep 1000\npty=true\nautostart=false\n`,
  );
  try {
    const t = onTerminal([process.execPath, TSV, '-c', d.conf, 'attach', 'short']);
    try {
      await t.until(/attached to short/, 'the banner');
      t.term.write('now\r');
      await t.until(/bye now\r\n[\s\S]*==> exited: short \(exit status 3; not expected\) <==/, 'the exit line');
      assert.equal(await t.exited, 0);
    } finally {
      t.term.kill();
    }
    const refusals: [string, RegExp][] = [
      ['plain', /^plain: ERROR \(not running under a pseudo-terminal \(add pty=true to its program section\)\)$/m],
      ['idle', /^idle: ERROR \(not running\)$/m],
      ['nosuch', /^nosuch: ERROR \(no such process\)$/m],
      ['plain:*', /^plain:\*: ERROR \(attach takes one process, not a group\)$/m],
    ];
    for (const [name, rx] of refusals) {
      const r = d.ctl('attach', name);
      assert.match(r.out, rx);
      assert.equal(r.status, 1, name);
    }
    const none = d.ctl('attach');
    assert.match(none.out, /no process name supplied/);
    assert.equal(none.status, 2);
    // Supervisor's own client: the program is a program like any other
    const sc = spawnSync('/usr/bin/supervisorctl', ['-c', d.conf, 'status'], { encoding: 'utf8' });
    assert.match(sc.stdout, /^idle\s+STOPPED\s+Not started$/m);
    assert.match(sc.stdout, /^short\s+EXITED/m);
  } finally {
    await d.stop();
  }
});

test('tsv attach against the real supervisord: it says that daemon cannot attach (not its HTML 404 page), exit 1', { skip: oracleSkip }, async () => {
  const d = startOracleDaemon('supervisord', '[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n');
  try {
    await waitUp(d);
    const r = spawnSync(process.execPath, [TSV, '-c', d.conf, 'attach', 'sleeper'], { env: cleanEnv(), encoding: 'utf8', input: '', timeout: 20000 });
    assert.deepEqual([r.stdout + r.stderr, r.status], ['sleeper: ERROR (this daemon cannot attach: it is not tsv, or an older one)\n', 1]);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('sendProcessStdin reaches a pty program through its terminal (echoed, as typed keys are), also more than its input queue holds', async () => {
  const d = await startDaemon(`[program:echo]\ncommand=${ECHO_LOOP}\npty=true\nstdout_logfile=%(here)s/echo.out\n`);
  const client = new RpcClient({ serverurl: `unix://${d.dir.join('tsv.sock')}` });
  try {
    await poll(() => (d.dir.read('echo.out').includes('ready') ? true : undefined), 'the program to say ready');
    assert.equal(await client.call('supervisor.sendProcessStdin', ['echo', 'rpc-line\n']), true);
    await poll(() => (/rpc-line\r\ngot:rpc-line\r\n/.test(d.dir.read('echo.out')) ? true : undefined), 'the echo and the answer in the log');
    // more than the terminal's input queue holds: the rest waits in the daemon until the program reads
    // (a tty is no socket: node:net refused it, an HTTP 500 before this was handled)
    const lines = Array.from({ length: 2000 }, (_, i) => `rpc-${i}\n`).join('');
    assert.equal(await client.call('supervisor.sendProcessStdin', ['echo', lines]), true);
    await poll(() => (d.dir.read('echo.out').includes('got:rpc-1999\r\n') ? true : undefined), 'the last line to be answered');
    assert.equal(d.dir.read('echo.out').match(/got:rpc-\d+/g)?.length, 2000, 'every line, once');
  } finally {
    client.close();
    await d.stop();
  }
});

test('pty=true: what a program writes just before it exits reaches its log whole (a terminal gives 4095 bytes a read, so one read after the exit is not the end of it)', async () => {
  const d = await startDaemon(
    `[program:burst]\ncommand=/bin/sh -c 'head -c 50000 /dev/zero | tr "\\0" x; echo; echo END'\npty=true\nautostart=false\nautorestart=false\nstartsecs=0\nstdout_logfile=%(here)s/burst.out\n` +
      `[program:other]\ncommand=/bin/sleep 300\nstartsecs=0\n`,
  );
  const run = `${'x'.repeat(50000)}\r\nEND\r\n`;
  try {
    // lost in about half the runs before: six in a row must all be whole
    for (let i = 1; i <= 6; i++) {
      assert.equal(d.ctl('start', 'burst').out, 'burst: started\n');
      await poll(() => (/ EXITED /.test(d.ctl('status', 'burst').out) ? true : undefined), 'the run to end');
      const log = d.dir.read('burst.out');
      assert.equal(log.length, run.length * i, `run ${i}: ${log.length} bytes, ${run.length * i} written; ends ${JSON.stringify(log.slice(-12))}`);
      assert.equal(log, run.repeat(i));
    }
  } finally {
    await d.stop();
  }
});

test('tsv attach NAME < file, to a program that answers each line: the client waits until the daemon has given the program all of it, so no line is lost', async () => {
  const d = await startDaemon(
    `[program:answer]\ncommand=sh -c 'stty -echo; echo ready; n=0; while read l; do n=$((n+1)); echo "n=$n"; [ "$l" = END ] && break; done; echo "lines=$n" > got; exec sleep 100000'\n` +
      `directory=%(here)s\npty=true\nstdout_logfile=%(here)s/answer.out\n`,
  );
  try {
    await poll(() => (d.dir.read('answer.out').includes('ready') ? true : undefined), 'the program to say ready');
    // 2 MB: more than the daemon reads ahead of the program (1 MiB), so the end of it waits in the daemon
    const input = Array.from({ length: 20000 }, (_, i) => `${String(i).padStart(5, '0')} ${'z'.repeat(94)}\n`).join('') + 'END\n';
    const client = spawn(process.execPath, [TSV, '-c', d.conf, 'attach', 'answer'], { env: cleanEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
    let said = '';
    client.stderr.on('data', (c: Buffer) => (said += c.toString()));
    const exited = new Promise<number | null>((r) => client.on('exit', (code) => r(code)));
    client.stdin.end(input);
    assert.equal(await withTimeout(exited, 60000, 'attach to exit'), 0, said);
    await poll(() => (existsSync(d.dir.join('got')) ? true : undefined), 'the program to see END', 30000);
    assert.equal(d.dir.read('got'), 'lines=20001\n');
  } finally {
    await d.stop();
  }
});

test('tsv attach with more piped input than the daemon holds for a program: all of it arrives, at the pace the program reads; from a terminal, Ctrl-] detaches even after a paste the program never reads', async () => {
  // 24 MB, more than the 16 MiB a program may leave unread, to a program that reads nothing until told
  const SIZE = 24_000_000;
  const d = await startDaemon(
    `[program:count]\ncommand=sh -c 'stty raw -echo; echo ready; while [ ! -e go ]; do sleep 0.1; done; head -c ${SIZE} | wc -c; exec sleep 100000'\n` +
      `directory=%(here)s\npty=true\nstdout_logfile=%(here)s/count.out\n`,
  );
  try {
    await poll(() => (d.dir.read('count.out').includes('ready') ? true : undefined), 'the program to say ready');
    const client = spawn(process.execPath, [TSV, '-c', d.conf, 'attach', 'count'], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let said = '';
    client.stdout.on('data', (c: Buffer) => (said += c.toString()));
    client.stderr.on('data', (c: Buffer) => (said += c.toString()));
    const exited = new Promise<number | null>((r) => client.on('exit', (code) => r(code)));
    client.stdin.end(Buffer.alloc(SIZE, 0x61));
    await new Promise((r) => setTimeout(r, 2000));
    // the client reads its stdin only as the program takes it: most of the input is still ours to give
    assert.ok(client.stdin.writableLength > SIZE - 4_000_000, `the client took ${SIZE - client.stdin.writableLength} bytes before the program read any`);
    d.dir.file('go', '');
    assert.equal(await exited, 0, said);
    await poll(() => (d.dir.read('count.out').includes(String(SIZE)) ? true : undefined), `the program to count ${SIZE} bytes; it said ${JSON.stringify(d.dir.read('count.out').slice(-200))}`, 30000);
    // from a terminal, keys are read whatever the program takes: Ctrl-] after a paste it never reads still detaches
    const t = onTerminal([process.execPath, TSV, '-c', d.conf, 'attach', 'count']);
    try {
      await t.until(/attached to count/, 'the banner');
      t.term.write('p'.repeat(3_000_000));
      t.term.write('\x1d');
      await t.until(/detached from count <==/, 'Ctrl-] to detach');
      assert.equal(await withTimeout(t.exited, 10000, 'attach to exit'), 0);
    } finally {
      t.term.kill();
    }
  } finally {
    await d.stop();
  }
});

test('tsv attach on a socket with a password: the ctl attaches with its credentials; a client without them is refused before anything is attached', async () => {
  const d = await startDaemon(`[program:echo]\ncommand=${ECHO_LOOP}\npty=true\nstdout_logfile=%(here)s/echo.out\n`, 'username=admin\npassword=s3cret\n');
  const sock = `unix://${d.dir.join('tsv.sock')}`;
  try {
    await poll(() => (d.dir.read('echo.out').includes('ready') ? true : undefined), 'the program to say ready');
    const ok = spawnSync(process.execPath, [TSV, '-c', d.conf, 'attach', 'echo'], { env: cleanEnv(), input: 'with-password\n', encoding: 'utf8', timeout: 20000 });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    await poll(() => (d.dir.read('echo.out').includes('got:with-password') ? true : undefined), 'the line to arrive');
    for (const creds of [{}, { username: 'admin', password: 'wrong' }]) {
      const client = new RpcClient({ serverurl: sock, ...creds });
      await assert.rejects(client.upgrade('/attach/echo', 'tsv-attach'), (e: Error & { status?: number }) => e.status === 401);
      client.close();
    }
  } finally {
    await d.stop();
  }
});

test('config: pty is a boolean, only for [program:x]; with pty=true a stderr_logfile is ignored with a warning naming its line', () => {
  const dir = new TempDir('tsv-pty-conf-');
  const check = (body: string): { out: string; status: number | null } => {
    const conf = dir.file('c.conf', `[supervisord]\nlogfile=${dir.join('l')}\n${body}`);
    const r = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', conf], { env: cleanEnv(), encoding: 'utf8' });
    return { out: r.stdout + r.stderr, status: r.status };
  };
  try {
    let r = check('[program:a]\ncommand=cat\npty=maybe\n');
    assert.equal(r.status, 2);
    assert.match(r.out, /c\.conf:5: \[program:a\] pty: not a valid boolean value: 'maybe'/);
    r = check('[eventlistener:l]\ncommand=cat\nevents=TICK_5\npty=true\n');
    assert.equal(r.status, 2);
    assert.match(r.out, /pty=true, which only a \[program:x\] section may: an event listener's stdin and stdout carry the listener protocol/);
    r = check('[program:a]\ncommand=cat\npty=true\nstderr_logfile=/tmp/a.err\n');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /c\.conf:6: \[program:a\] stderr_logfile: .*pty=true sends stderr to the terminal with stdout, so stderr_logfile has been ignored/);
  } finally {
    dir.cleanup();
  }
});
