// NODE_OPTIONS in the daemon's environment is for the programs it runs: a
// Node app's `--require` tracer, its `--max-old-space-size`, an `--inspect`
// to debug it. supervisord passes it on and is not touched by it. tsv is a
// Node program, and Node applies NODE_OPTIONS to every process it starts: a
// `--require` of a file only the app has stops tsv itself, and an `--inspect`
// opens a debugger port into a root daemon, through which any local user can
// run code as root.
//
// The binaries on Node 24 ignore it (execArgvExtension "none" in their
// build, scripts/dist.mjs). Under plain node (and the armv7l binary's Node
// 20) Node has applied it before any of tsv runs, so there the daemon of a
// daemonizing start is started without it, held aside for the programs in
// HELD_ENV and put back when that daemon starts; a daemon in the foreground
// closes the debugger port it was given.
import { isSingleExecutable } from '../native/sea';

/** Where a daemonizing start holds NODE_OPTIONS for the daemon's programs. */
export const HELD_ENV = 'TSV_HELD_NODE_OPTIONS';

/** A single executable's blob can refuse NODE_OPTIONS from Node 24.6 on (scripts/dist.mjs asks it to). */
function binaryRefusesNodeOptions(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return isSingleExecutable() && (major > 24 || (major === 24 && minor >= 6));
}

/** Did Node apply a NODE_OPTIONS to this process? */
export function nodeOptionsApplied(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NODE_OPTIONS ?? '').trim() !== '' && !binaryRefusesNodeOptions();
}

/** The environment for a daemon this process starts: NODE_OPTIONS held aside where Node would apply it. */
export function withNodeOptionsHeld(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!nodeOptionsApplied(env)) return env;
  const { NODE_OPTIONS: held, ...rest } = env;
  return { ...rest, [HELD_ENV]: held };
}

/** NODE_OPTIONS held aside by the tsv that started this daemon, back in its environment for the programs. */
export function putBackNodeOptions(env: NodeJS.ProcessEnv = process.env): void {
  const held = env[HELD_ENV];
  if (held === undefined) return;
  delete env[HELD_ENV];
  env.NODE_OPTIONS = held;
}

/**
 * A daemon in the foreground that Node gave a debugger port (`--inspect` in
 * NODE_OPTIONS) closes it; true if there was one.
 */
export function closeDebuggerPort(): boolean {
  if (!nodeOptionsApplied() || !/--inspect/.test(process.env.NODE_OPTIONS ?? '')) return false;
  const inspector = require('node:inspector') as typeof import('node:inspector');
  if (inspector.url() === undefined) return false;
  inspector.close();
  return true;
}
