// Facts about the running binary: is it a tsv single executable, and the
// bytes it embeds.
import { existsSync } from 'node:fs';
import { distManifest, type EmbeddedAddon } from './manifest';

/**
 * True inside a binary made by scripts/dist.mjs. In a single executable the
 * injected main script's __filename is the executable itself; this holds on
 * Node 20.11 too, which has no `node:sea` module.
 */
export function isSingleExecutable(): boolean {
  return distManifest !== null && __filename === process.execPath;
}

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string, encoding: 'utf8'): string;
  getRawAsset(key: string): ArrayBuffer;
}

/** node:sea when this process is a single executable (of any build), else null; Node 20.11 has no node:sea. */
export function seaAssets(): SeaModule | null {
  try {
    const sea = require('node:sea') as SeaModule;
    return sea.isSea() ? sea : null;
  } catch {
    return null;
  }
}

/** The embedded bytes of an addon; throws with the reason when they are missing. */
export function embeddedBytes(entry: EmbeddedAddon): Uint8Array {
  if (entry.inline !== undefined) return Buffer.from(entry.inline, 'base64');
  if (entry.asset !== undefined) {
    const sea = seaAssets();
    if (!sea) throw new Error(`asset ${entry.asset} needs node:sea, which Node ${process.version} lacks here`);
    return new Uint8Array(sea.getRawAsset(entry.asset));
  }
  throw new Error('the build recorded neither an asset nor inline bytes');
}

/**
 * How to start this program again with other arguments. Under Node that is
 * node, its flags and the script; a single executable is the binary alone, and
 * its argv[1] is the argv[0] it was started with, so passing that on as argv0
 * keeps a link's name (and so the personality: supervisord, supervisorctl).
 */
export function selfCommand(): { file: string; args: string[]; argv0?: string } {
  const file = runningExecutable();
  if (__filename === process.execPath) return { file, args: [], argv0: process.argv[1] };
  return { file, args: [...process.execArgv, process.argv[1]] };
}

/**
 * process.execPath, unless it names no file: a directory name that is not
 * UTF-8 lost its bytes in the string, or an upgrade removed the file. Linux's
 * /proc/self/exe is then still this very executable. Only then: under
 * qemu-user /proc/self/exe is the emulator.
 */
function runningExecutable(): string {
  if (existsSync(process.execPath)) return process.execPath;
  return existsSync('/proc/self/exe') ? '/proc/self/exe' : process.execPath;
}
