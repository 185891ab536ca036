// Running commands from the build scripts (dist.mjs, packages.mjs,
// code-cache.mjs): one way to run a tool and report its failure, and the
// environment a freshly built Node runs in.
import { spawnSync } from 'node:child_process';

/** A command failed; its message says which and what it printed. */
export class CommandError extends Error {}

/**
 * Runs `cmd` and returns its stdout; throws CommandError when it cannot start
 * or exits non-zero. With `allowFail`, returns the whole spawnSync result instead.
 */
export function run(cmd, args, opts = {}) {
  const { allowFail, ...spawnOpts } = opts;
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...spawnOpts });
  if (r.error) throw new CommandError(`${cmd}: ${r.error.message}`);
  if (allowFail) return r;
  if (r.status !== 0) {
    throw new CommandError(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`.trimEnd());
  }
  return r.stdout ?? '';
}

export function onPath(cmd) {
  return spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' }).status === 0;
}

/**
 * The environment for running a Node the build made or downloaded: without
 * the developer's NODE_OPTIONS and NODE_EXTRA_CA_CERTS (which costs a Node 20
 * start ~55 ms and is not what users have).
 */
export function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}
