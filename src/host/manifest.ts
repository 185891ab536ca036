// The record of what `tsv install` created, so `tsv uninstall` removes
// exactly that: files (with the content we wrote, and what was there before
// if we replaced something), directories, the group, the enabled service.
// Written after every change, so even a failed install can be undone.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { SERVICE_NAME, type InitSystem, type Scope } from './types';
import { HostError } from './types';

export type Removal =
  /** removed by every uninstall */
  | 'uninstall'
  /** kept by a plain uninstall, removed by --purge (config, logs) */
  | 'purge';

export interface ManifestFile {
  path: string;
  sha256: string;
  removal: Removal;
  /** the content we replaced, restored by uninstall */
  previous?: string;
  previousMode?: number;
}

export interface ManifestDir {
  path: string;
  removal: Removal;
  /** remove with everything in it (logs), not only when empty */
  tree: boolean;
}

export interface Manifest {
  version: 1;
  init: InitSystem;
  scope: Scope;
  service: string;
  configFile: string;
  /** the argv prefix that runs tsv (ctl, wait-ready) */
  tsv: string[];
  /** the argv prefix that runs the daemon (before -n -c FILE) */
  daemon: string[];
  files: ManifestFile[];
  dirs: ManifestDir[];
  /** groups install created */
  groups: string[];
  /** Supervisor's service that install stopped and disabled (--from-supervisor): uninstall puts it back */
  supervisorTaken?: { name: string; restore: string[][] };
  /** false after a plain uninstall: only the kept config and logs remain listed */
  installed: boolean;
  installedAt: string;
  updatedAt: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HostError(`the install manifest ${path} is unreadable: ${(err as Error).message}`, 'remove it by hand only if you know what tsv installed');
  }
  const m = data as Partial<Manifest>;
  if (m.version !== 1 || !Array.isArray(m.files) || !Array.isArray(m.dirs)) {
    throw new HostError(`the install manifest ${path} is not one this version of tsv wrote`);
  }
  return m as Manifest;
}

export function writeManifest(path: string, m: Manifest): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, path);
}

/** Add or update a file entry, keeping what the first install recorded about the previous content. */
export function recordFile(m: Manifest, entry: ManifestFile): void {
  const old = m.files.find((f) => f.path === entry.path);
  if (old) {
    old.sha256 = entry.sha256;
    old.removal = entry.removal;
  } else {
    m.files.push(entry);
  }
}

export function recordDir(m: Manifest, entry: ManifestDir): void {
  if (!m.dirs.some((d) => d.path === entry.path)) m.dirs.push(entry);
}

export function newManifest(init: InitSystem, scope: Scope, configFile: string, tsv: string[], daemon: string[]): Manifest {
  const now = new Date().toISOString();
  return { version: 1, init, scope, service: SERVICE_NAME, configFile, tsv, daemon, files: [], dirs: [], groups: [], installed: true, installedAt: now, updatedAt: now };
}
