// tsv doctor's config-level checks, run on this machine against configs in a
// temporary directory (no daemon, no service needed): each failure class is
// written the way users write it, and doctor must name it by id, with the
// file and line where the config says it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers/common';
import { withTestUser } from './helpers/test-user';
import { changeOwnerAndMode, stickyOpenRefusal } from '../src/os/access';

interface Check {
  id: string;
  status: 'ok' | 'problem' | 'info' | 'skipped';
  found: string;
  why: string | null;
  fix: string | null;
  fixable: boolean;
}

interface Report {
  healthy: boolean;
  checks: Check[];
  fixes: { id: string; done?: string; error?: string }[];
}

const ALL_IDS = [
  'config-invalid',
  'program-user-unknown',
  'unit-user',
  'run-dir-missing',
  'run-dir-unwritable',
  'socket-under-tmp',
  'inet-no-auth',
  'inet-port-in-use',
  'rpcinterface-missing',
  'serverurl-elsewhere',
  'stale-socket',
  'socket-missing',
  'socket-permissions',
  'socket-eacces',
  'daemon-not-answering',
  'stale-pidfile',
  'two-daemons',
  'programs-run-twice',
  'programs-orphaned',
  'supervisor-programs-left',
  'log-dir-missing',
  'log-fs-readonly',
  'log-not-writable',
  'log-disk-full',
  'log-deleted',
  'unit-binary-missing',
  'unit-disabled',
  'unit-inactive',
  'program-directory-missing',
  'program-command-not-found',
  'program-command-not-executable',
];

function doctor(conf: string, ...extra: string[]): { status: number | null; report: Report | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath(), 'doctor', '-c', conf, '--json', ...extra], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  let report: Report | null = null;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    report = null;
  }
  return { status: r.status, report, stdout: r.stdout, stderr: r.stderr };
}

function problems(rep: Report): string[] {
  return rep.checks.filter((c) => c.status === 'problem').map((c) => c.id);
}

function check(rep: Report, id: string): Check {
  const c = rep.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id}`);
  return c;
}

/** chown to another user needs root. */
const rootSkip = process.getuid?.() === 0 ? false : 'needs root';

/** Mounting a tmpfs needs root (CAP_SYS_ADMIN). */
const mountSkip = process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs';

describe('host: tsv doctor on configs (no daemon)', () => {
  let dir: string;
  let n = 0;
  // A config that is healthy on its own: loopback HTTP server, logs in the temp dir.
  const base = (body: string): string => {
    const d = join(dir, `case${++n}`);
    mkdirSync(join(d, 'conf.d'), { recursive: true });
    const file = join(d, 'supervisord.conf');
    writeFileSync(
      file,
      `[inet_http_server]\nport = 127.0.0.1:${39000 + n}\n\n[supervisord]\nlogfile = ${d}/tsv.log\npidfile = ${d}/tsv.pid\nchildlogdir = ${d}\n\n[supervisorctl]\nserverurl = http://127.0.0.1:${39000 + n}\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[include]\nfiles = ${d}/conf.d/*.conf\n\n${body}`,
    );
    return file;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsv-doctor-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a healthy config: exit 0, every check reported by id', () => {
    const r = doctor(base('[program:ok]\ncommand = /bin/sleep 1\ndirectory = /\n'));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(r.report?.healthy);
    assert.deepEqual(r.report!.checks.map((c) => c.id), ALL_IDS);
    assert.deepEqual(problems(r.report!), []);
  });

  test('a bad line in an included file: config-invalid names file:line', () => {
    const conf = base('');
    const inc = join(conf, '..', 'conf.d', 'web.conf');
    writeFileSync(inc, '[program:web]\ncommand = /bin/sleep 1\nthis line has no equals sign\n');
    const r = doctor(conf);
    assert.equal(r.status, 1);
    const c = check(r.report!, 'config-invalid');
    assert.equal(c.status, 'problem');
    assert.match(c.found, new RegExp(`${inc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3`));
    assert.match(c.fix ?? '', /tsv config check/);
    assert.equal(c.fixable, false);
    // --fix does not touch a config: still exit 1
    assert.equal(doctor(conf, '--fix').status, 1);
  });

  test('user= names no user: program-user-unknown with file:line', () => {
    const r = doctor(base('[program:web]\ncommand = /bin/sleep 1\nuser = no-such-user-tsvtest\n'));
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['program-user-unknown']);
    assert.match(check(r.report!, 'program-user-unknown').found, /supervisord\.conf:\d+: \[program:web\] user/);
  });

  test('directory= missing, command not found, command not executable', () => {
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    chmodSync(script, 0o644);
    const r = doctor(
      base(
        `[program:a]\ncommand = /bin/sleep 1\ndirectory = /nonexistent-tsvtest\n\n[program:b]\ncommand = /nonexistent-tsvtest/bin/prog --flag\n\n[program:c]\ncommand = no-such-command-tsvtest\n\n[program:d]\ncommand = ${script}\n`,
      ),
    );
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!).sort(), ['program-command-not-executable', 'program-command-not-found', 'program-directory-missing']);
    assert.match(check(r.report!, 'program-directory-missing').found, /^missing: a: directory=\/nonexistent-tsvtest$/);
    const nf = check(r.report!, 'program-command-not-found').found;
    assert.match(nf, /b: "\/nonexistent-tsvtest\/bin\/prog" not found/);
    assert.match(nf, /c: "no-such-command-tsvtest" not found \(PATH=/);
    assert.match(check(r.report!, 'program-command-not-executable').found, /d: root cannot execute .*not-executable\.sh/);
    assert.doesNotMatch(check(r.report!, 'program-command-not-found').fix ?? '', /pidproxy/);
  });

  test("a script with Windows line endings, one whose interpreter is missing, another machine's build: program-command-not-executable says why from the file", () => {
    const crlf = join(dir, 'crlf.sh');
    writeFileSync(crlf, '#!/bin/sh\r\nexit 0\r\n', { mode: 0o755 });
    const nointerp = join(dir, 'nointerp.sh');
    writeFileSync(nointerp, '#!/opt/tsvtest/bin/python9\nprint(1)\n', { mode: 0o755 });
    const fine = join(dir, 'fine.sh');
    writeFileSync(fine, '#!/usr/bin/env sh\nexit 0\n', { mode: 0o755 });
    const r = doctor(base(`[program:w]\ncommand = ${crlf}\n\n[program:i]\ncommand = ${nointerp}\n\n[program:f]\ncommand = ${fine}\n`));
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['program-command-not-executable']);
    const found = check(r.report!, 'program-command-not-executable').found;
    assert.match(found, new RegExp(`w: ${crlf}: its #! line ends in a carriage return .*sed -i 's/\\\\r\\$//' ${crlf}`));
    assert.match(found, new RegExp(`i: ${nointerp}: its interpreter /opt/tsvtest/bin/python9 \\(named on its #! line\\) is not installed`));
    assert.doesNotMatch(found, /fine\.sh/);
  });

  test("a 32-bit build of this machine's relative (i386 on x86_64, armhf on arm64) runs when its loader is there: no problem; without it, the fix names the C library to install", (t) => {
    const compat = ({ x64: { machine: 3, deb: 'i386' }, arm64: { machine: 40, deb: 'armhf' } } as Record<string, { machine: number; deb: string }>)[process.arch];
    if (!compat) return t.skip(`no 32-bit relative of ${process.arch}`);
    // an ELF32 header and one program header, PT_INTERP
    const elf32 = (loader: string): Buffer => {
      const name = Buffer.from(`${loader}\0`, 'latin1');
      const b = Buffer.alloc(84 + name.length);
      b.writeUInt32BE(0x7f454c46, 0);
      b[4] = 1; // 32-bit
      b[5] = 1; // little-endian
      b[6] = 1;
      b.writeUInt16LE(2, 16);
      b.writeUInt16LE(compat.machine, 18);
      b.writeUInt32LE(1, 20);
      b.writeUInt32LE(52, 28);
      b.writeUInt16LE(52, 40);
      b.writeUInt16LE(32, 42);
      b.writeUInt16LE(1, 44);
      b.writeUInt32LE(3, 52);
      b.writeUInt32LE(84, 56);
      b.writeUInt32LE(name.length, 68);
      b.writeUInt32LE(name.length, 72);
      name.copy(b, 84);
      return b;
    };
    const runs = join(dir, 'old32');
    writeFileSync(runs, elf32('/bin/sh'), { mode: 0o755 });
    const fine = doctor(base(`[program:old]\ncommand = ${runs}\n`));
    assert.deepEqual(problems(fine.report!), [], JSON.stringify(check(fine.report!, 'program-command-not-executable')));
    const lacks = join(dir, 'lacks32');
    writeFileSync(lacks, elf32('/lib/ld-tsvtest.so.2'), { mode: 0o755 });
    const r = doctor(base(`[program:old]\ncommand = ${lacks}\n`));
    assert.deepEqual(problems(r.report!), ['program-command-not-executable']);
    assert.match(check(r.report!, 'program-command-not-executable').found, new RegExp(`its loader /lib/ld-tsvtest\\.so\\.2 is not on this system: .*apt-get install libc6:${compat.deb}`));
  });

  test("pidproxy where Supervisor's pip install put it: command not found, and the fix names tsv pidproxy", () => {
    const r = doctor(base('[program:db]\ncommand = /opt/supervisor-venv-tsvtest/bin/pidproxy /run/mysqld/mysqld.pid /usr/bin/mysqld_safe\n'));
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['program-command-not-found']);
    const c = check(r.report!, 'program-command-not-found');
    assert.match(c.found, /^db: "\/opt\/supervisor-venv-tsvtest\/bin\/pidproxy" not found/);
    assert.equal(c.fix, '"pidproxy" is Supervisor\'s, and tsv is it too: write command=tsv pidproxy … (or install tsv-supervisor-compat, whose /usr/bin/pidproxy is tsv)');
  });

  test("superlance's listeners where pip put them: the fix names tsv crashmail, healthcheck= and max_memory_restart=", () => {
    const r = doctor(
      base(
        '[eventlistener:crashmail]\ncommand = /usr/local/bin/crashmail -a -m ops@example.com\nevents = PROCESS_STATE\n' +
          '[eventlistener:httpok]\ncommand = httpok -p web http://localhost:8080/\nevents = TICK_60\n' +
          '[eventlistener:memmon]\ncommand = memmon -a 200MB\nevents = TICK_60\n',
      ),
    );
    assert.deepEqual(problems(r.report!), ['program-command-not-found']);
    assert.equal(
      check(r.report!, 'program-command-not-found').fix,
      '"crashmail" is superlance\'s: tsv is it too: write command=tsv crashmail … (the same options); ' +
        '"httpok" is superlance\'s: tsv\'s healthcheck=URL in the program\'s section does its job without a listener; ' +
        '"memmon" is superlance\'s: tsv\'s max_memory_restart=SIZE in the program\'s section does its job without a listener',
    );
  });

  test('the logs on a full file system: log-disk-full names it, how full, and the largest files there; on one mounted read-only: log-fs-readonly with the remount; neither is fixed', { skip: mountSkip }, () => {
    const full = mkdtempSync(join(tmpdir(), 'tsv-doctor-full-'));
    const ro = mkdtempSync(join(tmpdir(), 'tsv-doctor-ro-'));
    try {
      // a 4 MiB file system with 3.9 MiB of log backups in it
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', full]);
      writeFileSync(join(full, 'web.log.1'), Buffer.alloc(3 * 1024 * 1024));
      writeFileSync(join(full, 'web.log.2'), Buffer.alloc(900 * 1024));
      writeFileSync(join(full, 'web.log'), 'x\n');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
      const conf = base(`[program:web]\ncommand = /bin/sleep 1\nstdout_logfile = ${full}/web.log\n\n[program:api]\ncommand = /bin/sleep 1\nstdout_logfile = ${ro}/api.log\n`);
      const r = doctor(conf);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.deepEqual(problems(r.report!), ['log-fs-readonly', 'log-disk-full']);
      const df = check(r.report!, 'log-disk-full');
      assert.match(df.found, new RegExp(`^${full} \\(logs in ${full}\\): \\d+ KiB free of 4\\.0 MiB$`));
      assert.match(df.fix ?? '', new RegExp(`^the largest files there: ${full}/web\\.log\\.1 \\(3\\.0 MiB\\), ${full}/web\\.log\\.2 \\(900 KiB\\), ${full}/web\\.log \\(0 KiB\\); free space, then bound the logs`));
      const rof = check(r.report!, 'log-fs-readonly');
      assert.equal(rof.found, `${ro} is mounted read-only (logs in ${ro})`);
      assert.match(rof.fix ?? '', new RegExp(`mount -o remount,rw ${ro};`));
      assert.equal(df.fixable || rof.fixable, false);
      // room again, writable again: both ok
      rmSync(join(full, 'web.log.1'));
      execFileSync('mount', ['-o', 'remount,rw', ro]);
      const after = doctor(conf);
      assert.equal(after.status, 0, after.stdout);
      assert.equal(check(after.report!, 'log-disk-full').status, 'ok');
      assert.equal(check(after.report!, 'log-fs-readonly').status, 'ok');
    } finally {
      for (const m of [full, ro]) spawnSync('umount', [m]);
      rmSync(full, { recursive: true, force: true });
      rmSync(ro, { recursive: true, force: true });
    }
  });

  test('a control socket under /tmp: socket-under-tmp', () => {
    const d = mkdtempSync(join('/tmp', 'tsv-doctor-sock-'));
    try {
      const r = doctor(base(`[unix_http_server]\nfile = ${d}/supervisor.sock\n`));
      assert.equal(r.status, 1);
      assert.deepEqual(problems(r.report!), ['socket-under-tmp']);
      assert.match(check(r.report!, 'socket-under-tmp').fix ?? '', /\/run\/tsv\/tsv\.sock/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('inet_http_server on all interfaces without a password: inet-no-auth (loopback or a password is fine)', () => {
    const conf = base('');
    const open = conf.replace('supervisord.conf', 'open.conf');
    writeFileSync(open, readFileSync(conf, 'utf8').replace(/port = 127\.0\.0\.1:(\d+)/, 'port = 0.0.0.0:$1'));
    const r = doctor(open);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['inet-no-auth']);
    assert.match(check(r.report!, 'inet-no-auth').found, /0\.0\.0\.0:\d+ with no username/);
    const authed = conf.replace('supervisord.conf', 'authed.conf');
    writeFileSync(authed, readFileSync(open, 'utf8').replace(/(port = 0\.0\.0\.0:\d+)/, '$1\nusername = admin\npassword = secret'));
    assert.equal(doctor(authed).status, 0);
  });

  test('the inet_http_server port held by another program: inet-port-in-use names its pid, as the daemon would refuse to start', async () => {
    const conf = base('');
    const port = Number(/^port = 127\.0\.0\.1:(\d+)$/m.exec(readFileSync(conf, 'utf8'))?.[1]);
    assert.equal(check(doctor(conf).report!, 'inet-port-in-use').status, 'ok');
    const holder = spawn('/usr/bin/python3', ['-c', `import socket, sys, time\ns = socket.socket()\ns.bind(('0.0.0.0', ${port}))\ns.listen()\nprint('ready', flush=True)\ntime.sleep(60)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const r = doctor(conf);
      assert.equal(r.status, 1, r.stdout);
      const c = check(r.report!, 'inet-port-in-use');
      assert.equal(c.status, 'problem');
      assert.equal(c.found, `127.0.0.1:${port} is listened on by pid ${holder.pid} (python3)`);
      assert.match(c.fix ?? '', /choose another port= in \[inet_http_server\]/);
      const daemon = spawnSync(process.execPath, [cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', timeout: 20000 });
      assert.equal(daemon.status, 2, 'the daemon refuses the port doctor named');
      assert.match(daemon.stderr, /Another program is already listening on a port/);
    } finally {
      holder.kill();
    }
  });

  test("inet-port-in-use knows the daemon listens on IPv4 only: an IPv6 listener on ::1 takes no port of it, the dual-stack :: does, and a host name is looked up", async () => {
    const conf = base('');
    const port = Number(/^port = 127\.0\.0\.1:(\d+)$/m.exec(readFileSync(conf, 'utf8'))?.[1]);
    const variant = (name: string, host: string): string => {
      const f = conf.replace('supervisord.conf', name);
      writeFileSync(f, readFileSync(conf, 'utf8').replace(`port = 127.0.0.1:${port}`, `port = ${host}:${port}`));
      return f;
    };
    const wildcard = variant('wildcard.conf', '*');
    const named = variant('named.conf', 'localhost');
    const hold = async (family: string, address: string, v6only = 1): Promise<ChildProcess> => {
      const code = `import socket, time\ns = socket.socket(socket.${family})\n` +
        (family === 'AF_INET6' ? `s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, ${v6only})\n` : '') +
        `s.bind(('${address}', ${port}))\ns.listen()\nprint('ready', flush=True)\ntime.sleep(60)`;
      const h = spawn('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => h.stdout!.once('data', resolve));
      return h;
    };
    const verdict = (f: string): string => check(doctor(f).report!, 'inet-port-in-use').status;
    let h = await hold('AF_INET6', '::1');
    try {
      // before: a wildcard port= was called taken by any listener on the number
      assert.deepEqual([verdict(conf), verdict(wildcard), verdict(named)], ['ok', 'ok', 'ok']);
      const daemon = spawnSync(process.execPath, [cliPath(), 'daemon', '-n', '-c', wildcard], { encoding: 'utf8', timeout: 5000 });
      assert.match(daemon.stdout + daemon.stderr, /supervisord started with pid/, 'the daemon takes the port beside [::1]');
    } finally {
      h.kill();
    }
    h = await hold('AF_INET6', '::', 0);
    try {
      assert.deepEqual([verdict(conf), verdict(wildcard), verdict(named)], ['problem', 'problem', 'problem']);
    } finally {
      h.kill();
    }
    h = await hold('AF_INET', '127.0.0.2');
    try {
      // before: a host name was any address, so localhost clashed with 127.0.0.2
      assert.deepEqual([verdict(conf), verdict(wildcard), verdict(named)], ['ok', 'problem', 'ok']);
    } finally {
      h.kill();
    }
    h = await hold('AF_INET', '127.0.0.1');
    try {
      assert.equal(check(doctor(named).report!, 'inet-port-in-use').found, `localhost:${port} is listened on by pid ${h.pid} (python3)`);
    } finally {
      h.kill();
    }
  });

  test('a control port without [rpcinterface:supervisor]: rpcinterface-missing, with the section to add', () => {
    const conf = base('');
    const none = conf.replace('supervisord.conf', 'none.conf');
    writeFileSync(none, readFileSync(conf, 'utf8').replace(/\[rpcinterface:supervisor\]\nsupervisor\.rpcinterface_factory = \S+\n/, ''));
    const r = doctor(none);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['rpcinterface-missing']);
    assert.match(check(r.report!, 'rpcinterface-missing').fix ?? '', /\[rpcinterface:supervisor\]\n\s*supervisor\.rpcinterface_factory = supervisor\.rpcinterface:make_main_rpcinterface/);
    const renamed = conf.replace('supervisord.conf', 'renamed.conf');
    writeFileSync(renamed, readFileSync(conf, 'utf8').replace('[rpcinterface:supervisor]', '[rpcinterface:ops]'));
    assert.match(check(doctor(renamed).report!, 'rpcinterface-missing').found, /only as ops\.\*/);
    assert.equal(check(doctor(conf).report!, 'rpcinterface-missing').status, 'ok');
  });

  test('a log directory that does not exist: log-dir-missing, and --fix creates it', () => {
    const missing = join(dir, 'logs-not-yet', 'web');
    const conf = base(`[program:web]\ncommand = /bin/sleep 1\nstdout_logfile = ${missing}/out.log\n`);
    const r = doctor(conf);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.report!), ['log-dir-missing']);
    assert.equal(check(r.report!, 'log-dir-missing').fixable, true);
    const f = doctor(conf, '--fix');
    assert.equal(f.status, 0, f.stdout);
    assert.deepEqual(f.report!.fixes, [{ id: 'log-dir-missing', done: `created ${missing}` }]);
  });

  test('three missing log directories (main log, childlogdir, a program\'s): one --fix run makes them all, though the config names one at a time', () => {
    const root = join(dir, 'three-missing');
    const conf = base(`[program:web]\ncommand = /bin/sleep 1\nstdout_logfile = ${root}/prog/out.log\n`);
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8').replace(/^logfile = .*$/m, `logfile = ${root}/main/tsv.log`).replace(/^childlogdir = .*$/m, `childlogdir = ${root}/child`),
    );
    const f = doctor(conf, '--fix');
    assert.equal(f.status, 0, f.stdout);
    assert.deepEqual(
      f.report!.fixes.map((x) => x.done),
      [`created ${root}/main`, `created ${root}/child`, `created ${root}/prog`],
    );
  });

  /** A case whose ctl talks to a unix socket in its own directory `name` (nothing made at the socket's path). */
  const unixCase = (name: string): { sock: string; conf: string } => {
    const d = join(dir, name);
    mkdirSync(d);
    const sock = join(d, 's.sock');
    const conf = base(`[unix_http_server]\nfile = ${sock}\n`);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^serverurl = .*$/m, `serverurl = unix://${sock}`));
    return { sock, conf };
  };

  test('a file where a log or socket directory should be: log-dir-missing and run-dir-missing name it and leave it (mkdir -p cannot help)', () => {
    const conf = base('');
    const d = join(conf, '..');
    writeFileSync(join(d, 'in-the-way'), 'not a directory\n');
    const prog = base(`[program:a]\ncommand = /bin/sleep 1\nstdout_logfile = ${d}/in-the-way/sub/a.log\n`);
    const sock = conf.replace('supervisord.conf', 'sock.conf');
    writeFileSync(sock, readFileSync(conf, 'utf8').replace('[supervisord]', `[unix_http_server]\nfile = ${d}/in-the-way/s.sock\n\n[supervisord]`));
    const mainlog = conf.replace('supervisord.conf', 'mainlog.conf');
    writeFileSync(mainlog, readFileSync(conf, 'utf8').replace(`logfile = ${d}/tsv.log`, `logfile = ${d}/in-the-way/tsv.log`));
    for (const [file, id, blocker] of [
      [prog, 'log-dir-missing', `${d}/in-the-way`],
      [mainlog, 'log-dir-missing', `${d}/in-the-way`],
      [sock, 'run-dir-missing', `${d}/in-the-way`],
    ] as const) {
      for (const fix of [[], ['--fix']]) {
        const r = doctor(file, ...fix);
        assert.equal(r.status, 1, r.stdout);
        const c = check(r.report!, id);
        assert.equal(c.status, 'problem', r.stdout);
        assert.ok(c.found.endsWith(` (${blocker} is a file)`), c.found);
        assert.equal(c.fix, `move the file out of the way (mv ${blocker} ${blocker}.old) and run tsv doctor --fix again, or point ${id === 'log-dir-missing' ? 'the log option' : 'the option'} at another directory`);
        assert.equal(c.fixable, false);
        assert.equal(readFileSync(blocker, 'utf8'), 'not a directory\n', 'the file stays');
      }
    }
  });

  test('a stale socket with the wrong mode: only stale-socket is a problem (socket-permissions has nothing to fix up), and --fix removes it without a failure', () => {
    const { sock, conf } = unixCase('stale-mode');
    // a socket nothing listens on, left with mode 0755 where the config's chmod is the default 0700
    execFileSync('/usr/bin/python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)})`]);
    chmodSync(sock, 0o755);
    const r = doctor(conf);
    // (socket-under-tmp: the temp dir is under /tmp)
    assert.deepEqual(problems(r.report!), ['socket-under-tmp', 'stale-socket']);
    assert.equal(check(r.report!, 'socket-permissions').status, 'skipped');
    const f = doctor(conf, '--fix');
    assert.deepEqual(f.report!.fixes, [{ id: 'stale-socket', done: `removed the stale socket ${sock}` }]);
  });

  test('a regular file at the socket path: stale-socket says what it is and that the daemon refuses it, and leaves it to the user (--fix does not remove it); a symbolic link there is one the daemon replaces', () => {
    const { sock, conf } = unixCase('regular-file');
    writeFileSync(sock, 'notes someone keeps here\n');
    const r = doctor(conf);
    const c = check(r.report!, 'stale-socket');
    assert.deepEqual(
      [c.status, c.found, c.fix],
      ['problem', `${sock} is a regular file, not a socket`, `look at what it is, then move it away, or give [unix_http_server] file= a path where nothing is`],
    );
    assert.match(c.why ?? '', /the daemon refuses to start while it is there/);
    assert.equal(check(r.report!, 'socket-eacces').found, `${sock} is not a socket (see stale-socket)`);
    doctor(conf, '--fix');
    assert.equal(readFileSync(sock, 'utf8'), 'notes someone keeps here\n');
    // the daemon's own refusal says the same
    const d = spawnSync(process.execPath, [cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', timeout: 20000 });
    assert.equal(d.status, 2, d.stderr);
    assert.ok(d.stderr.includes(`${sock} is a regular file, not a socket, and is left as it is`), d.stderr);
    rmSync(sock);
    symlinkSync('/nonexistent/sock', sock);
    const l = check(doctor(conf).report!, 'stale-socket');
    assert.deepEqual([l.found, l.fix], [`${sock} is a symbolic link, not a socket`, `look where it points, then remove it: rm ${sock}`]);
    assert.match(l.why ?? '', /replaces the link with its socket/);
  });

  test("the control socket's directory is missing (/var/run/supervisor after a reboot): run-dir-missing, and --fix creates it", () => {
    const { sock, conf } = unixCase('no-sock-dir');
    const gone = join(sock, '..', 'gone');
    writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(sock, join(gone, 's.sock')));
    const r = doctor(conf);
    assert.equal(r.status, 1);
    // (socket-under-tmp: the temp dir is under /tmp)
    assert.deepEqual(problems(r.report!), ['run-dir-missing', 'socket-under-tmp']);
    assert.equal(check(r.report!, 'run-dir-missing').found, `the control socket's directory ${gone} does not exist ([unix_http_server] file=${join(gone, 's.sock')})`);
    const f = doctor(conf, '--fix');
    assert.deepEqual(f.report!.fixes, [{ id: 'run-dir-missing', done: `created ${gone}` }]);
    assert.ok(existsSync(gone));
  });

  test("a daemon that drops root ([supervisord] user=) binds its socket as that user: run-dir-missing's --fix makes the directory that user's, and run-dir-unwritable names a socket or pidfile directory the user may not write", { skip: rootSkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-rundir-'));
    after(() => rmSync(d, { recursive: true, force: true }));
    chmodSync(d, 0o755);
    execFileSync('chown', ['nobody', d]);
    const rdir = join(d, 'run', 'rdir');
    const conf = liveConf(d);
    writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(`${d}/s.sock`, `${rdir}/s.sock`).replace('[supervisord]\n', '[supervisord]\nuser = nobody\n'));
    const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
    // as a root whose umask is 077 (some hardened hosts): the new directories must still let the daemon's user through
    const fixed = spawnSync('/bin/sh', ['-c', 'umask 077; exec "$@"', 'sh', process.execPath, cliPath(), 'doctor', '-c', conf, '--json', '--fix'], { encoding: 'utf8' });
    const f = { report: JSON.parse(fixed.stdout) as Report };
    assert.deepEqual(f.report!.fixes, [{ id: 'run-dir-missing', done: `created ${rdir} for nobody ([supervisord] user=)` }]);
    assert.deepEqual([statSync(rdir).uid, statSync(rdir).mode & 0o777], [nobody, 0o755]);
    assert.deepEqual([statSync(join(d, 'run')).uid, statSync(join(d, 'run')).mode & 0o777], [0, 0o755]);
    assert.equal(check(f.report!, 'run-dir-unwritable').status, 'ok');
    // the directory as a root `mkdir` leaves it: the daemon, as nobody, cannot bind there
    execFileSync('chown', ['root', rdir]);
    const r = doctor(conf);
    const c = check(r.report!, 'run-dir-unwritable');
    assert.equal(c.status, 'problem', r.stdout);
    assert.equal(c.found, `[unix_http_server] file=${rdir}/s.sock: nobody cannot write ${rdir} (root:nogroup 0755)`);
    assert.match(c.why ?? '', /^the daemon runs as nobody \(\[supervisord\] user=\) and makes these as that user: without its socket it does not start/);
    assert.equal(c.fix, `chown nobody ${rdir}, or move the file to a directory nobody owns (systemd: RuntimeDirectory= with User=nobody)`);
    assert.equal(c.fixable, false, 'a directory tsv did not make may be shared: left to the user');
    const start = spawnSync(process.execPath, [cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', timeout: 20000 });
    assert.equal(start.status, 2, start.stderr);
    assert.match(start.stderr, /errno\.EACCES \(13\)/);
    // the pidfile too
    execFileSync('chown', ['nobody', rdir]);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^pidfile = .*$/m, `pidfile = ${d}/root/tsv.pid`));
    mkdirSync(join(d, 'root'));
    const p = check(doctor(conf).report!, 'run-dir-unwritable');
    assert.equal(p.found, `pidfile ${d}/root/tsv.pid: nobody cannot write ${d}/root (root:root 0755)`);
    assert.match(p.why ?? '', /without its pidfile it runs, but init scripts and PIDFile= that read the file cannot find it$/);
  });

  test("a daemon that drops root: a log that is a symbolic link (planted by its user in its own directory) is left to the user, and --fix chowns nothing through it", { skip: rootSkip }, () => {
    const d = join(dir, 'planted');
    mkdirSync(join(d, 'own'), { recursive: true });
    execFileSync('chown', ['nobody', join(d, 'own')]);
    const secret = join(d, 'secret');
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    symlinkSync(secret, join(d, 'own', 'app.log'));
    const conf = base(`[program:app]\ncommand = /bin/sleep 1\nstdout_logfile = ${d}/own/app.log\n`);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('[supervisord]\n', '[supervisord]\nuser = nobody\n'));
    const r = doctor(conf);
    // (run-dir-unwritable: the pidfile is in the cases' 0700 temp dir, which nobody may not enter)
    assert.deepEqual(problems(r.report!), ['run-dir-unwritable', 'log-not-writable']);
    assert.match(check(r.report!, 'log-not-writable').fix ?? '', new RegExp(`${d}/own/app\\.log is a symbolic link: point the log at a regular file`));
    assert.equal(check(r.report!, 'log-not-writable').fixable, false);
    doctor(conf, '--fix');
    const st = statSync(secret);
    assert.deepEqual([st.uid, st.mode & 0o777], [0, 0o600], 'the file the link points at is still root-only');
  });

  test("the daemon opens its programs' logs, not their user=: a root daemon's root-owned log for a user= program is no problem", () => {
    const d = join(dir, 'root-logs');
    mkdirSync(d, { mode: 0o700 });
    writeFileSync(join(d, 'app.log'), '', { mode: 0o600 });
    const r = doctor(base(`[program:app]\ncommand = /bin/sleep 1\nuser = nobody\nstdout_logfile = ${d}/app.log\n`));
    assert.equal(check(r.report!, 'log-not-writable').status, 'ok', r.stdout);
  });

  test('a daemon that drops root ([supervisord] user=) with a childlogdir it may not write: log-not-writable names the AUTO logs it cannot make', { skip: rootSkip }, () => {
    // outside the 0700 temp dir of the other cases, which nobody cannot enter
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-auto-'));
    after(() => rmSync(d, { recursive: true, force: true }));
    mkdirSync(join(d, 'child'));
    chmodSync(d, 0o755);
    const conf = base('[program:app]\ncommand = /bin/sleep 1\n');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('[supervisord]\n', `[supervisord]\nuser = nobody\n`).replace(/^childlogdir = .*$/m, `childlogdir = ${d}/child`));
    const r = doctor(conf);
    const c = check(r.report!, 'log-not-writable');
    assert.equal(c.status, 'problem');
    assert.match(c.found, new RegExp(`the AUTO logs of app in childlogdir ${d}/child: nobody cannot write ${d}/child \\(root:root 0755\\)`));
    assert.match(c.fix ?? '', new RegExp(`let nobody write ${d}/child \\(chown nobody ${d}/child\\), or set childlogdir=`));
    assert.equal(c.fixable, false);
  });

  test("a daemon that drops root, with a log it may write in a directory it may not: the rotation to NAME.1 cannot work, which log-not-writable says and leaves to the user; with no backups it is no problem", { skip: rootSkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-rotate-'));
    after(() => rmSync(d, { recursive: true, force: true }));
    chmodSync(d, 0o755);
    execFileSync('chown', ['nobody', d]);
    mkdirSync(join(d, 'logs'));
    const log = join(d, 'logs', 'app.log');
    writeFileSync(log, '');
    execFileSync('chown', ['nobody', log]);
    const conf = liveConf(d, `[program:app]\ncommand = /bin/sleep 1\nstdout_logfile = ${log}\nstdout_logfile_maxbytes = 1KB\nstdout_logfile_backups = 2\n`);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('[supervisord]\n', '[supervisord]\nuser = nobody\n'));
    const r = doctor(conf);
    const c = check(r.report!, 'log-not-writable');
    assert.equal(c.status, 'problem', r.stdout);
    assert.equal(c.found, `app stdout ${log}: it cannot be rotated to ${log}.1: nobody cannot write ${d}/logs (root:root 0755)`);
    assert.equal(c.fix, `let nobody create files in ${d}/logs (chown nobody ${d}/logs), or set stdout_logfile_backups=0 (no backups: the file is emptied at maxbytes)`);
    assert.match(c.why ?? '', /^the daemon opens the logs as its user \(nobody: \[supervisord\] user=\): a log it cannot rotate grows past its maxbytes/);
    assert.equal(c.fixable, false);
    // --fix used to give a missing file to the daemon's user and call it done: the program starts, the rotation still cannot work
    rmSync(log);
    const f = doctor(conf, '--fix');
    assert.deepEqual(f.report!.fixes, [{ id: 'log-not-writable', done: `gave ${log} to nobody` }]);
    assert.equal(statSync(log).uid, Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })));
    assert.equal(check(f.report!, 'log-not-writable').status, 'problem', 'what is left is said');
    assert.match(check(f.report!, 'log-not-writable').found, /it cannot be rotated to/);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('stdout_logfile_backups = 2', 'stdout_logfile_backups = 0'));
    assert.equal(check(doctor(conf).report!, 'log-not-writable').status, 'ok');
  });

  test("rotation in a sticky directory: a backup (NAME.1) root left there cannot be replaced by the daemon's user; the fix names that file, not the directory", { skip: rootSkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-sticky-rot-'));
    after(() => rmSync(d, { recursive: true, force: true }));
    chmodSync(d, 0o755);
    execFileSync('chown', ['nobody', d]);
    mkdirSync(join(d, 'tmp'));
    chmodSync(join(d, 'tmp'), 0o1777);
    const log = join(d, 'tmp', 'app.log');
    writeFileSync(log, '');
    execFileSync('chown', ['nobody', log]);
    writeFileSync(`${log}.1`, 'from a root run\n');
    const conf = liveConf(d, `[program:app]\ncommand = /bin/sleep 1\nstdout_logfile = ${log}\nstdout_logfile_maxbytes = 1KB\nstdout_logfile_backups = 2\n`);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('[supervisord]\n', '[supervisord]\nuser = nobody\n'));
    const c = check(doctor(conf).report!, 'log-not-writable');
    assert.equal(c.status, 'problem');
    assert.equal(c.found, `app stdout ${log}: it cannot be rotated to ${log}.1: nobody may not rename ${log}.1 (root:root 0644) in the sticky directory ${d}/tmp (root:root 1777)`);
    assert.equal(c.fix, `chown nobody ${log}.1, or set stdout_logfile_backups=0 (no backups: the file is emptied at maxbytes)`);
    rmSync(`${log}.1`);
    assert.equal(check(doctor(conf).report!, 'log-not-writable').status, 'ok');
  });

  test("--fix creates nothing through a symbolic link the daemon's user planted on the way (run-dir-missing): it fails, naming the link", { skip: rootSkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-planted-dir-'));
    after(() => rmSync(d, { recursive: true, force: true }));
    chmodSync(d, 0o755);
    mkdirSync(join(d, 'secret'), { mode: 0o700 });
    mkdirSync(join(d, 'own'));
    execFileSync('chown', ['nobody', join(d, 'own')]);
    symlinkSync(join(d, 'secret'), join(d, 'own', 'link'));
    execFileSync('chown', ['-h', 'nobody', join(d, 'own', 'link')]);
    const conf = liveConf(d);
    writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(`${d}/s.sock`, `${d}/own/link/run/s.sock`).replace('[supervisord]\n', '[supervisord]\nuser = nobody\n'));
    const f = doctor(conf, '--fix');
    assert.deepEqual(
      f.report!.fixes.find((x) => x.id === 'run-dir-missing'),
      { id: 'run-dir-missing', error: `${d}/own/link is a symbolic link nobody owns: nothing is created through it; make ${d}/own/link/run by hand` },
    );
    assert.equal(existsSync(join(d, 'secret', 'run')), false);
  });

  test('serverurl-elsewhere with an inet server on one address: the fix names that address, and a refused port is said as such', () => {
    const conf = base('');
    const port = Number(/^port = 127\.0\.0\.1:(\d+)$/m.exec(readFileSync(conf, 'utf8'))?.[1]);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^port = 127\.0\.0\.1:/m, 'port = 192.0.2.2:'));
    const c = check(doctor(conf).report!, 'serverurl-elsewhere');
    assert.equal(c.status, 'problem');
    assert.equal(c.fix, `set serverurl = http://192.0.2.2:${port} in [supervisorctl]`);
    assert.match(c.why ?? '', new RegExp(`the ctl reaches nothing there \\(nothing listens at http://127\\.0\\.0\\.1:${port} \\(connection refused\\)\\)`));
  });

  test("doctor --user, with no install, checks the per-user layout's config (~/.config/tsv/supervisord.conf), not the system's", () => {
    const home = mkdtempSync(join(dir, 'home-'));
    mkdirSync(join(home, '.config', 'tsv'), { recursive: true });
    const mine = join(home, '.config', 'tsv', 'supervisord.conf');
    copyFileSync(base(''), mine);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_RUNTIME_DIR: home, NODE_EXTRA_CA_CERTS: '' };
    delete env.XDG_CONFIG_HOME;
    const r = spawnSync(process.execPath, [cliPath(), 'doctor', '--user', '--json'], { encoding: 'utf8', env, cwd: home });
    assert.equal((JSON.parse(r.stdout) as { config: string }).config, mine, r.stdout);
  });

  test('programs-orphaned: a leftover that ends by itself a moment later (the sleep of a shell loop stopped alone) is no orphan; one that stays is', () => {
    const d = mkdtempSync(join(dir, 'linger-'));
    const conf = liveConf(d, '[program:a]\ncommand = /bin/sleep 100\n');
    const env = { ...process.env, SUPERVISOR_ENABLED: '1', SUPERVISOR_PROCESS_NAME: 'a', SUPERVISOR_GROUP_NAME: 'a', SUPERVISOR_SERVER_URL: `unix://${d}/s.sock` };
    // the shell ends at once: its sleep, marked as a's, goes on under no daemon
    execFileSync('/bin/sh', ['-c', 'sleep 1.2 >/dev/null 2>&1 &'], { env });
    assert.equal(check(doctor(conf).report!, 'programs-orphaned').status, 'ok');
    execFileSync('/bin/sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $! > "$1"', 'sh', join(d, 'stays.pid')], { env });
    const stays = Number(readFileSync(join(d, 'stays.pid'), 'utf8'));
    try {
      const c = check(doctor(conf).report!, 'programs-orphaned');
      assert.equal(c.status, 'problem');
      assert.match(c.found, new RegExp(`^a pid ${stays} \\(sleep, parent pid \\d+\\): not a daemon's child$`));
    } finally {
      process.kill(stays, 'SIGKILL');
    }
  });

  test('a config with no [supervisorctl] section: serverurl-elsewhere says both ctls refuse it, and what to add', () => {
    const d = mkdtempSync(join(dir, 'noctl-'));
    const conf = liveConf(d);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/\[supervisorctl\]\nserverurl = .*\n/, ''));
    const c = check(doctor(conf).report!, 'serverurl-elsewhere');
    assert.deepEqual([c.status, c.found], ['problem', `${conf} has no [supervisorctl] section`]);
    assert.equal(c.fix, `add\n  [supervisorctl]\n  serverurl = unix://${d}/s.sock\nto the config`);
    const ctl = spawnSync(process.execPath, [cliPath(), 'ctl', '-c', conf, 'status'], { encoding: 'utf8' });
    assert.deepEqual([ctl.status, ctl.stderr.split('\n')[0]], [2, 'Error: .ini file does not include supervisorctl section']);
  });

  test('a log path that is a directory: log-not-writable says so, whoever the program runs as, and --fix leaves it', () => {
    const logdir = join(dir, 'dir.log');
    mkdirSync(logdir);
    const conf = base(`[program:app]\ncommand = /bin/sleep 1\nstdout_logfile = ${logdir}\n`);
    const r = doctor(conf);
    assert.deepEqual(problems(r.report!), ['log-not-writable']);
    assert.equal(check(r.report!, 'log-not-writable').found, `app stdout ${logdir}: ${logdir} is a directory`);
    assert.equal(check(r.report!, 'log-not-writable').fixable, false);
  });

  test("a socket held by a program that takes connections and never answers, with no daemon on the config: daemon-not-answering says so", () => {
    const { sock, conf } = unixCase('holder');
    const py = spawn('/usr/bin/python3', ['-c', `import socket, os, time\ns = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); s.listen(5)\nopen(${JSON.stringify(sock + '.up')}, 'w').close(); time.sleep(60)`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(`${sock}.up`); i++) execFileSync('/bin/sleep', ['0.05']);
      const r = doctor(conf);
      const c = check(r.report!, 'daemon-not-answering');
      assert.equal(c.status, 'problem', r.stdout);
      assert.match(c.found, new RegExp(`took the connection but did not answer in 5 s .*; no daemon runs on ${conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      assert.equal(c.fixable, false);
    } finally {
      py.kill('SIGKILL');
    }
  });

  test("socket-permissions --fix leaves alone a socket that something holds without answering as a daemon, when no daemon runs on the config", () => {
    const { sock, conf } = unixCase('mode-holder');
    // a program of root's on the name with mode 0755 (the config's chmod is the default 0700): daemon-not-answering names it
    const py = spawn('/usr/bin/python3', ['-c', `import socket, os, time\ns = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); os.chmod(${JSON.stringify(sock)}, 0o755); s.listen(5)\nopen(${JSON.stringify(sock + '.up')}, 'w').close(); time.sleep(30)`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(`${sock}.up`); i++) execFileSync('/bin/sleep', ['0.05']);
      const r = doctor(conf, '--fix');
      const c = check(r.report!, 'socket-permissions');
      assert.equal(c.status, 'skipped', r.stdout);
      assert.match(c.found, /0755, but no daemon runs on this config and what holds it is not one \(.* took the connection but did not answer in 5 s/);
      assert.ok(!r.report!.fixes.some((f) => f.id === 'socket-permissions'), JSON.stringify(r.report!.fixes));
      assert.equal(statSync(sock).mode & 0o777, 0o755);
      assert.equal(check(r.report!, 'daemon-not-answering').status, 'problem');
    } finally {
      py.kill('SIGKILL');
    }
  });

  test("socket-permissions: a socket another user put at the path is reported as not the daemon's, and --fix leaves it as it is", async () => {
    await withTestUser('tsvsock', 0, async (u) => {
      const { sock, conf } = unixCase('someone-elses');
      // a directory others can write (as /tmp is), that user reaches
      chmodSync(dir, 0o711);
      chmodSync(join(sock, '..'), 0o1777);
      // that user listens on the name (as a tsv would), with its own mode: doctor --fix must not hand it the config's
      const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, u.name], { encoding: 'utf8' })));
      const py = spawn('/usr/bin/python3', ['-c', `import socket, os, time\ns = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); os.chmod(${JSON.stringify(sock)}, 0o755); s.listen(5)\nopen(${JSON.stringify(sock + '.up')}, 'w').close(); time.sleep(30)`], { stdio: 'ignore', uid, gid });
      const gone = new Promise((r) => py.once('exit', r));
      try {
        for (let i = 0; i < 200 && !existsSync(`${sock}.up`); i++) execFileSync('/bin/sleep', ['0.05']);
        const r = doctor(conf, '--fix');
        const c = check(r.report!, 'socket-permissions');
        assert.equal(c.status, 'problem', r.stdout);
        assert.equal(c.found, `${sock} is ${u.name}:${u.name} 0755: owned by ${u.name}, who is neither root, chown='s owner nor the daemon's user`);
        assert.equal(c.fixable, false);
        assert.ok(!r.report!.fixes.some((f) => f.id === 'socket-permissions'), JSON.stringify(r.report!.fixes));
        assert.equal(statSync(sock).mode & 0o777, 0o755);
      } finally {
        py.kill('SIGKILL');
        await gone; // before its user is removed
      }
    });
  });

  test('the owner and mode change goes to the file looked at: a link swapped in for it since is refused, its target left as it was', () => {
    const d = mkdtempSync(join(dir, 'swap-'));
    const victim = join(d, 'victim');
    writeFileSync(victim, 'SECRET\n', { mode: 0o600 });
    const name = join(d, 's.sock');
    writeFileSync(name, '');
    const seen = statSync(name);
    rmSync(name);
    symlinkSync(victim, name);
    assert.throws(() => changeOwnerAndMode(name, seen, 0, 0, 0o777), /changed since it was looked at|ELOOP/);
    assert.equal(statSync(victim).mode & 0o777, 0o600);
    // the file itself, still there under its name: changed
    const own = join(d, 'own');
    writeFileSync(own, '', { mode: 0o600 });
    changeOwnerAndMode(own, statSync(own), 0, 0, 0o640);
    assert.equal(statSync(own).mode & 0o777, 0o640);
  });

  test('usage errors exit 2', () => {
    const r = spawnSync(process.execPath, [cliPath(), 'doctor', '--no-such-flag'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    const i = spawnSync(process.execPath, [cliPath(), 'install', '--boot', '--init', 'upstart', '--dry-run'], { encoding: 'utf8' });
    assert.equal(i.status, 2);
    assert.match(i.stderr, /unknown init system "upstart"/);
  });
});

function procParent(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
}

/** A config in `d` for a daemon of its own: unix socket (`socket`: more lines for it), logs and pidfile in `d`, then `programs`. */
/** A temp dir others may enter, holding `sub`: sticky and open to all, a /tmp of its own. */
function stickyTempDir(prefix: string, sub: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  mkdirSync(join(d, sub));
  chmodSync(join(d, sub), 0o1777);
  return d;
}

function liveConf(d: string, programs = '', socket = ''): string {
  const conf = join(d, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile = ${d}/s.sock\n${socket}\n[supervisord]\nlogfile = ${d}/tsv.log\npidfile = ${d}/tsv.pid\nchildlogdir = ${d}\n\n` +
      `[supervisorctl]\nserverurl = unix://${d}/s.sock\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n${programs}`,
  );
  return conf;
}

/**
 * A daemon of its own in a new temp dir, started from that dir with `-c startAs` (the config's
 * full path if not given); `body` runs while it serves, then it is shut down and the dir removed.
 */
function withLiveDaemon(prefix: string, make: (d: string) => { conf: string; startAs?: string }, body: (d: string, conf: string, pid: string) => void): void {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  const { conf, startAs } = make(d);
  let pid = '';
  try {
    const start = spawnSync(process.execPath, [cliPath(), 'daemon', '-c', startAs ?? conf], { cwd: d, encoding: 'utf8' });
    assert.equal(start.status, 0, start.stderr);
    pid = readFileSync(join(d, 'tsv.pid'), 'utf8').trim();
    body(d, conf, pid);
  } finally {
    const down = spawnSync(process.execPath, [cliPath(), 'ctl', '-c', conf, 'shutdown'], { encoding: 'utf8' });
    if (down.status !== 0 && pid) {
      // the body took the socket away: a signal, and a wait until it is gone
      try {
        process.kill(Number(pid), 'SIGTERM');
        for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) execFileSync('/bin/sleep', ['0.05']);
      } catch {
        // gone already
      }
    }
    rmSync(d, { recursive: true, force: true });
  }
}

describe('host: tsv doctor with a daemonized tsv under plain node', () => {
  const nobodySkip =
    process.getuid?.() !== 0 || spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', '/usr/bin/test', '-r', cliPath()]).status !== 0
      ? 'needs root, runuser and a checkout nobody can read'
      : false;

  test('node runs it with the V8 flags before the script, and doctor still knows it as the daemon on this config', () => {
    withLiveDaemon('tsv-doctor-live-', (d) => ({ conf: liveConf(d) }), (d, conf, pid) => {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(argv.slice(1, 4), ['--v8-pool-size=1', '--max-semi-space-size=1', '--optimize-for-size']);
      // before the fix doctor took this pidfile for a reused pid and --fix would have removed it
      const r = doctor(conf);
      assert.equal(check(r.report!, 'stale-pidfile').status, 'ok', r.stdout);
      assert.equal(check(r.report!, 'stale-pidfile').found, `${d}/tsv.pid names the running daemon (pid ${pid})`);
      assert.equal(check(r.report!, 'two-daemons').found, `one daemon (pid ${pid})`);
    });
  });

  test('a daemon stopped with SIGSTOP (its socket takes connections and never answers): doctor ends after its 5 s wait for an answer, calls nothing stale, and daemon-not-answering says it is stopped; --fix lets it go on', () => {
    withLiveDaemon('tsv-doctor-stopped-', (d) => ({ conf: liveConf(d) }), (d, conf, pid) => {
      process.kill(Number(pid), 'SIGSTOP');
      try {
        const t0 = Date.now();
        const r = spawnSync(process.execPath, [cliPath(), 'doctor', '-c', conf, '--json'], { encoding: 'utf8', timeout: 30000 });
        assert.equal(r.signal, null, 'doctor ended by itself');
        assert.ok(Date.now() - t0 < 20000, `doctor took ${Date.now() - t0} ms`);
        const report = JSON.parse(r.stdout) as Report;
        assert.equal(check(report, 'stale-socket').status, 'ok');
        const c = check(report, 'daemon-not-answering');
        assert.equal(c.status, 'problem');
        assert.equal(c.found, `the daemon (pid ${pid}) is stopped (SIGSTOP, or Ctrl-Z on a foreground -n): ${d}/s.sock took the connection but did not answer in 5 s (a stopped or hung daemon, or another program)`);
        assert.equal(c.fix, `let it go on: kill -CONT ${pid}`);
        assert.equal(c.fixable, true);
        const f = JSON.parse(spawnSync(process.execPath, [cliPath(), 'doctor', '-c', conf, '--json', '--fix'], { encoding: 'utf8', timeout: 30000 }).stdout) as Report;
        assert.deepEqual(f.fixes, [{ id: 'daemon-not-answering', done: `sent SIGCONT to the daemon (pid ${pid})` }]);
        assert.equal(check(f, 'daemon-not-answering').found, 'the daemon answers');
        assert.equal(check(f, 'stale-socket').status, 'ok');
        assert.ok(existsSync(join(d, 's.sock')), 'the socket stays');
        assert.equal(readFileSync(join(d, 'tsv.pid'), 'utf8').trim(), pid, 'the pidfile stays');
      } finally {
        process.kill(Number(pid), 'SIGCONT');
      }
    });
  });

  test("socket-permissions with no chown=: a live daemon's socket chmodded since: the fix is a chmod alone (not a chown with no owner), and --fix applies it", { skip: rootSkip }, () => {
    withLiveDaemon('tsv-doctor-sockmode-', (d) => ({ conf: liveConf(d) }), (d, conf) => {
      const sock = join(d, 's.sock');
      chmodSync(sock, 0o755);
      const c = check(doctor(conf).report!, 'socket-permissions');
      assert.equal(c.status, 'problem');
      assert.equal(c.fix, `chmod 0700 ${sock}`);
      assert.match(c.why ?? '', /Permission denied/);
      // too open rather than too closed: who gets in that should not
      chmodSync(sock, 0o777);
      const open = check(doctor(conf).report!, 'socket-permissions');
      assert.equal(open.fix, `chmod 0700 ${sock}`);
      assert.equal(open.why, "it lets in more than the config's chmod=0700: every local user may control the daemon (stop its programs, read their logs, send them input)");
      const f = doctor(conf, '--fix').report!;
      assert.deepEqual(f.fixes, [{ id: 'socket-permissions', done: `set ${sock} to root:root 0700` }]);
      assert.equal(statSync(sock).mode & 0o777, 0o700);
      assert.equal(check(f, 'socket-permissions').status, 'ok');
    });
  });

  const PROTECTED = '/proc/sys/fs/protected_regular';
  const protectedSkip = rootSkip || (existsSync(PROTECTED) ? false : 'no fs.protected_regular here');
  test("fs.protected_regular: logs another user left in a sticky directory (a run as nobody, then root's daemon) stop root's daemon, which says why; doctor says so and --fix gives them to root", { skip: protectedSkip }, () => {
    const was = readFileSync(PROTECTED, 'utf8').trim();
    const d = stickyTempDir('tsv-doctor-protected-', 'tmp');
    try {
      const main = join(d, 'tmp', 'tsv.log');
      const log = join(d, 'tmp', 'app.log');
      for (const f of [main, log]) {
        writeFileSync(f, "from nobody's run\n", { mode: 0o644 });
        execFileSync('chown', ['nobody:nogroup', f]);
      }
      const conf = liveConf(d, `[program:app]\ncommand = /bin/sh -c 'echo app up; exec sleep 100'\nstartsecs = 0\nstdout_logfile = ${log}\n`);
      writeFileSync(conf, readFileSync(conf, 'utf8').replace(`logfile = ${d}/tsv.log`, `logfile = ${main}`));
      const served = (body: () => void): void => {
        const start = spawnSync(process.execPath, [cliPath(), 'daemon', '-c', conf], { encoding: 'utf8', timeout: 20000 });
        assert.equal(start.status, 0, start.stderr);
        try {
          body();
        } finally {
          assert.equal(spawnSync(process.execPath, [cliPath(), 'ctl', '-c', conf, 'shutdown'], { encoding: 'utf8' }).status, 0);
          // gone (it removes its pidfile last) before the next one starts on the same socket
          for (let i = 0; i < 200 && existsSync(join(d, 'tsv.pid')); i++) execFileSync('/bin/sleep', ['0.05']);
        }
      };
      const refusal = (f: string): string =>
        `${f} (nobody:nogroup 0644) is nobody's file in the sticky directory ${d}/tmp (root:root 1777): the kernel lets no other user, root included, open it to write with O_CREAT (fs.protected_regular=1)`;
      // the mode bits alone let root write anything
      writeFileSync(PROTECTED, '0');
      assert.equal(check(doctor(conf).report!, 'log-not-writable').status, 'ok');
      writeFileSync(PROTECTED, '1');
      const c = check(doctor(conf).report!, 'log-not-writable');
      assert.equal(c.status, 'problem');
      assert.equal(c.found, `main log ${main}: ${refusal(main)}; app stdout ${log}: ${refusal(log)}`);
      assert.equal(c.fix, `chown root ${main} && chmod u+w ${main}; chown root ${log} && chmod u+w ${log}`);
      assert.equal(c.fixable, true);
      // the daemon: the main log stops it, with the reason
      const start = spawnSync(process.execPath, [cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', timeout: 20000 });
      assert.equal(start.status, 2, start.stderr);
      assert.equal(start.stderr.split('\n')[0], `Error: could not open the main log file ${main} ([supervisord] logfile): EACCES (the daemon runs as user root): ${refusal(main)}`);
      // a program's log keeps the program from starting, with the reason
      execFileSync('chown', ['root', main]);
      served(() => {
        for (let i = 0; i < 200 && !readFileSync(main, 'utf8').includes('could not open log file'); i++) execFileSync('/bin/sleep', ['0.05']);
        assert.match(readFileSync(main, 'utf8'), new RegExp(`ERRO could not open log file ${log} for program 'app': EACCES \\(permission denied\\); log files are opened by the daemon, running as user root; ${refusal(log).replace(/[()]/g, '\\$&')}\n`));
      });
      execFileSync('chown', ['nobody', main]);
      // --fix opens the files without O_CREAT, which the same rule would refuse
      const f = doctor(conf, '--fix');
      assert.deepEqual(f.report!.fixes, [{ id: 'log-not-writable', done: `gave ${main} to root; gave ${log} to root` }]);
      assert.equal(check(f.report!, 'log-not-writable').status, 'ok', f.stdout);
      assert.equal(readFileSync(log, 'utf8'), "from nobody's run\n", 'the log kept what it had');
      // fs.protected_symlinks: another user's link there is followed for nobody else, root included
      const link = join(d, 'tmp', 'link.log');
      symlinkSync(log, link);
      execFileSync('chown', ['-h', 'nobody', link]);
      const symlinksWere = readFileSync('/proc/sys/fs/protected_symlinks', 'utf8').trim();
      try {
        writeFileSync('/proc/sys/fs/protected_symlinks', '0');
        assert.equal(stickyOpenRefusal(link, 0), null);
        writeFileSync('/proc/sys/fs/protected_symlinks', '1');
        assert.equal(stickyOpenRefusal(link, 0), `${link} is a symbolic link nobody owns in the sticky directory ${d}/tmp (root:root 1777): the kernel follows it for no other user, root included (fs.protected_symlinks=1)`);
        assert.throws(() => writeFileSync(link, 'x', { flag: 'a' }), /EACCES/, 'as the kernel does');
      } finally {
        writeFileSync('/proc/sys/fs/protected_symlinks', symlinksWere);
      }
      rmSync(link);
      served(() => {
        for (let i = 0; i < 200 && !readFileSync(log, 'utf8').includes('app up'); i++) execFileSync('/bin/sleep', ['0.05']);
        assert.equal(readFileSync(log, 'utf8'), "from nobody's run\napp up\n");
      });
    } finally {
      writeFileSync(PROTECTED, was);
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('a stopped daemon with a unix socket and an inet serverurl: doctor waits for both at once, not 5 s and then 5 s more', () => {
    const port = 39977;
    const make = (d: string): { conf: string } => {
      const conf = liveConf(d, '', '');
      writeFileSync(conf, `[inet_http_server]\nport = 127.0.0.1:${port}\n\n` + readFileSync(conf, 'utf8').replace(`serverurl = unix://${d}/s.sock`, `serverurl = http://127.0.0.1:${port}`));
      return { conf };
    };
    withLiveDaemon('tsv-doctor-stopped2-', make, (d, conf, pid) => {
      process.kill(Number(pid), 'SIGSTOP');
      try {
        const t0 = Date.now();
        const r = spawnSync(process.execPath, [cliPath(), 'doctor', '-c', conf, '--json'], { encoding: 'utf8', timeout: 30000 });
        const took = Date.now() - t0;
        const c = check(JSON.parse(r.stdout) as Report, 'daemon-not-answering');
        assert.equal(c.status, 'problem');
        assert.equal(c.found, `the daemon (pid ${pid}) is stopped (SIGSTOP, or Ctrl-Z on a foreground -n): ${d}/s.sock took the connection but did not answer in 5 s (a stopped or hung daemon, or another program)`);
        // two waits one after the other cannot end before 10 s
        assert.ok(took < 9500, `doctor took ${took} ms`);
      } finally {
        process.kill(Number(pid), 'SIGCONT');
      }
    });
  });

  test("socket-missing: a file= edited after the daemon started is not a deleted socket (the daemon listens on the old path)", () => {
    withLiveDaemon('tsv-doctor-moved-', (d) => ({ conf: liveConf(d) }), (d, conf, pid) => {
      const original = readFileSync(conf, 'utf8');
      writeFileSync(conf, original.replaceAll(`${d}/s.sock`, `${d}/new.sock`));
      const moved = check(doctor(conf).report!, 'socket-missing');
      assert.equal(moved.status, 'problem');
      assert.equal(moved.found, `daemon pid ${pid} (tsv) runs on ${conf} and listens on ${d}/s.sock, not on file=${d}/new.sock`);
      assert.match(moved.why ?? '', /changed after the daemon started/);
      assert.match(moved.fix ?? '', new RegExp(`supervisorctl -s unix://${d}/s\\.sock reload`));
      assert.equal(moved.fixable, false);
      assert.equal(doctor(conf, '--fix').status, 1, 'nothing to fix by itself');
      // (a socket deleted under tsv's daemon is back at once: host-doctor.test.ts takes its directory away)
      writeFileSync(conf, original);
      assert.equal(check(doctor(conf).report!, 'socket-missing').status, 'ok');
    });
  });

  test('programs-orphaned: after a kill -9 of the daemon its programs run on under no daemon, which doctor names (not the processes a program started itself); the next daemon would start second copies', () => {
    const tag = `${process.pid}${Date.now() % 100000}`;
    const progs = (d: string): string =>
      liveConf(d, `[program:a]\ncommand = /bin/sleep 7${tag}1\nstartsecs = 0\n\n[program:b]\ncommand = /bin/sh -c 'sleep 7${tag}2 & exec sleep 7${tag}3'\nstartsecs = 0\n`);
    const pidOf = (n: number): number => Number(spawnSync('pgrep', ['-f', `^(/bin/)?sleep 7${tag}${n}$`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    try {
      withLiveDaemon('tsv-doctor-orphans-', (d) => ({ conf: progs(d) }), (_d, conf, pid) => {
        for (let i = 0; i < 200 && !(pidOf(1) && pidOf(2) && pidOf(3)); i++) execFileSync('/bin/sleep', ['0.05']);
        assert.equal(check(doctor(conf).report!, 'programs-orphaned').found, 'every running process of this config has its daemon');
        process.kill(Number(pid), 'SIGKILL');
        for (let i = 0; i < 200 && existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) execFileSync('/bin/sleep', ['0.05']);
        for (let i = 0; i < 200 && procParent(pidOf(1)) === Number(pid); i++) execFileSync('/bin/sleep', ['0.05']);
        const c = check(doctor(conf).report!, 'programs-orphaned');
        assert.equal(c.status, 'problem');
        assert.equal(c.found, `a pid ${pidOf(1)} (sleep, parent pid ${procParent(pidOf(1))}); b pid ${pidOf(3)} (sleep, parent pid ${procParent(pidOf(3))}): not a daemon's child`);
        assert.match(c.why ?? '', /^no daemon watches or stops them, and the next start of the daemon starts a second copy beside each/);
        assert.equal(c.fixable, false);
      });
    } finally {
      for (const n of [1, 2, 3]) if (pidOf(n)) process.kill(pidOf(n), 'SIGKILL');
    }
  });

  test("programs-orphaned: what a program leaves in the background comes to a subreaper daemon (any stopastree program); doctor names it as it does under init, but not a stopastree program's own leftovers, nor a pty program's main", () => {
    const tag = `${process.pid}${Date.now() % 100000}`;
    const progs = (d: string): string =>
      liveConf(
        d,
        `[program:tree]\ncommand = /bin/sh -c '(sleep 8${tag}1 &); exec sleep 8${tag}2'\nstopastree = true\nstartsecs = 0\npriority = 1\n\n` +
          `[program:pp]\ncommand = /bin/sh -c 'sleep 8${tag}3 & exit 0'\nstartsecs = 0\nautorestart = false\n\n` +
          `[program:tty]\ncommand = /bin/sleep 8${tag}4\npty = true\nstartsecs = 0\n`,
      );
    const pidOf = (n: number): number => Number(spawnSync('pgrep', ['-f', `^(/bin/)?sleep 8${tag}${n}$`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    try {
      withLiveDaemon('tsv-doctor-adopted-', (d) => ({ conf: progs(d) }), (_d, conf, pid) => {
        for (let i = 0; i < 200 && !([1, 2, 3, 4].every((n) => pidOf(n)) && procParent(pidOf(3)) === Number(pid)); i++) execFileSync('/bin/sleep', ['0.05']);
        // the daemon (a subreaper since tree's start, which comes first) took in both leftovers
        const ps = (): string => spawnSync('ps', ['-eo', 'pid,ppid,pgid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`8${tag}`)).join('\n');
        assert.equal(procParent(pidOf(1)), Number(pid), ps());
        assert.equal(procParent(pidOf(3)), Number(pid));
        const c = check(doctor(conf).report!, 'programs-orphaned');
        assert.equal(c.status, 'problem');
        assert.equal(c.found, `pp pid ${pidOf(3)} (sleep, parent pid ${pid}: the daemon, which took it in when its parent ended): not a daemon's child it started`);
      });
    } finally {
      for (const n of [1, 2, 3, 4]) if (pidOf(n)) process.kill(pidOf(n), 'SIGKILL');
    }
  });

  test("serverurl-elsewhere: file= moved and serverurl not, a [supervisorctl] without serverurl (localhost:9001), or a serverurl that leads to another daemon; the same socket by another name is no problem", () => {
    withLiveDaemon('tsv-doctor-serverurl-', (d) => ({ conf: liveConf(d) }), (d, conf, pid) => {
      assert.equal(check(doctor(conf).report!, 'serverurl-elsewhere').found, `unix://${d}/s.sock is this config's`);
      // a second config: its socket moved to run/, its serverurl left behind, on the first daemon's socket
      const other = join(d, 'other.conf');
      mkdirSync(join(d, 'run'));
      writeFileSync(other, readFileSync(conf, 'utf8').replace(/^file = .*$/m, `file = ${d}/run/s.sock`).replace(/^pidfile = .*$/m, `pidfile = ${d}/other.pid`));
      const c = check(doctor(other).report!, 'serverurl-elsewhere');
      assert.equal(c.status, 'problem');
      assert.equal(c.found, `[supervisorctl] serverurl=unix://${d}/s.sock, but the daemon serves [unix_http_server] file=${d}/run/s.sock`);
      assert.equal(c.why, `tsv ctl, supervisorctl and scripts that read this config go to serverurl: another daemon answers there (pid ${pid}): the ctl controls it, not this config's`);
      assert.equal(c.fix, `set serverurl = unix://${d}/run/s.sock in [supervisorctl]`);
      assert.equal(c.fixable, false);
      // nothing there
      writeFileSync(other, readFileSync(other, 'utf8').replace(/^serverurl = .*$/m, `serverurl = unix://${d}/gone.sock`));
      assert.match(check(doctor(other).report!, 'serverurl-elsewhere').why ?? '', new RegExp(`the ctl reaches nothing there \\(.*${d}/gone\\.sock.*\\), whether or not this config's daemon runs$`));
      // the same file by another name: ok
      symlinkSync(join(d, 'run'), join(d, 'link'));
      writeFileSync(other, readFileSync(other, 'utf8').replace(/^serverurl = .*$/m, `serverurl = unix://${d}/link/s.sock`));
      assert.equal(check(doctor(other).report!, 'serverurl-elsewhere').status, 'ok');
      // a [supervisorctl] section with no serverurl: Supervisor's ctl goes to http://localhost:9001
      writeFileSync(other, readFileSync(other, 'utf8').replace(/^serverurl = .*$/m, ''));
      const dflt = check(doctor(other).report!, 'serverurl-elsewhere');
      assert.equal(dflt.found, `[supervisorctl] serverurl=http://localhost:9001 (also what the ctl uses when [supervisorctl] has no serverurl), but the daemon serves [unix_http_server] file=${d}/run/s.sock`);
      const py = spawnSync('/usr/bin/supervisorctl', ['-c', other, 'status'], { encoding: 'utf8' });
      assert.match(py.stdout, /^http:\/\/localhost:9001 /, 'Supervisor\'s own ctl goes there too');
    });
  });

  test("a live supervisord started with another path to the config (a copy): stale-pidfile does not call its pidfile stale, and --fix leaves it", () => {
    withLiveDaemon(
      'tsv-doctor-copy-',
      (d) => {
        const conf = liveConf(d);
        copyFileSync(conf, join(d, 'copy.conf'));
        return { conf, startAs: join(d, 'copy.conf') };
      },
      (d, conf, pid) => {
        for (const fix of [[], ['--fix']]) {
          const r = doctor(conf, ...fix);
          const pf = check(r.report!, 'stale-pidfile');
          assert.equal(pf.status, 'skipped', r.stdout);
          assert.match(pf.found, new RegExp(`names pid ${pid}, a running supervisord started as .*copy\\.conf`));
          assert.equal(readFileSync(join(d, 'tsv.pid'), 'utf8').trim(), pid, 'the pidfile stays');
        }
      },
    );
  });

  test('a pidfile naming a zombie (killed, not yet reaped by its parent): stale-pidfile calls it not running, and --fix removes it', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-zombie-'));
    // `sleep 0` ends at once, and its parent, exec'd into `sleep 30`, never waits for it
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      for await (const chunk of parent.stdout) {
        out += String(chunk);
        if (out.includes('\n')) break;
      }
      const zombie = out.trim();
      for (let i = 0; i < 200 && !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++) execFileSync('/bin/sleep', ['0.05']);
      assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /, 'a zombie to test with');
      const conf = liveConf(d);
      writeFileSync(join(d, 'tsv.pid'), `${zombie}\n`);
      const pf = check(doctor(conf).report!, 'stale-pidfile');
      assert.equal(pf.status, 'problem');
      assert.equal(pf.found, `${d}/tsv.pid names pid ${zombie}, which is not running`);
      doctor(conf, '--fix');
      assert.equal(existsSync(join(d, 'tsv.pid')), false);
    } finally {
      parent.kill('SIGKILL');
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('a socket in a directory closed to the caller: socket-eacces names the directory, and no check calls the socket missing or stale', { skip: nobodySkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-closed-'));
    chmodSync(d, 0o755);
    mkdirSync(join(d, 'rdir'), { mode: 0o700 });
    const sock = join(d, 'rdir', 's.sock');
    const conf = liveConf(d);
    writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(`${d}/s.sock`, sock));
    chmodSync(conf, 0o644);
    execFileSync('/usr/bin/python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)})`]);
    try {
      for (const fix of [[], ['--fix']]) {
        const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'doctor', '-c', conf, '--json', ...fix], { encoding: 'utf8', cwd: '/' });
        const report = JSON.parse(r.stdout) as Report;
        const c = check(report, 'socket-eacces');
        assert.equal(c.status, 'problem', r.stdout);
        assert.match(c.found, new RegExp(`^nobody \\(groups: .*\\) cannot reach ${sock}: nobody cannot enter ${d}/rdir \\(root:root 0700\\)$`));
        assert.equal(c.fix, `the directory ${d}/rdir keeps nobody out; as root: chmod o+x ${d}/rdir, or put the socket in a directory nobody may enter`);
        for (const id of ['socket-missing', 'stale-socket', 'socket-permissions']) {
          const o = check(report, id);
          assert.equal(o.status, 'skipped', `${id}: ${o.found}`);
          assert.equal(o.found, `${sock} cannot be looked at: nobody cannot enter ${d}/rdir (root:root 0700) (see socket-eacces)`);
        }
        assert.deepEqual(report.fixes, [], 'nothing removed or signalled');
      }
      assert.equal(existsSync(sock), true);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a config with no [supervisord] user= is started by its owner: root-owned logs left by an earlier sudo run are that user's daemon's problem, whoever checks; a config root owns is a root daemon's", { skip: nobodySkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-sudo-'));
    try {
      const conf = liveConf(d, `[program:app]\ncommand = /bin/sleep 100\nstdout_logfile = ${d}/app.out\n`);
      chmodSync(conf, 0o644);
      execFileSync('chown', ['nobody', d, conf]);
      // what `sudo tsv daemon` leaves behind
      writeFileSync(join(d, 'tsv.log'), 'root was here\n', { mode: 0o644 });
      writeFileSync(join(d, 'app.out'), '', { mode: 0o644 });
      const asNobody = (): Check => {
        const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'doctor', '-c', conf, '--json'], { encoding: 'utf8', cwd: '/' });
        return check(JSON.parse(r.stdout) as Report, 'log-not-writable');
      };
      const c = asNobody();
      assert.equal(c.status, 'problem');
      assert.equal(c.found, `main log ${d}/tsv.log: nobody cannot write ${d}/tsv.log (root:root 0644); app stdout ${d}/app.out: nobody cannot write ${d}/app.out (root:root 0644)`);
      assert.match(c.why ?? '', /^the daemon opens the logs as its user \(nobody: no \[supervisord\] user=: you would start it\)/);
      // a config root owns (Debian's) is a root daemon's, whoever checks it: nothing to tell nobody about its logs or its socket
      execFileSync('chown', ['root', conf]);
      const rootConf = asNobody();
      assert.equal(rootConf.status, 'ok', rootConf.found);
      assert.match(rootConf.found, /\(root: no \[supervisord\] user=, and root owns the config\)$/);
      execFileSync('chown', ['nobody', conf]);
      // the daemon, started by nobody, refuses to start for it
      const start = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', cwd: '/', timeout: 20000 });
      assert.equal(start.status, 2, start.stderr);
      assert.match(start.stderr, /EACCES/);
      // root's check of the same config says the same: the config is nobody's, whose daemon nobody starts
      const byRoot = check(doctor(conf).report!, 'log-not-writable');
      assert.equal(byRoot.status, 'problem');
      assert.match(byRoot.why ?? '', /^the daemon opens the logs as its user \(nobody: no \[supervisord\] user=, and nobody owns the config\)/);
      rmSync(join(d, 'tsv.log'));
      rmSync(join(d, 'app.out'));
      const clean = asNobody();
      assert.equal(clean.status, 'ok', clean.found);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a running daemon started without user= by a user: doctor, run by root, checks the logs as that daemon's user", { skip: nobodySkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-theirs-'));
    let pid = '';
    try {
      const conf = liveConf(d, `[program:app]\ncommand = /bin/sleep 100\nstdout_logfile = ${d}/app.out\nstdout_logfile_backups = 0\n`, 'chmod = 0777\n');
      chmodSync(conf, 0o644);
      execFileSync('chown', ['nobody', d]);
      const start = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'daemon', '-c', conf], { encoding: 'utf8', cwd: '/' });
      assert.equal(start.status, 0, start.stderr);
      pid = readFileSync(join(d, 'tsv.pid'), 'utf8').trim();
      assert.equal(check(doctor(conf).report!, 'log-not-writable').status, 'ok');
      // root takes the program's log (a chown -R by hand, say): the daemon's next reopen fails
      execFileSync('chown', ['root', join(d, 'app.out')]);
      const c = check(doctor(conf).report!, 'log-not-writable');
      assert.equal(c.status, 'problem');
      assert.equal(c.found, `app stdout ${d}/app.out: nobody cannot write ${d}/app.out (root:nogroup 0644)`);
      assert.match(c.why ?? '', new RegExp(`^the daemon opens the logs as its user \\(nobody: the running daemon's \\(pid ${pid}\\)\\)`));
    } finally {
      if (pid) spawnSync(process.execPath, [cliPath(), 'ctl', '-c', join(d, 'supervisord.conf'), 'shutdown'], { encoding: 'utf8' });
      for (let i = 0; pid && i < 200 && existsSync(`/proc/${pid}`); i++) execFileSync('/bin/sleep', ['0.05']);
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a root-owned socket left in a sticky directory, checked by the user whose daemon would use the path: stale-socket says it is another user's that the daemon can neither use nor remove, and no check advises a chmod or a group", { skip: nobodySkip }, () => {
    const d = stickyTempDir('tsv-doctor-sticky-', 'sticky');
    try {
      const sock = join(d, 'sticky', 't.sock');
      const conf = liveConf(d);
      writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll(`${d}/s.sock`, sock));
      chmodSync(conf, 0o644);
      // nobody's own config, whose daemon nobody starts
      execFileSync('chown', ['nobody', d, conf]);
      // root's, and nothing listens
      execFileSync('/usr/bin/python3', ['-c', `import socket, os; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); os.chmod(${JSON.stringify(sock)}, 0o755)`]);
      const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'doctor', '-c', conf, '--json', '--fix'], { encoding: 'utf8', cwd: '/' });
      const report = JSON.parse(r.stdout) as Report;
      const c = check(report, 'stale-socket');
      assert.equal(c.status, 'problem', r.stdout);
      assert.equal(c.found, `${sock} (root:root 0755) is a socket nobody may not connect to, and no daemon runs on ${conf}`);
      assert.equal(
        c.why,
        `it is not this config's daemon's, which cannot start while it is there: as nobody it may not remove it (nobody may not rename ${sock} (root:root 0755) in the sticky directory ${d}/sticky (root:root 1777)); if it is stale, only its owner or root may tell and remove it`,
      );
      assert.equal(c.fix, `ask root to look (sudo tsv doctor --fix -c ${conf} removes it if nothing listens), or give [unix_http_server] file= a path of your own`);
      for (const id of ['socket-permissions', 'socket-eacces']) {
        assert.deepEqual([check(report, id).status, check(report, id).found], ['skipped', `${sock} is another user's socket, not this config's daemon's (see stale-socket)`], id);
      }
      assert.deepEqual(report.fixes, []);
      // the daemon nobody starts refuses, as stale-socket says
      const start = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'daemon', '-n', '-c', conf], { encoding: 'utf8', cwd: '/', timeout: 20000 });
      assert.equal(start.status, 2, start.stderr);
      assert.match(start.stderr, /cannot be removed: EPERM/);
      // root may tell: nothing listens, and --fix removes it
      const root = doctor(conf, '--fix');
      assert.deepEqual(root.report!.fixes, [{ id: 'stale-socket', done: `removed the stale socket ${sock}` }]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a config this user cannot read: config-invalid says so and names sudo, not an edit; the checks that need it are skipped", { skip: nobodySkip }, () => {
    const d = mkdtempSync(join(tmpdir(), 'tsv-doctor-unreadable-'));
    chmodSync(d, 0o755);
    const conf = join(d, 'supervisord.conf');
    writeFileSync(conf, '[supervisord]\n', { mode: 0o600 });
    try {
      const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'doctor', '-c', conf, '--json'], { encoding: 'utf8', cwd: '/' });
      const report = JSON.parse(r.stdout) as Report;
      const c = check(report, 'config-invalid');
      assert.equal(c.found, `could not read config file ${conf}: EACCES (as nobody)`);
      assert.equal(c.fix, `run doctor as a user who can read it: sudo tsv doctor -c ${conf}`);
      assert.equal(check(report, 'run-dir-missing').status, 'skipped');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('stale-socket asks the socket itself, not the serverurl: a live socket is never called stale when the ctl is pointed at an inet port nothing listens on', () => {
    withLiveDaemon('tsv-doctor-inet-', (d) => ({ conf: liveConf(d) }), (d, conf) => {
      // the same socket in a config no daemon runs on, whose ctl goes to 127.0.0.1:1 (refused)
      const other = join(d, 'other.conf');
      writeFileSync(other, readFileSync(conf, 'utf8').replace(/^serverurl = .*$/m, 'serverurl = http://127.0.0.1:1').replace(/^pidfile = .*$/m, `pidfile = ${d}/other.pid`));
      for (const fix of [[], ['--fix']]) {
        const r = doctor(other, ...fix);
        const c = check(r.report!, 'stale-socket');
        assert.deepEqual([c.status, c.found], ['ok', `${d}/s.sock answers`], r.stdout);
        assert.ok(existsSync(join(d, 's.sock')), 'the live socket stays');
      }
    });
  });

  test('log-deleted counts a removed log once, though the daemon writes it through two descriptors (stdout and stderr in one file)', () => {
    const both = (d: string): string =>
      liveConf(d, `[program:both]\ncommand = /bin/sh -c 'echo out; echo err >&2; exec sleep 100'\nstdout_logfile = ${d}/both.log\nstderr_logfile = ${d}/both.log\nstartsecs = 0\n`);
    withLiveDaemon('tsv-doctor-deleted-', (d) => ({ conf: both(d) }), (d, conf) => {
      for (let i = 0; i < 100 && !/err/.test(existsSync(join(d, 'both.log')) ? readFileSync(join(d, 'both.log'), 'utf8') : ''); i++) execFileSync('/bin/sleep', ['0.05']);
      rmSync(join(d, 'both.log'));
      const c = check(doctor(conf).report!, 'log-deleted');
      assert.equal(c.status, 'problem');
      assert.match(c.found, new RegExp(`still writes 1 deleted file\\(s\\): ${d}/both\\.log$`));
    });
  });

  test("run by another user, doctor never calls the pidfile of a daemon started with a relative -c stale, and --fix leaves it (the daemon's cwd is root's to read)", { skip: nobodySkip }, () => {
    const readable = (d: string): string => {
      const conf = liveConf(d, '', 'chmod = 0777\n');
      chmodSync(conf, 0o644);
      return conf;
    };
    withLiveDaemon('tsv-doctor-cwd-', (d) => ({ conf: readable(d), startAs: 'supervisord.conf' }), (d, conf, pid) => {
      for (const fix of [[], ['--fix']]) {
        const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, cliPath(), 'doctor', '-c', conf, '--json', ...fix], { encoding: 'utf8', cwd: '/' });
        const report = JSON.parse(r.stdout) as Report;
        const pf = check(report, 'stale-pidfile');
        assert.equal(pf.status, 'skipped', r.stdout);
        assert.match(pf.found ?? '', new RegExp(`names pid ${pid}, a daemon whose config this user cannot tell`));
        assert.match(check(report, 'two-daemons').found ?? '', new RegExp(`pid [0-9, ]*\\b${pid}\\b[0-9, ]*, whose config this user cannot tell`));
        assert.equal(readFileSync(join(d, 'tsv.pid'), 'utf8').trim(), pid, 'the pidfile stays');
      }
    });
  });
});
