// Child and main logs sent to syslog, compared with the real supervisord:
// a datagram socket at /dev/log (made by the test when the machine has no
// syslog daemon) records what each daemon sends for the same config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSV, cleanEnv } from './helpers/daemon-cli';
import { repoRoot } from './helpers/common';

const DEV_LOG = '/dev/log';
const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], 'ab', buffering=0)
print('ready', flush=True)
while True:
    data = s.recv(65536)
    out.write(data.replace(b'\\n', b'\\\\n') + b'\\n')
`;

const skip =
  process.getuid?.() !== 0
    ? 'needs root to create /dev/log'
    : existsSync(DEV_LOG)
      ? 'a syslog daemon owns /dev/log on this machine'
      : !existsSync('/usr/bin/supervisord')
        ? 'needs /usr/bin/supervisord'
        : false;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Syslog lines without the `<PRI>Mmm dd hh:mm:ss ` prefix, for one daemon's run. */
function bodies(file: string): { pri: string; body: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d (.*)$/.exec(l);
      assert.ok(m, `not a syslog datagram: ${l}`);
      return { pri: m[1], body: m[2] };
    });
}

async function runDaemon(cmd: string[], conf: string, record: string, want: RegExp): Promise<void> {
  const child: ChildProcess = spawn(cmd[0], [...cmd.slice(1), '-n', '-c', conf], { env: cleanEnv(), stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !want.test(existsSync(record) ? readFileSync(record, 'utf8') : ''); i++) await sleep(100);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** A datagram receiver bound at /dev/log that appends each message to `record`. */
async function startReceiver(record: string): Promise<ChildProcess> {
  rmSync(DEV_LOG, { force: true });
  const rx = spawn('/usr/bin/python3', ['-c', RECEIVER, DEV_LOG, record], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  rx.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    rx.stdout?.once('data', () => resolve());
    rx.once('exit', (code) => reject(new Error(`syslog receiver exited ${code}: ${err}`)));
  });
  return rx;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('stdout_syslog, stderr_logfile=syslog and logfile=syslog send what supervisord sends', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-syslog-'));
  let rx: ChildProcess | null = null;
  try {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[supervisord]\nlogfile=syslog\npidfile=${dir}/d.pid\nchildlogdir=${dir}\n` +
        `[program:talker]\ncommand=/bin/sh -c 'echo out-one; echo out-two; echo err-one >&2; sleep 30'\n` +
        `stdout_syslog=true\nstdout_logfile=NONE\nstderr_logfile=syslog\nstartsecs=0\n`,
    );
    // tsv runs through a link named supervisord (as the packages install it),
    // so even the syslog ident must match; `tsv daemon` logs as `tsv`.
    symlinkSync(join(repoRoot(), 'bin/tsv'), join(dir, 'supervisord'));
    const runs: Record<string, string> = {};
    for (const [name, cmd] of [
      ['supervisord', ['/usr/bin/supervisord']],
      ['tsv', [join(dir, 'supervisord')]],
      ['tsv-daemon', [process.execPath, TSV, 'daemon']],
    ] as const) {
      const record = join(dir, `${name}.log`);
      rx = await startReceiver(record);
      await runDaemon([...cmd], conf, record, /talker err-one[\s\S]*success: talker|success: talker[\s\S]*talker err-one/);
      await sleep(300);
      await stop(rx);
      runs[name] = record;
    }
    const norm = (f: string): string[] =>
      bodies(f)
        .map(({ pri, body }) => `<${pri}>${body.replace(/pid \d+/g, 'pid N').replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/, 'TIME')}`)
        .filter((l) => /talker/.test(l));
    const sup = norm(runs.supervisord);
    const ours = norm(runs.tsv);
    assert.ok(sup.some((l) => l.endsWith('talker out-one')), `supervisord sent: ${JSON.stringify(sup)}`);
    const childLines = (xs: string[]): string[] => xs.filter((l) => /talker (out|err)-/.test(l)).sort();
    assert.deepEqual(childLines(ours), childLines(sup));
    const mainLines = (xs: string[]): string[] => xs.filter((l) => /spawned: 'talker'|success: talker/.test(l));
    assert.deepEqual(mainLines(ours), mainLines(sup));
    assert.deepEqual(
      childLines(norm(runs['tsv-daemon'])),
      childLines(sup).map((l) => l.replace('supervisord:', 'tsv:')),
    );
  } finally {
    if (rx) await stop(rx);
    rmSync(DEV_LOG, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
