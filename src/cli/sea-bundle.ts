// A single executable carries tsv as two bundles in its assets (the ctl's
// small one and the full CLI, scripts/dist.mjs), each with the V8 code cache
// the build made for it with the target's own Node. A plain require() cannot
// load an asset or use a cache, so this compiles and runs one as Node would
// run a CommonJS main script.
import { dirname } from 'node:path';
import { seaAssets } from '../native/sea';

/** Runs the bundle in SEA asset `asset`, compiled with `${asset}.cache` when V8 accepts it. */
export function runBundleAsset(asset: string): void {
  const sea = seaAssets();
  if (!sea) throw new Error(`${asset}: not running as a single executable`);
  const vm = require('node:vm') as typeof import('node:vm');
  const Module = require('node:module') as typeof import('node:module') & { wrap(source: string): string };
  const source = sea.getAsset(asset, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getRawAsset(`${asset}.cache`));
  } catch {
    // built without one: V8 compiles as usual
  }
  const script = new vm.Script(Module.wrap(source), { filename: asset, cachedData });
  if (process.env.TSV_DEBUG && script.cachedDataRejected !== false) process.stderr.write(`tsv: ${asset}: code cache ${cachedData ? 'rejected' : 'missing'}\n`);
  // Each bundle runs as the executable's own main script would: its
  // __filename is the executable (src/native/sea.ts tells a single executable
  // by that), and require() reaches Node's built-in modules.
  const mod = { exports: {} };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, Module.createRequire(process.execPath), mod, process.execPath, dirname(process.execPath));
}
