// [fcgi-program:x] sockets, tsv side by side with the real supervisord: a
// FastCGI-style child accept()s on its fd 0 and answers with its process name;
// both daemons must create, share, keep and close the socket at the same steps
// (read from their main logs) and treat a bind failure the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { ctlOn, haveSupervisord, startSide, stopSides, cleanupSides, waitLog, rewriteConf, type Side } from './helpers/daemon-oracle';
import { freePort } from './helpers/common';

const PY = '/usr/bin/python3';
const skipReason = haveSupervisord() && existsSync(PY) ? false : 'needs /usr/bin/supervisord and /usr/bin/python3';

// the child: its fd 0 must be a listening socket; each connection gets "<process name> <pid>"
const CHILD =
  'import socket, os\n' +
  's = socket.socket(fileno=0)\n' +
  'while True:\n' +
  '    c, _ = s.accept()\n' +
  '    c.sendall(("%s %d\\n" % (os.environ["SUPERVISOR_PROCESS_NAME"], os.getpid())).encode())\n' +
  '    c.close()\n';

const HEAD = '';

function fcgiSection(socket: string, extra = ''): string {
  return (
    `[fcgi-program:f]\nsocket=${socket}\n${extra}command=${PY} {DIR}/child.py\nnumprocs=2\n` +
    'process_name=%(program_name)s_%(process_num)s\nstartsecs=0\nstopwaitsecs=5\n'
  );
}

function startWithChild(impl: 'supervisord' | 'tsv', body: string): Side {
  const side = startSide(impl, body);
  side.dir.file('child.py', CHILD);
  return side;
}

/** ask once: the answer line, or the connection error's code */
function ask(target: { path: string } | { port: number }): Promise<string> {
  return new Promise((resolve) => {
    const c = 'path' in target ? connect(target.path) : connect(target.port, '127.0.0.1');
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (got += d));
    c.on('end', () => resolve(got.trim()));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'ERROR'));
    c.setTimeout(10000, () => {
      c.destroy();
      resolve('TIMEOUT');
    });
  });
}

/**
 * connect until every process named has answered (Linux hands connections to
 * waiting acceptors in turn), for up to 10 s: with startsecs=0 a child is
 * RUNNING before its Python has reached accept(), and until it has, the
 * others take every connection
 */
async function answeredBy(target: { path: string } | { port: number }, names: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const deadline = Date.now() + 10_000;
  while (!names.every((n) => seen.has(n)) && Date.now() < deadline) {
    const a = await ask(target);
    assert.match(a, /^f_\d \d+$/, `answer from a child (got ${a})`);
    seen.add(a.split(' ')[0]);
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

function ctl(side: Side, ...args: string[]): { status: number | null; out: string } {
  const r = ctlOn(side, args);
  return { status: r.status, out: r.out.trim() };
}

/** socket and process lines of a main log, pids and the side's directory normalized */
function socketStory(side: Side): string[] {
  return side
    .log()
    .split('\n')
    .map((l) => /^\S+ \S+ ([A-Z]{4}) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && /^(Creating socket|Closing socket|spawned: |stopped: |success: |exited: )/.test(m[2]))
    .map((m) => `${m[1]} ${m[2]}`.replaceAll(side.dir.path, '<DIR>').replace(/pid \d+/, 'pid <PID>'));
}

/** per-process sequences and the socket lines in order: processes stopped together are reaped in any order */
function sameStory(ts: string[], py: string[]): void {
  const of = (l: string[], re: RegExp) => l.filter((x) => re.test(x));
  assert.deepEqual(of(ts, /socket/), of(py, /socket/), 'socket lines');
  for (const n of ['f_0', 'f_1']) assert.deepEqual(of(ts, new RegExp(`\\b${n}\\b`)), of(py, new RegExp(`\\b${n}\\b`)), `lines of ${n}`);
  assert.match(ts[ts.length - 1], /Closing socket/, 'closed after the last child is reaped');
  assert.match(py[py.length - 1], /Closing socket/);
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const asRoot = process.getuid?.() === 0;

test('fcgi unix socket: mode, owner, shared by numprocs, survives a restart, closed (file kept) when the group is removed', { skip: skipReason }, async () => {
  const owner = asRoot ? 'socket_owner=nobody:nogroup\n' : '';
  const body = HEAD + fcgiSection('unix://{DIR}/f.sock', `socket_mode=0660\n${owner}`);
  const sides = [startWithChild('supervisord', body), startWithChild('tsv', body)];
  try {
    await waitLog(sides, /success: f_0[^]*success: f_1|success: f_1[^]*success: f_0/);
    const nobody = asRoot ? spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim() : null;
    const inodes: number[] = [];
    for (const s of sides) {
      const path = s.dir.join('f.sock');
      const st = statSync(path);
      assert.ok(st.isSocket(), `${s.impl}: a socket file`);
      assert.equal(st.mode & 0o777, 0o660, `${s.impl}: socket_mode`);
      if (nobody !== null) assert.equal(String(st.uid), nobody, `${s.impl}: socket_owner`);
      inodes.push(st.ino);
      assert.deepEqual([...(await answeredBy({ path }, ['f_0', 'f_1']))].sort(), ['f_0', 'f_1'], `${s.impl}: both children accept`);
    }
    for (const s of sides) assert.equal(ctl(s, 'restart', 'f:f_0').status, 0);
    sides.forEach((s, i) => {
      assert.equal(statSync(s.dir.join('f.sock')).ino, inodes[i], `${s.impl}: the same socket after a restart`);
    });
    for (const s of sides) assert.deepEqual([...(await answeredBy({ path: s.dir.join('f.sock') }, ['f_0', 'f_1']))].sort(), ['f_0', 'f_1']);

    // Supervisor compares fcgi sockets by URL: new socket settings are no change to reread or update
    for (const s of sides) rewriteConf(s, HEAD + fcgiSection('unix://{DIR}/f.sock', `socket_mode=0600\nsocket_backlog=5\n`));
    const rereads = sides.map((s) => ctl(s, 'reread'));
    assert.deepEqual(rereads[1], rereads[0], 'reread output and status');
    assert.equal(rereads[0].out, 'No config updates to processes');
    const kept = sides.map((s) => ctl(s, 'update'));
    assert.deepEqual(kept[1], kept[0], 'update output and status');
    sides.forEach((s, i) => {
      const st = statSync(s.dir.join('f.sock'));
      assert.deepEqual([st.ino, st.mode & 0o777], [inodes[i], 0o660], `${s.impl}: the same socket, as it was`);
    });

    for (const s of sides) rewriteConf(s, HEAD);
    const updates = sides.map((s) => ctl(s, 'update'));
    assert.deepEqual(updates[1], updates[0], 'update output and status');
    assert.equal(updates[0].out, 'f: stopped\nf: removed process group');
    await waitLog(sides, /Closing socket[^]*Closing socket/);
    for (const s of sides) {
      assert.ok(existsSync(s.dir.join('f.sock')), `${s.impl}: the socket file stays, as Supervisor leaves it`);
      assert.equal(await ask({ path: s.dir.join('f.sock') }), 'ECONNREFUSED', `${s.impl}: nobody listens any more`);
    }
    await stopSides(sides);
    const [py, ts] = sides.map(socketStory);
    sameStory(ts, py);
    assert.deepEqual(py.filter((l) => /socket/.test(l)), [
      'INFO Creating socket unix://<DIR>/f.sock',
      'INFO Closing socket unix://<DIR>/f.sock',
      'INFO Creating socket unix://<DIR>/f.sock',
      'INFO Closing socket unix://<DIR>/f.sock',
    ]);
  } finally {
    cleanupSides(sides);
  }
});

test('fcgi tcp socket: two children share it; all stopped closes it, a start re-creates it', { skip: skipReason }, async () => {
  const ports = [await freePort(), await freePort()];
  const sides = [
    startWithChild('supervisord', HEAD + fcgiSection(`tcp://127.0.0.1:${ports[0]}`, 'socket_backlog=16\n')),
    startWithChild('tsv', HEAD + fcgiSection(`tcp://127.0.0.1:${ports[1]}`, 'socket_backlog=16\n')),
  ];
  try {
    await waitLog(sides, /success: f_0[^]*success: f_1|success: f_1[^]*success: f_0/);
    for (const [i, s] of sides.entries()) {
      assert.deepEqual([...(await answeredBy({ port: ports[i] }, ['f_0', 'f_1']))].sort(), ['f_0', 'f_1'], `${s.impl}: both children accept`);
      // the child has no stdin channel: fd 0 is the socket
      assert.match(ctl(s, 'stop', 'f:*').out, /f:f_0: stopped/);
      assert.equal(await ask({ port: ports[i] }), 'ECONNREFUSED', `${s.impl}: closed when no child holds it`);
      assert.match(ctl(s, 'start', 'f:*').out, /f:f_1: started/);
      assert.match(await ask({ port: ports[i] }), /^f_\d \d+$/, `${s.impl}: re-created`);
    }
    await stopSides(sides);
    const [py, ts] = sides.map(socketStory);
    sameStory(
      ts.map((l) => l.replace(String(ports[1]), 'PORT')),
      py.map((l) => l.replace(String(ports[0]), 'PORT')),
    );
  } finally {
    cleanupSides(sides);
  }
});

test('fcgi bind failure at start: the daemon exits 1 after "Creating socket"', { skip: skipReason }, async () => {
  const port = await freePort();
  const busy = await occupy(port);
  const body = HEAD + fcgiSection(`tcp://127.0.0.1:${port}`);
  const sides = [startWithChild('supervisord', body), startWithChild('tsv', body)];
  const stderr = sides.map((s) => {
    let text = '';
    s.child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
    return () => text;
  });
  try {
    const codes = await Promise.all(sides.map((s) => s.exited));
    assert.deepEqual(codes, [1, 1], 'exit status');
    const why = `Could not create FastCGI socket tcp://127.0.0.1:${port}: [Errno 98] Address already in use`;
    assert.ok(stderr[0]().trim().endsWith(`ValueError: ${why}`), stderr[0]());
    assert.equal(stderr[1](), `Error: ${why}\n`);
    for (const s of sides) {
      assert.match(s.log(), new RegExp(`INFO Creating socket tcp://127.0.0.1:${port}\\n`), `${s.impl} log`);
      assert.doesNotMatch(s.log(), /spawned:|supervisord started/, `${s.impl}: nothing started`);
    }
  } finally {
    busy.close();
    cleanupSides(sides);
  }
});

test('fcgi bind failure on addProcessGroup: HTTP 500 (no fault), CRIT log, group not added', { skip: skipReason }, async () => {
  const ports = [await freePort(), await freePort()];
  const sides = [startWithChild('supervisord', HEAD), startWithChild('tsv', HEAD)];
  const busy = await Promise.all(ports.map(occupy));
  try {
    await waitLog(sides, /supervisord started/);
    sides.forEach((s, i) => rewriteConf(s, HEAD + fcgiSection(`tcp://127.0.0.1:${ports[i]}`)));
    const results = sides.map((s) => ctl(s, 'update'));
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 1, `${sides[i].impl}: update fails`);
      assert.match(r.out, /500 Internal Server Error/, `${sides[i].impl}: ${r.out}`);
      assert.equal(ctl(sides[i], 'status').out, '', `${sides[i].impl}: no group`);
      const log = sides[i].log();
      assert.match(log, /CRIT Handling XML-RPC request with data .*addProcessGroup.* raised an unexpected exception/);
      assert.match(log, new RegExp(`Could not create FastCGI socket tcp://127.0.0.1:${ports[i]}: \\[Errno 98\\] Address already in use`));
      // the message says it all: tsv logs it without a stack (Supervisor: its traceback)
      if (sides[i].impl === 'tsv') assert.doesNotMatch(log, /\n\s+at /, log);
    }
    for (const b of busy) b.close();
    // once the port is free the same update adds the group
    for (const s of sides) assert.equal(ctl(s, 'update').out, 'f: added process group');
    await waitLog(sides, /success: f_0[^]*success: f_1|success: f_1[^]*success: f_0/);
    for (const [i, s] of sides.entries()) {
      assert.deepEqual([...(await answeredBy({ port: ports[i] }, ['f_0', 'f_1']))].sort(), ['f_0', 'f_1'], s.impl);
    }
    await stopSides(sides);
  } finally {
    for (const b of busy) b.close();
    cleanupSides(sides);
  }
});
