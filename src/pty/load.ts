// node-pty, loaded only when a program asks for a pseudo-terminal. In a
// single-executable tsv its native addon comes from the binary itself (see
// node-pty-utils.ts); when it cannot be loaded, asking for a pty fails with
// PtyUnavailableError and everything else keeps working.
import type * as NodePty from 'node-pty';
import { nativeAddonDisabled } from '../native/assets';

export type PtyModule = typeof NodePty;
export type Pty = NodePty.IPty;

export class PtyUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`pseudo-terminals are unavailable in this tsv: node-pty's native addon (pty.node) cannot be loaded: ${reason}`);
    this.name = 'PtyUnavailableError';
  }
}

let cached: PtyModule | PtyUnavailableError | undefined;

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

/** node-pty, or PtyUnavailableError (the same one on every call: a failed load is not retried). */
export function loadPty(): PtyModule {
  if (cached === undefined) {
    if (nativeAddonDisabled('pty')) cached = new PtyUnavailableError('turned off by TSV_NATIVE_DISABLE');
    else {
      try {
        // Required here, not imported at the top: only pty programs pay for it.
        cached = require('node-pty') as PtyModule;
      } catch (e) {
        cached = new PtyUnavailableError(firstLine(e));
      }
    }
  }
  if (cached instanceof PtyUnavailableError) throw cached;
  return cached;
}

export interface PtySpawnOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts `file` on a new pseudo-terminal; throws PtyUnavailableError when there are none. */
export function spawnPty(file: string, args: string[], opts: PtySpawnOptions = {}): Pty {
  const pty = loadPty();
  return pty.spawn(file, args, {
    name: 'xterm',
    cols: opts.cols ?? 80,
    rows: opts.rows ?? 24,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? process.env,
    uid: opts.uid,
    gid: opts.gid,
  });
}
