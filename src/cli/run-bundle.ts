// tsv's code comes in two bundles: the ctl's small one, where it starts, and
// the full CLI. Each goes with the V8 code cache the build made for it by
// running it (scripts/code-cache.mjs): files next to each other under
// build/, or assets of the single executable (scripts/dist.mjs). A plain
// require() cannot use a cache or load an asset, so this compiles and runs a
// bundle as Node would run a CommonJS main script.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { seaAssets } from '../native/sea';

interface Bundle {
  source: string;
  cachedData: Buffer | undefined;
  /** the name V8 and stack traces know the code by */
  filename: string;
  /** the bundle's __filename, from which its require() resolves */
  file: string;
}

function run(b: Bundle): void {
  const vm = require('node:vm') as typeof import('node:vm');
  const Module = require('node:module') as typeof import('node:module') & { wrap(source: string): string };
  const script = new vm.Script(Module.wrap(b.source), { filename: b.filename, cachedData: b.cachedData });
  if (process.env.TSV_DEBUG && script.cachedDataRejected !== false) process.stderr.write(`tsv: ${b.filename}: code cache ${b.cachedData ? 'rejected' : 'missing'}\n`);
  const mod = { exports: {} };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, Module.createRequire(b.file), mod, b.file, dirname(b.file));
}

/** Runs the bundle in SEA asset `asset`, compiled with `${asset}.cache` when V8 accepts it. */
export function runBundleAsset(asset: string): void {
  const sea = seaAssets();
  if (!sea) throw new Error(`${asset}: not running as a single executable`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getRawAsset(`${asset}.cache`));
  } catch {
    // built without one: V8 compiles as usual
  }
  // Each bundle runs as the executable's own main script would: its
  // __filename is the executable (src/native/sea.ts tells a single executable
  // by that), and require() reaches Node's built-in modules.
  run({ source: sea.getAsset(asset, 'utf8'), cachedData, filename: asset, file: process.execPath });
}

/** Runs the bundle in `file`, compiled with `${file}.cache` when there is one and V8 accepts it. */
export function runBundleFile(file: string): void {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // no cache: V8 compiles as usual
  }
  run({ source: readFileSync(file, 'utf8'), cachedData, filename: file, file });
}
