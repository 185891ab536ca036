// Stands in for node-pty's lib/utils.js inside a single-executable tsv
// (scripts/dist.mjs swaps it in at bundle time). node-pty looks for pty.node
// in build/Release next to its sources, which a single executable has not
// got; this hands it the copy embedded in the binary instead.
import { dirname } from 'node:path';
import { loadEmbeddedAddon } from '../native/assets';

export function assign<T extends object>(target: T, ...sources: object[]): T {
  for (const source of sources) Object.assign(target, source);
  return target;
}

export function loadNativeModule(name: string): { dir: string; module: unknown } {
  if (name !== 'pty') throw new Error(`node-pty's ${name}.node is not part of tsv`);
  const { path, exports } = loadEmbeddedAddon<unknown>('pty');
  return { dir: dirname(path), module: exports };
}
