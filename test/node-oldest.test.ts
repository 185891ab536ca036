// The npm build under the oldest Node tsv runs on: 20.11.0, the Node the
// armv7l binaries (Raspberry Pis) embed and package.json's engines admit.
// Code that needs a newer Node breaks there first, and a build made by one
// Node must not crash another: V8 code caches are per Node executable
// (src/cli/run-bundle.ts), not per V8 version, which patch releases share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './helpers/common';
import { cleanEnv, oldestNode } from './helpers/dist';

const tsv = join(repoRoot(), 'bin/tsv');

function oldest(): { node: string; version: string; env: NodeJS.ProcessEnv } {
  const node = oldestNode();
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  // bin/tsv runs the `node` on PATH; a daemonizing start re-runs that one
  return { node, version, env: cleanEnv({ PATH: `${dirname(node)}:${process.env.PATH}` }) };
}

function run(args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(tsv, args, { encoding: 'utf8', env, timeout: 60_000 });
}

test("bin/tsv runs under the oldest Node on a build another Node made, leaving that Node's code caches alone", (t) => {
  const { version, env } = oldest();
  assert.equal(version, 'v20.11.0');
  if (process.version === version) return t.skip(`the build was made by ${version} itself`);
  const v = run(['--version'], env);
  assert.equal(v.status, 0, `exit ${v.status} signal ${v.signal}: ${v.stderr}`);
  assert.match(v.stdout, /^tsv \S+ \(node v20\.11\.0, x64\)\n$/);
  // Both bundles' caches were made by the Node running this test; the full CLI's is needed for `config check`.
  const dir = mkdtempSync(join(tmpdir(), 'tsv-oldest-'));
  try {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(conf, `[supervisord]\nlogfile=${dir}/main.log\n[program:a]\ncommand=/bin/true\n`);
    const c = run(['config', 'check', '-c', conf], { ...env, TSV_DEBUG: '1' });
    assert.equal(c.status, 0, `exit ${c.status} signal ${c.signal}: ${c.stderr}`);
    assert.match(c.stdout, /^ok: /);
    assert.match(c.stderr, /build\/tsv-ctl\.cjs: code cache missing or made by another Node\n/);
    assert.match(c.stderr, /build\/tsv\.cjs: code cache made by another Node, not used\n/);
    // ... while the Node that made them takes them
    const same = spawnSync(tsv, ['config', 'check', '-c', conf], { encoding: 'utf8', env: { ...cleanEnv(), TSV_DEBUG: '1' }, timeout: 60_000 });
    assert.equal(same.status, 0, same.stderr);
    assert.doesNotMatch(same.stderr, /code cache/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('under the oldest Node the daemon starts, runs a program on a pipe and one on a pseudo-terminal, restarts one and shuts down', () => {
  const { node, env } = oldest();
  const dir = mkdtempSync(join(tmpdir(), 'tsv-oldest-'));
  const pidfile = join(dir, 'supervisord.pid');
  try {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      [
        '[unix_http_server]',
        `file=${dir}/s.sock`,
        '[supervisord]',
        `logfile=${dir}/main.log`,
        `pidfile=${pidfile}`,
        `childlogdir=${dir}`,
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
        '[supervisorctl]',
        `serverurl=unix://${dir}/s.sock`,
        '[program:plain]',
        `command=/bin/sh -c 'echo hello from a pipe; exec sleep 1000'`,
        'startsecs=0',
        '[program:term]',
        `command=/bin/sh -c 'if [ -t 1 ]; then echo on a terminal; fi; exec sleep 1000'`,
        'pty=true',
        'startsecs=0',
        '',
      ].join('\n'),
    );
    const d = run(['daemon', '-c', conf], env);
    assert.equal(d.status, 0, `exit ${d.status} signal ${d.signal}: ${d.stderr}`);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    assert.equal(readlinkSync(`/proc/${pid}/exe`), node, 'the daemon runs under the oldest Node');

    const status = run(['-c', conf, 'status'], env);
    assert.equal(status.status, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^plain\s+RUNNING\s+pid \d+/m);
    assert.match(status.stdout, /^term\s+RUNNING\s+pid \d+/m);
    // supervisorctl's tail ends what it shows with a line end of its own
    assert.equal(run(['-c', conf, 'tail', 'plain'], env).stdout, 'hello from a pipe\n\n');
    assert.equal(run(['-c', conf, 'tail', 'term'], env).stdout, 'on a terminal\n\n');

    const restart = run(['-c', conf, 'restart', 'plain'], env);
    assert.equal(restart.stdout, 'plain: stopped\nplain: started\n', restart.stderr);

    const down = run(['-c', conf, 'shutdown'], env);
    assert.equal(down.status, 0, down.stdout + down.stderr);
    for (let i = 0; i < 100 && existsSync(pidfile); i++) spawnSync('sleep', ['0.1']);
    assert.equal(existsSync(pidfile), false, 'the daemon removes its pidfile at exit');
    const log = readFileSync(join(dir, 'main.log'), 'utf8');
    assert.match(log, /WARN stopped: plain \(terminated by SIGTERM\)\n/);
    assert.match(log, /WARN stopped: term \(terminated by SIGTERM\)\n/);
  } finally {
    if (existsSync(pidfile)) {
      try {
        process.kill(Number(readFileSync(pidfile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
