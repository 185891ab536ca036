// How a one-shot `tsv` ctl command writes its output (src/ctl/fd-output.ts:
// write(2) on fds 1 and 2, no node:net) and reaches the daemon
// (src/rpc/blocking-http.ts): output larger than a pipe holds, to a pipe
// another process made non-blocking, arrives whole; a reader that goes away
// ends the command quietly; and a one-shot command never loads node:net.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/common';
import { startDaemon, settled, type Daemon } from './helpers/rpc-daemons';

const BIN = join(repoRoot(), 'bin', 'tsv');
const LOG_BYTES = 300_000;

let d: Daemon;

before(async () => {
  // A program that writes 300,000 bytes (lines of 99 'x' and a newline) to its log, then waits.
  d = await startDaemon(
    'tsv',
    `[program:big]
command=/bin/sh -c 'yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c ${LOG_BYTES}; exec sleep 100000'
startsecs=0
stdout_logfile=%(here)s/big.log
stdout_logfile_maxbytes=0
`,
  );
  await settled(d);
  const log = join(d.dir, 'big.log');
  for (let i = 0; i < 100 && !(existsSync(log) && statSync(log).size >= LOG_BYTES); i++) await new Promise((res) => setTimeout(res, 50));
});

after(async () => {
  await d?.stop();
});

// Python runs the ctl so the test controls its stdout exactly.
function runPy(code: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync('python3', ['-c', code, process.execPath, BIN, d.conf, ...args], { encoding: 'utf8', env, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tail output larger than a pipe holds arrives whole on a pipe made non-blocking', () => {
  // O_NONBLOCK is set on the pipe (shared by both ends' open file
  // description) and nothing is read until the ctl has filled it: its
  // write(2) meets EAGAIN and must go on through Node's stream.
  const r = runPy(
    `
import os, subprocess, sys, time
node, bin_, conf = sys.argv[1:4]
rd, wr = os.pipe()
os.set_blocking(wr, False)
p = subprocess.Popen([node, bin_, '-c', conf, 'tail', '-${LOG_BYTES}', 'big'], stdout=wr)
os.close(wr)
time.sleep(1.5)
data = b''
while True:
    chunk = os.read(rd, 65536)
    if not chunk:
        break
    data += chunk
print(p.wait(), len(data), data.count(b'\\n'), data.strip(b'x\\n') == b'')
`,
  );
  assert.equal(r.status, 0, r.stderr);
  // the log's last LOG_BYTES bytes, and the newline supervisorctl's output() adds
  assert.equal(r.stdout.trim(), `0 ${LOG_BYTES + 1} ${LOG_BYTES / 100 + 1} True`);
});

test('a reader that closes the pipe early ends the command quietly (tsv status | head -1)', () => {
  const r = runPy(
    `
import subprocess, sys
node, bin_, conf = sys.argv[1:4]
p = subprocess.Popen([node, bin_, '-c', conf, 'tail', '-${LOG_BYTES}', 'big'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.read(10)
p.stdout.close()
err = p.stderr.read()
print(p.wait(), repr(err))
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "0 b''");
});

test('a one-shot command loads neither node:net nor its streams, to a pipe or to /dev/null', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${join(repoRoot(), 'build', 'js', 'test', 'helpers', 'report-modules.js')}` };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const stdout of ['pipe', 'ignore'] as const) {
    const r = spawnSync(process.execPath, [BIN, '-c', d.conf, 'status'], { encoding: 'utf8', env, stdio: ['ignore', stdout, 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    if (stdout === 'pipe') assert.match(r.stdout, /^big\s+RUNNING/m);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('NativeModule '));
    assert.ok(loaded.length > 10, r.stderr);
    assert.deepEqual(loaded.filter((l) => / (net|tty|stream|internal\/streams\/readable)$/.test(l)), [], `stdout ${stdout}`);
  }
});
