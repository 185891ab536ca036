// What `tsv ctl` does on a terminal and beyond supervisorctl: the interactive
// shell on a real pty (completion, history file, password prompt on 401,
// Ctrl-C), colours, --json, and text supervisorctl itself cannot show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON_CTL, TSV_CTL, clientEnv, runClient, startCtlFixture } from './helpers/ctl-oracle';
import type { CtlFixture } from './helpers/ctl-oracle';
import { plain, runOnPty } from './helpers/ctl-pty';

const skip = existsSync('/usr/bin/supervisord') && existsSync('/usr/bin/python3') ? false : 'needs Supervisor and /usr/bin/python3';
let fx: CtlFixture;

before(async () => {
  if (!skip) fx = await startCtlFixture();
});
after(async () => {
  await fx?.stop();
});

const ctl = (...args: string[]): string[] => [...TSV_CTL.argv, '-c', fx.conf, ...args];

test('shell on a terminal: status first, coloured states, prompt, quit exits 0', { skip }, async () => {
  const r = await runOnPty(ctl(), [{ expect: 'supervisor> ' }, { send: 'quit\r' }], clientEnv());
  assert.ok(r.ok, plain(r.output));
  assert.equal(r.code, 0);
  assert.match(r.output, /\x1b\[32mRUNNING\x1b\[39m/);
  assert.match(r.output, /\x1b\[31m\x1b\[1mFATAL/);
  assert.match(plain(r.output), /sleeper {26}RUNNING {3}pid \d+, uptime/);
});

test('on TERM=dumb Backspace erases the last character, as in supervisorctl (node:readline took it for a character)', { skip }, async () => {
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    const r = await runOnPty(
      [...client.argv, '-c', fx.conf],
      [{ expect: 'supervisor> ' }, { send: 'pid sleeperzz\x7f\x7f\r' }, { expect: '\\r\\n\\d+\\r\\n' }, { send: 'quit\r' }],
      clientEnv({ TERM: 'dumb' }),
    );
    assert.ok(r.ok, `${client.label}: ${JSON.stringify(plain(r.output))}`);
    assert.doesNotMatch(r.output, /No such process/, client.label);
  }
});

test('on TERM=dumb, and with no TERM at all (GNU readline takes it for dumb), the shell still completes, moves with the arrows, recalls history and keeps what Ctrl-C left, as readline does there', { skip }, async () => {
  // node:readline has only a key-appending handler on a dumb terminal; GNU
  // readline edits there with backspaces and blanks. One key per write, as typed.
  const keys = (...ks: string[]) => ks.map((send) => ({ send, pause: 0.15 }));
  for (const [client, term] of [PYTHON_CTL, TSV_CTL].flatMap((c) => [[c, 'dumb'], [c, '']] as const)) {
    const r = await runOnPty(
      [...client.argv, '-c', fx.conf],
      [
        { expect: 'supervisor> ' },
        ...keys('sta', 'tu', '\t', 'slee', '\t'),
        { send: '\r', expect: 'sleeper +RUNNING +pid \\d+.*supervisor> ' },
        // Left, Delete, then Home and End around an insertion: `pid sleeper`
        ...keys('pid sleeperx', '\x1b[D', '\x1b[3~', '\x1b[H', '\x1b[C', '\x1b[C', '\x1b[C', ' ', '\x7f', '\x1b[F'),
        { send: '\r', expect: '\\r\\n\\d+\\r\\n.*supervisor> ' },
        // Ctrl-P: the line before again
        ...keys('\x10'),
        { send: '\r', expect: '\\r\\n\\d+\\r\\n.*supervisor> ' },
        ...keys('ver'),
        { send: '\x03' },
      ],
      clientEnv({ TERM: term }),
    );
    const out = plain(r.output);
    assert.ok(r.ok, `${client.label} step ${r.failed}: ${JSON.stringify(out)}`);
    assert.equal(r.code, 0, client.label);
    assert.equal(out.match(/^\d+$/gm)?.length, 2, `${client.label}: two pids\n${out}`);
    assert.doesNotMatch(out, /Unknown syntax|No such process/, client.label);
    // each line as the terminal shows it: carriage returns and backspaces applied
    const screen = (line: string) => {
      const cells: string[] = [];
      let col = 0;
      for (const ch of line) {
        if (ch === '\b') col = Math.max(0, col - 1);
        else if (ch === '\r') col = 0;
        else cells[col++] = ch;
      }
      return cells.join('').trimEnd();
    };
    // eslint-disable-next-line no-control-regex
    const lines = r.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r+\n/g, '\n').split('\n').map(screen);
    assert.ok(lines.includes('supervisor> status sleeper'), `${client.label}:\n${lines.join('\n')}`);
    assert.equal(lines.filter((l) => l === 'supervisor> pid sleeper').length, 2, `${client.label}:\n${lines.join('\n')}`);
    // Ctrl-C leaves the shell with what was typed still shown
    assert.equal(lines.filter(Boolean).at(-1), 'supervisor> ver', client.label);
    if (client === TSV_CTL) assert.doesNotMatch(r.output, /\x1b/, `no escapes a dumb terminal would print (TERM=${term})`);
  }
});

test('Ctrl-C at the prompt leaves the shell with the half-typed line still shown, as supervisorctl does (readline redrew an empty prompt)', { skip }, async () => {
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    const r = await runOnPty([...client.argv, '-c', fx.conf], [{ expect: 'supervisor> ' }, { send: 'ver', pause: 0.3 }, { send: '\x03' }], clientEnv());
    assert.ok(r.ok, `${client.label} step ${r.failed}: ${plain(r.output)}`);
    assert.equal(r.code, 0, client.label);
    assert.match(plain(r.output), /\nsupervisor> ver\n$/, client.label);
  }
});

test('NO_COLOR and pipes get plain text', { skip }, async () => {
  const r = await runOnPty(ctl('status', 'sleeper'), [{ expect: 'RUNNING' }], clientEnv({ NO_COLOR: '1' }));
  assert.ok(r.ok);
  assert.doesNotMatch(r.output, /\x1b\[/);
  const piped = await runClient(TSV_CTL, ['-c', fx.conf, 'status']);
  assert.doesNotMatch(piped.stdout, /\x1b/);
});

test('completion of actions, process names and group:*, listed sorted as readline lists them', { skip }, async () => {
  // supervisorctl for the order, tsv also for its own verbs
  const r0 = await runOnPty(
    [...PYTHON_CTL.argv, '-c', fx.conf],
    [
      { expect: 'supervisor> ' },
      // its completer knows group:name forms once the text has a colon
      { send: 'stop multi:', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: '\t', expect: 'multi:\\* .*multi:multi_00 .*multi:multi_01 .*multi:multi_02 ' },
      { send: '\x15quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r0.ok, `${PYTHON_CTL.label}: step ${r0.failed}: ${JSON.stringify(plain(r0.output).slice(-600))}`);
  const r = await runOnPty(
    ctl(),
    [
      { expect: 'supervisor> ' },
      // One key per write: readline does not complete inside pasted text.
      { send: 'sta', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: '\t', expect: 'start.*status' },
      // "statu" + Tab, "sle" + Tab: if either did not complete, the line is not `status sleeper`.
      { send: 'tu', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: 'sle', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: '\r', expect: 'sleeper +.*RUNNING[^\\n]*\\n.*supervisor> ' },
      { send: 'stop mul', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: '\t', expect: 'multi:\\* .*multi:multi_00 .*multi:multi_01 .*multi:multi_02 ' },
      // tsv's own verbs take names too
      { send: '\x15logs mul', pause: 0.2 },
      { send: '\t', pause: 0.2 },
      { send: '\t', expect: 'multi:\\* .*multi:multi_00 .*multi:multi_01 .*multi:multi_02 ' },
      { send: '\x15quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${JSON.stringify(plain(r.output).slice(-600))}`);
  assert.equal(r.code, 0);
});

test('history file: commands are saved and recalled with the up arrow', { skip }, async () => {
  const hist = join(fx.dir, 'history');
  writeFileSync(hist, 'avail\n');
  const r1 = await runOnPty(ctl('-r', hist), [{ expect: 'supervisor> ' }, { send: 'version\r', expect: '\\d+\\.\\d+' }, { send: 'quit\r' }], clientEnv());
  assert.ok(r1.ok, plain(r1.output));
  assert.deepEqual(readFileSync(hist, 'utf8').split('\n').filter(Boolean), ['avail', 'version', 'quit']);
  const r2 = await runOnPty(
    ctl('-r', hist),
    [{ expect: 'supervisor> ' }, { send: '\x1b[A\x1b[A', expect: 'version' }, { send: '\r', expect: '\\d+\\.\\d+\\.\\d+' }, { send: 'quit\r' }],
    clientEnv(),
  );
  assert.ok(r2.ok, plain(r2.output));
});

test('history_file from the [supervisorctl] section', { skip }, async () => {
  const conf = join(fx.dir, 'hist.conf');
  writeFileSync(conf, `[supervisorctl]\nserverurl=unix://${fx.sock}\nhistory_file=%(here)s/hist-from-conf\n`);
  const r = await runOnPty([...TSV_CTL.argv, '-c', conf], [{ expect: 'supervisor> ' }, { send: 'pid\r', expect: '\\d+' }, { send: 'exit\r' }], clientEnv());
  assert.ok(r.ok, plain(r.output));
  assert.deepEqual(readFileSync(join(fx.dir, 'hist-from-conf'), 'utf8').split('\n').filter(Boolean), ['pid', 'exit']);
});

test('401 in the shell asks for a username and a password (not echoed), then retries', { skip }, async () => {
  const r = await runOnPty(
    [...TSV_CTL.argv, '-s', `http://127.0.0.1:${fx.port}`],
    [
      { expect: 'Server requires authentication.*Username:' },
      { send: 'user\r', expect: 'Password:' },
      { send: 'secret\r', expect: 'sleeper +.*RUNNING.*supervisor> ' },
      { send: 'quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.doesNotMatch(r.output, /secret/);
  assert.match(plain(r.output), /Password:\n/);
  assert.equal(r.code, 0);
});

test('Ctrl-D at the Username: or Password: of a 401 is an EOFError line and the shell goes on, as in supervisorctl', { skip }, async () => {
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    const r = await runOnPty(
      [...client.argv, '-s', `http://127.0.0.1:${fx.port}`],
      [
        { expect: 'Username:' },
        { send: '\x04', expect: "error: <class 'EOFError'>, : file: [^\\n]+\\n.*supervisor> " },
        { send: 'pid\r', expect: 'Username:' },
        { send: 'user\r', expect: 'Password:' },
        { send: '\x04', expect: "error: <class 'EOFError'>, : file: [^\\n]+\\n.*supervisor> " },
        { send: 'quit\r' },
      ],
      clientEnv(),
    );
    assert.ok(r.ok, `${client.label} step ${r.failed}: ${JSON.stringify(plain(r.output))}`);
    assert.equal(r.code, 0, client.label);
  }
});

test('a password is read from the controlling terminal when stdin is a pipe, as getpass does, in both clients', { skip }, async () => {
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    // the shell's first status gets the 401; its username comes from the pipe
    const argv = ['/bin/sh', '-c', 'printf "user\\n" | exec "$@"', 'sh', ...client.argv, '-s', `http://127.0.0.1:${fx.port}`];
    const r = await runOnPty(argv, [{ expect: 'Username:Password:' }, { send: 'secret\r', expect: 'sleeper .*supervisor> ' }, { pause: 0.5 }], clientEnv());
    assert.ok(r.ok, `${client.label} step ${r.failed}: ${JSON.stringify(plain(r.output))}`);
    assert.doesNotMatch(r.output, /secret/, client.label);
    assert.match(plain(r.output), /Username:Password:\n\ncolors /, client.label);
    assert.equal(r.code, 0, client.label);
    const eof = await runOnPty(argv, [{ expect: 'Password:' }, { send: '\x04', expect: "error: <class 'EOFError'>, : file: [^\\n]+\\n" }, { pause: 0.5 }], clientEnv());
    assert.ok(eof.ok, `${client.label} EOF step ${eof.failed}: ${JSON.stringify(plain(eof.output))}`);
    assert.equal(eof.code, 0, client.label);
  }
});

test('with no terminal at all, the password comes from stdin after the getpass warning on stderr; stdout is byte for byte that of supervisorctl', { skip }, async () => {
  const outs: string[] = [];
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    // setsid: no controlling terminal. Username `status`, password `u` (first status), then `p` and an EOF at Password:
    const r = await runClient({ ...client, argv: ['/usr/bin/setsid', '-w', ...client.argv] }, ['-s', `http://127.0.0.1:${fx.port}`], { stdin: 'status\nu\np\n' });
    assert.equal(r.code, 0, client.label);
    assert.match(r.stderr, /GetPassWarning: Can not control echo on the terminal\.\n/, client.label);
    assert.match(r.stderr, /Warning: Password input may be echoed\.\nPassword:\nWarning: Password input may be echoed\.\nPassword:$/, client.label);
    outs.push(r.stdout.replace(/: file: .* line: \d+\n/, ': file: F line: N\n'));
  }
  assert.match(outs[0] as string, /Username:\nServer requires authentication\nUsername:error: <class 'EOFError'>, : file: F line: N\nsupervisor> \n$/);
  assert.equal(outs[1], outs[0]);
});

test('Ctrl-C: stops tail -f and returns to the prompt; at the prompt leaves the shell', { skip }, async () => {
  const r = await runOnPty(
    ctl(),
    [
      { expect: 'supervisor> ' },
      { send: 'tail -f noisy\r', expect: 'out-line-2' },
      { send: '\x03', expect: 'supervisor> ' },
      { send: '\x03' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.equal(r.code, 0);
});

test('a SIGINT sent to the shell (not the key) is KeyboardInterrupt: it ends tail -f and leaves the prompt with exit 0, the history saved', { skip }, async () => {
  const hist = join(fx.dir, 'history-sigint');
  rmSync(hist, { force: true });
  const r = await runOnPty(
    ctl('-r', hist),
    [
      { expect: 'supervisor> ' },
      { send: 'tail -f noisy\r', expect: 'out-line-2' },
      { signal: 'SIGINT', expect: 'supervisor> ' },
      { send: 'pid\r', expect: '\\d+\r\n.*supervisor> ' },
      { signal: 'SIGINT' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.equal(r.code, 0);
  assert.deepEqual(readFileSync(hist, 'utf8').split('\n').filter(Boolean), ['tail -f noisy', 'pid']);
  // private when new, as readline makes it
  assert.equal(statSync(hist).mode & 0o777, 0o600);
});

test('Ctrl-C while a command waits on the daemon leaves the shell with exit 0 and the history saved, as supervisorctl does', { skip }, async () => {
  const daemonPid = fx.daemon.pid as number;
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    // from the config: supervisorctl takes -r and then ignores it (docs/differences.md)
    const name = `history-rpc-${client.label.replace(' ', '-')}`;
    const conf = join(fx.dir, `${name}.conf`);
    writeFileSync(conf, `[supervisorctl]\nserverurl=unix://${fx.sock}\nhistory_file=%(here)s/${name}\n`);
    rmSync(join(fx.dir, name), { force: true });
    try {
      const r = await runOnPty(
        [...client.argv, '-c', conf],
        [
          { expect: 'supervisor> ' },
          { send: 'pid\r', expect: '\\d+\r\n.*supervisor> ' },
          // the daemon cannot answer: the next command waits in its RPC
          { signalOther: { pid: daemonPid, signal: 'SIGSTOP' } },
          { send: 'status sleeper\r', pause: 0.5 },
          { send: '\x03' },
        ],
        clientEnv(),
      );
      assert.ok(r.ok, `${client.label} step ${r.failed}: ${plain(r.output)}`);
      assert.equal(r.code, 0, client.label);
      assert.deepEqual(readFileSync(join(fx.dir, name), 'utf8').split('\n').filter(Boolean), ['pid', 'status sleeper'], client.label);
    } finally {
      process.kill(daemonPid, 'SIGCONT');
    }
  }
});

test('a line typed while tail -f runs is dropped by the Ctrl-C that ends it, as the terminal drops it under supervisorctl', { skip }, async () => {
  const r = await runOnPty(
    ctl(),
    [
      { expect: 'supervisor> ' },
      { send: 'tail -f noisy\r', expect: 'out-line-2' },
      { send: 'bogus-typed-ahead\r', pause: 0.3 },
      { send: '\x03', expect: 'supervisor> ' },
      { send: 'pid\r', expect: '\\d+\r\n.*supervisor> ' },
      { send: 'quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.doesNotMatch(plain(r.output), /Unknown syntax/);
});

test('Ctrl-C ending tail -f in the shell shows ^C and a new line, then one prompt, as the terminal and supervisorctl do; what was half typed is dropped', { skip }, async () => {
  for (const client of [PYTHON_CTL, TSV_CTL]) {
    const r = await runOnPty(
      [...client.argv, '-c', fx.conf],
      [
        { expect: 'supervisor> ' },
        { send: 'tail -f noisy\r', expect: 'out-line-2' },
        { send: 'ab', pause: 0.3 },
        { send: '\x03', expect: 'supervisor> ' },
        { send: 'pid\r', expect: '\\d+\r\n.*supervisor> ' },
        { send: 'quit\r' },
      ],
      clientEnv(),
    );
    assert.ok(r.ok, `${client.label} step ${r.failed}: ${plain(r.output)}`);
    const out = plain(r.output);
    // before, tsv drew an empty prompt (readline's redraw), then the new line, then the prompt
    assert.match(out.slice(out.lastIndexOf('^C')), /^\^C\nsupervisor> pid\n/, client.label);
    assert.doesNotMatch(out, /Unknown syntax/, client.label);
  }
});

test('Ctrl-D at the y/N of shutdown and reload is an EOFError line, as in supervisorctl, and the shell goes on', { skip }, async () => {
  const r = await runOnPty(
    ctl(),
    [
      { expect: 'supervisor> ' },
      { send: 'shutdown\r', expect: 'y/N\\? ' },
      { send: '\x04', expect: "error: <class 'EOFError'>, : file: .*supervisor> " },
      { send: 'reload\r', expect: 'y/N\\? ' },
      { send: '\x04', expect: "error: <class 'EOFError'>, : file: .*supervisor> " },
      { send: 'pid\r', expect: '\\d+\r\n.*supervisor> ' },
      { send: 'quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.equal(r.code, 0);
  const piped = await runClient(TSV_CTL, ['-c', fx.conf], { stdin: 'shutdown\n' });
  assert.match(piped.stdout, /y\/N\? error: <class 'EOFError'>, EOF when reading a line: file: \S+ line: \d+\nsupervisor> \n$/);
  assert.equal(piped.code, 0);
});

test('fg: lines typed go to the process, its output comes back, Ctrl-C leaves, also while a line is being sent', { skip }, async () => {
  const r = await runOnPty(
    ctl(),
    [
      { expect: 'supervisor> ' },
      { send: 'fg echo\r', expect: 'Press Ctrl-C to exit' },
      { send: 'hello from fg\r', expect: 'hello from fg.*hello from fg' },
      { send: '\x03', expect: 'Exiting foreground.*supervisor> ' },
      // Ctrl-C typed with the line arrives while that line is being sent (no read
      // pending): supervisorctl's KeyboardInterrupt ends fg wherever it lands.
      { send: 'fg echo\r', expect: 'Press Ctrl-C to exit' },
      { send: 'at once\r\x03', expect: 'Exiting foreground.*supervisor> ' },
      { send: 'quit\r' },
    ],
    clientEnv(),
  );
  assert.ok(r.ok, `step ${r.failed}: ${plain(r.output)}`);
  assert.equal(r.code, 0);
});

test('--json for status, avail and pid', { skip }, async () => {
  const s = await runClient(TSV_CTL, ['-c', fx.conf, 'status', '--json', 'sleeper', 'multi:*', 'nosuch']);
  assert.equal(s.code, 4);
  assert.equal(s.stderr, 'nosuch: ERROR (no such process)\n');
  const rows = JSON.parse(s.stdout) as Array<{ namespec: string; statename: string; pid: number }>;
  assert.deepEqual(
    rows.map((x) => x.namespec),
    ['sleeper', 'multi:multi_00', 'multi:multi_01', 'multi:multi_02'],
  );
  assert.ok(rows.every((x) => x.statename === 'RUNNING' && x.pid > 0));
  const a = await runClient(TSV_CTL, ['-c', fx.conf, 'avail', '--json']);
  assert.equal(a.code, 0);
  const conf = JSON.parse(a.stdout) as Array<{ namespec: string; inuse: boolean; autostart: boolean }>;
  assert.deepEqual(
    conf.filter((x) => x.namespec === 'manual').map((x) => [x.inuse, x.autostart]),
    [[true, false]],
  );
  const p = await runClient(TSV_CTL, ['-c', fx.conf, 'pid', '--json']);
  assert.ok((JSON.parse(p.stdout) as { supervisord: number }).supervisord > 0);
  const pa = await runClient(TSV_CTL, ['-c', fx.conf, 'pid', '--json', 'sleeper', 'manual']);
  assert.equal(pa.code, 7);
  const pids = JSON.parse(pa.stdout) as Array<{ name: string; pid: number }>;
  assert.equal(pids[1]?.pid, 0);
});

test('tail shows log text with ANSI colours (supervisorctl dies with ExpatError there)', { skip }, async () => {
  const r = await runClient(TSV_CTL, ['-c', fx.conf, 'tail', 'colors']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '\x1b[31mred\x1b[0m plain\n\n');
});
