// tsv's code comes in two bundles: the ctl's small one, where it starts, and
// the full CLI. Each goes with the V8 code cache the build made for it by
// running it (scripts/code-cache.mjs): files next to each other under
// build/, or assets of the single executable (scripts/dist.mjs). A plain
// require() cannot use a cache or load an asset, so this compiles and runs a
// bundle as Node would run a CommonJS main script.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { seaAssets } from '../native/sea';

interface Bundle {
  source: string;
  cachedData: Buffer | undefined;
  /** why there is no cachedData, for TSV_DEBUG */
  noCache?: string;
  /** the name V8 and stack traces know the code by */
  filename: string;
  /** the bundle's __filename, from which its require() resolves */
  file: string;
}

function run(b: Bundle): void {
  const vm = require('node:vm') as typeof import('node:vm');
  const Module = require('node:module') as typeof import('node:module') & { wrap(source: string): string };
  const script = new vm.Script(Module.wrap(b.source), { filename: b.filename, cachedData: b.cachedData });
  if (process.env.TSV_DEBUG && script.cachedDataRejected !== false) process.stderr.write(`tsv: ${b.filename}: code cache ${b.cachedData ? 'rejected' : (b.noCache ?? 'missing')}\n`);
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

/**
 * The first line of a cache file the build made (scripts/code-cache.mjs
 * writes it; bin/tsv reads it the same way): the Node that made it. V8 checks
 * its own version and flags, but Node's patch releases keep V8's version and
 * change its built-in code, and a cache made by Node 20.20 crashes Node 20.11
 * (SIGSEGV before a line of tsv runs). A build outlives the Node it was made
 * with (an apt upgrade, a boot service running `node build/tsv.cjs`), so a
 * cache is used only under the very executable that made it.
 */
function codeCacheStamp(): string {
  const st = statSync(process.execPath);
  return `tsv-code-cache ${process.version} ${process.arch} ${st.size} ${Math.floor(st.mtimeMs)}\n`;
}

/** The V8 data of a stamped cache file, or undefined when another Node made it. */
function ownCache(bytes: Buffer): Buffer | undefined {
  const stamp = codeCacheStamp();
  return bytes.toString('latin1', 0, stamp.length) === stamp ? bytes.subarray(stamp.length) : undefined;
}

/** Runs the bundle in `file`, compiled with `${file}.cache` when this Node made it and V8 accepts it. */
export function runBundleFile(file: string): void {
  let cachedData: Buffer | undefined;
  let noCache = 'missing';
  try {
    cachedData = ownCache(readFileSync(`${file}.cache`));
    noCache = 'made by another Node, not used';
  } catch {
    // no cache: V8 compiles as usual
  }
  run({ source: readFileSync(file, 'utf8'), cachedData, noCache, filename: file, file });
}
