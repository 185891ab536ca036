// The daemon's V8 flags and how they get set when node's command line lacks them.
import type * as V8 from 'node:v8';
import flags from './v8-flags.json';
import nodeOptions from './node-options.json';

/**
 * V8 keeps up to 16 MiB semi-spaces committed; a daemon allocates little, so
 * a 1 MiB young generation cuts resident memory by a third at no visible cost.
 * --optimize-for-size keeps the old generation from growing far past what
 * lives in it between collections, which on a busy host (programs restarting,
 * a monitor polling) let Node 20's heap swell to twice supervisord's memory
 * (bench/daemon `busy`). A single executable on Node 24 starts with them
 * (scripts/dist.mjs puts them in its build configuration and makes its code
 * caches under them); under plain node they go on node's command line of the
 * daemonized process and of a boot service (src/host/tsv-program.ts);
 * otherwise (-n by hand) they are set at run time, where on Node 20 V8 has
 * sized its heap already and they do less (on Node 22 and 24 they do as
 * much, so a foreground daemon does not exec itself to move them:
 * bench/daemon README).
 */
export const DAEMON_V8_FLAGS: readonly string[] = flags;

/**
 * Node's own options for the daemon, which only its command line can give
 * (node reads them as it starts): one V8 worker thread instead of four.
 * With four, TurboFan compiles on whichever is free and each thread's glibc
 * arena keeps what the compiles freed, fragmented past malloc_trim's reach:
 * 1000 programs held 23–28 MiB of anonymous memory depending on the build
 * (a 5 KB change of unrelated code moved it by 4 MiB), 21.5 MiB with one
 * thread, restart p99 1.45 → 1.95 ms (bench/daemon README, 2026-11-26).
 * Given where DAEMON_V8_FLAGS are on a command line (a daemonizing start
 * under node, a boot service, a single executable on Node 24); a daemon
 * started in the foreground by hand runs without it.
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = nodeOptions;

/** Those of `wanted` not on node's command line (a single executable's execArgv included); one given there with another value is the user's choice. */
function notOnCommandLine(wanted: readonly string[]): string[] {
  return wanted.filter((f) => !process.execArgv.some((a) => a.startsWith(f.split('=')[0])));
}

/** DAEMON_NODE_OPTIONS not on node's command line, for a command line that starts the daemon. */
export function missingNodeOptions(): string[] {
  return notOnCommandLine(DAEMON_NODE_OPTIONS);
}

/** DAEMON_V8_FLAGS not on node's command line. */
export function missingV8Flags(): string[] {
  return notOnCommandLine(DAEMON_V8_FLAGS);
}

/**
 * Sets the flags node's command line lacks. The entry does it before it
 * compiles the full CLI, whose V8 code cache was made under them (V8 refuses
 * a cache made under other flags: scripts/code-cache.mjs), and the daemon
 * again in case it was started some other way.
 */
export function setMissingV8Flags(): void {
  const missing = missingV8Flags();
  if (!missing.length) return;
  // Loaded only when needed: the module and the bindings it brings cost ~1 MiB resident.
  const v8 = require('node:v8') as typeof V8;
  for (const f of missing) v8.setFlagsFromString(f);
}
