// Native addons embedded in a single-executable tsv (node-pty's pty.node and
// tsv's own tsv_native.node): extracted once into a private cache directory
// under a content-addressed name (the embedded bytes are checked against the
// sha256 the build recorded before they are written), and handed out for
// process.dlopen only while the file there is ours, private and byte for byte
// the embedded copy. Outside a single executable there is nothing embedded
// and callers use their own search.
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { distManifest, type NativeAddonName } from './manifest';
import { cacheDirCandidates, effectiveUid, preparePrivateDir } from './cache';
import { embeddedBytes, isSingleExecutable } from './sea';
import { processRuns } from '../daemon/proc-stat';

export type { NativeAddonName } from './manifest';

export interface NativeAddonStatus {
  /** the verified extracted file, or null */
  path: string | null;
  /** why there is no path (null when there is one) */
  error: string | null;
  /** the path is in a one-shot directory, removed once the addon is loaded */
  oneShot?: boolean;
}

const statuses = new Map<NativeAddonName, NativeAddonStatus>();

function sha256(bytes: Uint8Array): string {
  // node:crypto is required here, not at the top: loading it costs milliseconds at every start.
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}

/** TSV_NATIVE_DISABLE=all or a comma list of addon names turns addons off (for tests and for diagnosis). */
export function nativeAddonDisabled(name: NativeAddonName): boolean {
  const v = process.env.TSV_NATIVE_DISABLE;
  if (!v) return false;
  const names = v.split(',').map((s) => s.trim());
  return names.includes('all') || names.includes(name);
}

/**
 * True when `file` is our regular file, not writable by others, holding
 * exactly the embedded bytes. A byte comparison, not a hash: node:crypto
 * costs a one-shot `tsv status` more than its whole exchange with the daemon.
 */
function alreadyExtracted(file: string, expected: Uint8Array, euid: number): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== euid || (st.mode & 0o022) !== 0 || st.size !== expected.length) return false;
    return Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).equals(readFileSync(fd));
  } finally {
    closeSync(fd);
  }
}

/** Write to a private temp name, then rename: a reader never sees half a file. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    // normally absent
  }
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o500);
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    // a part written to a full disk would keep it full
    try {
      unlinkSync(tmp);
    } catch {
      // gone already
    }
    throw e;
  }
}

/** Temporary copies (writeAtomically's) left by processes killed while they wrote them. */
function removeStaleTemps(dir: string, name: NativeAddonName): void {
  const pattern = new RegExp(`^${name}-[0-9a-f]{32}\\.node\\.(\\d+)\\.tmp$`);
  try {
    for (const f of readdirSync(dir)) {
      const pid = Number(pattern.exec(f)?.[1] ?? 0);
      if (pid > 0 && pid !== process.pid && !processRuns(pid)) unlinkSync(join(dir, f));
    }
  } catch {
    // best effort, as removeOtherVersions
  }
}

/**
 * Copies left by other tsv versions. A process that loaded one keeps its
 * mapping; one that needs it again extracts it again.
 */
function removeOtherVersions(dir: string, name: NativeAddonName, keep: string): void {
  const pattern = new RegExp(`^${name}-[0-9a-f]{32}\\.node$`);
  try {
    for (const f of readdirSync(dir)) if (f !== keep && pattern.test(f)) unlinkSync(join(dir, f));
  } catch {
    // best effort: a stale copy only costs disk space
  }
}

function extract(name: NativeAddonName): NativeAddonStatus {
  if (nativeAddonDisabled(name)) return { path: null, error: 'turned off by TSV_NATIVE_DISABLE' };
  if (!distManifest || !isSingleExecutable()) return { path: null, error: 'not a single-executable tsv binary' };
  const entry = distManifest.addons[name];
  if (!entry) return { path: null, error: `this binary was built without it (linux-${distManifest.arch})` };

  let bytes: Uint8Array;
  try {
    bytes = embeddedBytes(entry);
  } catch (e) {
    return { path: null, error: (e as Error).message };
  }
  const euid = effectiveUid();
  const fileName = `${name}-${entry.sha256.slice(0, 32)}.node`;
  let intact: boolean | undefined;
  /** The verified copy in `dir` (written there if need be), a status that ends the search, or why not here. */
  const placeIn = (dir: string): NativeAddonStatus | string => {
    const why = preparePrivateDir(dir, euid);
    if (why) return why;
    const file = join(dir, fileName);
    if (alreadyExtracted(file, bytes, euid)) return { path: file, error: null };
    // The build's sha256 is checked (once) before anything is written: a damaged binary is not extracted.
    intact ??= sha256(bytes) === entry.sha256;
    if (!intact) return { path: null, error: 'the embedded copy is corrupt (sha256 mismatch): the binary is damaged' };
    try {
      removeStaleTemps(dir, name);
      writeAtomically(file, bytes);
      if (!alreadyExtracted(file, bytes, euid)) return `${file}: the extracted copy does not verify`;
      removeOtherVersions(dir, name, fileName);
      return { path: file, error: null };
    } catch (e) {
      return `${dir}: ${(e as Error).message}`;
    }
  };
  const refused: string[] = [];
  for (const dir of cacheDirCandidates()) {
    const r = placeIn(dir);
    if (typeof r !== 'string') return r;
    refused.push(r);
  }
  // Last, a directory of a name no one can make first (mkdtemp's, 0700), for this process alone and
  // removed as soon as the addon is loaded (loadEmbeddedAddon): the per-uid one may have been made by
  // another user, and a user without a writable home has no cache of its own. Not when TSV_NATIVE_CACHE
  // names the place: a refused one is the answer.
  let ended: NativeAddonStatus | null = null;
  if (!process.env.TSV_NATIVE_CACHE) {
    let once: string | null = null;
    try {
      once = mkdtempSync(join(tmpdir(), 'tsv-native-once-'));
      const r = placeIn(once);
      if (typeof r === 'string') refused.push(r);
      else if (r.path) return { ...r, oneShot: true };
      else ended = r;
    } catch (e) {
      refused.push(`${tmpdir()}: ${(e as Error).message}`);
    }
    if (once) rmSync(once, { recursive: true, force: true });
  }
  return ended ?? { path: null, error: `no private directory to extract it to (${refused.join('; ')})` };
}

/** The extracted, verified addon and why it is unusable if it is; computed once per process. */
export function nativeAddonStatus(name: NativeAddonName): NativeAddonStatus {
  let s = statuses.get(name);
  if (!s) {
    s = extract(name);
    statuses.set(name, s);
  }
  return s;
}

const loaded = new Map<NativeAddonName, unknown>();

/** An embedded addon that cannot be loaded; `reason` without the addon's name. */
export class AddonLoadError extends Error {
  constructor(
    name: NativeAddonName,
    readonly reason: string,
  ) {
    super(`${name}.node: ${reason}`);
  }
}

/** dlopens the embedded addon once; throws AddonLoadError with the reason when it cannot. */
export function loadEmbeddedAddon<T>(name: NativeAddonName): { path: string; exports: T } {
  const { path, error, oneShot } = nativeAddonStatus(name);
  if (!path) throw new AddonLoadError(name, error ?? 'unavailable');
  if (!loaded.has(name)) {
    const mod = { exports: {} as T };
    try {
      process.dlopen(mod, path);
    } catch (e) {
      const reason = `loading ${path} failed: ${(e as Error).message}`;
      // the one-shot copy goes below, and the same bytes would fail again
      if (oneShot) statuses.set(name, { path: null, error: reason });
      throw new AddonLoadError(name, reason);
    } finally {
      // the mapping outlives the file
      if (oneShot) rmSync(dirname(path), { recursive: true, force: true });
    }
    loaded.set(name, mod.exports);
  }
  return { path, exports: loaded.get(name) as T };
}
