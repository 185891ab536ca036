// How the init system is to run tsv. A unit must name the program the way
// it can be executed at boot: a single-executable binary is one path; a
// Node script is the node binary plus the script. Both shapes are frozen
// into the unit, so doctor checks that they still exist.
import { basename, isAbsolute, resolve } from 'node:path';
import { seaAssets } from '../native/sea';
import { DAEMON_NODE_OPTIONS, DAEMON_V8_FLAGS } from '../daemon/v8-flags';

export type TsvProgram =
  | { kind: 'binary'; path: string }
  | { kind: 'node-script'; node: string; script: string };

function isNodeBinary(p: string): boolean {
  return /^(node|nodejs)(\d+)?(\.exe)?$/.test(basename(p));
}

/** The program that is running right now. */
export function runningProgram(): TsvProgram {
  const script = process.argv[1];
  // In a single executable the injected script's __filename is the binary (src/native/sea.ts).
  const single = __filename === process.execPath || seaAssets() !== null;
  if (!single && script && isNodeBinary(process.execPath)) {
    return { kind: 'node-script', node: process.execPath, script: resolve(script) };
  }
  return { kind: 'binary', path: process.execPath };
}

/**
 * `--tsv-path P`: a .js/.cjs/.mjs file runs under `node` (the given one or
 * the running one); anything else is an executable.
 */
export function programFromPath(path: string, node?: string): TsvProgram {
  const abs = isAbsolute(path) ? path : resolve(path);
  if (/\.(c|m)?js$/.test(abs)) return { kind: 'node-script', node: node ? resolve(node) : process.execPath, script: abs };
  return { kind: 'binary', path: abs };
}

/** argv that runs `tsv <args...>`. */
export function tsvArgv(p: TsvProgram, ...args: string[]): string[] {
  return p.kind === 'binary' ? [p.path, ...args] : [p.node, p.script, ...args];
}

/**
 * argv that runs the daemon (the service adds -n -c CONFIG). A Node script
 * gets the daemon's V8 flags on node's command line: set there they size the
 * heap from the start, which the daemon's own setFlagsFromString under -n
 * cannot do (bench/daemon README, "Memory on a busy host"). A single
 * executable carries them in itself.
 */
export function tsvDaemonArgv(p: TsvProgram): string[] {
  return p.kind === 'binary' ? [p.path, 'daemon'] : [p.node, ...DAEMON_NODE_OPTIONS, ...DAEMON_V8_FLAGS, p.script, 'daemon'];
}

/** Whether argv is what tsv install writes for this tsv, in this version's form or an earlier one's. */
export function isDefaultDaemon(daemon: readonly string[], tsv: readonly string[]): boolean {
  const parsed = programFromArgv(tsv);
  const forms = [[...tsv, 'daemon'], ...(parsed ? [tsvDaemonArgv(parsed.program)] : [])];
  return forms.some((f) => f.join('\0') === daemon.join('\0'));
}

/** The files the program needs at run time (each must exist and be executable or readable). */
export function programFiles(p: TsvProgram): { path: string; need: 'exec' | 'read' }[] {
  return p.kind === 'binary'
    ? [{ path: p.path, need: 'exec' }]
    : [
        { path: p.node, need: 'exec' },
        { path: p.script, need: 'read' },
      ];
}

/**
 * Where the script is in an interpreter's command line: the first argument
 * that is not one of the interpreter's own options (`node --flag=value …
 * tsv.cjs`, as tsvDaemonArgv writes it; `python3 -u … supervisord`); -1 if none.
 */
export function scriptIndex(argv: readonly string[]): number {
  return argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
}

/** Recognises a program prefix in a command line taken from a unit or a process. */
export function programFromArgv(argv: readonly string[]): { program: TsvProgram; rest: string[] } | null {
  if (argv.length === 0) return null;
  if (isNodeBinary(argv[0])) {
    const at = scriptIndex(argv);
    if (at > 0) return { program: { kind: 'node-script', node: argv[0], script: argv[at] }, rest: argv.slice(at + 1) };
  }
  return { program: { kind: 'binary', path: argv[0] }, rest: argv.slice(1) };
}

export function describeProgram(p: TsvProgram): string {
  return p.kind === 'binary' ? p.path : `${p.node} ${p.script}`;
}
