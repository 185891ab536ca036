// Applies the installer's changes one at a time, or, with --dry-run, only
// says what it would do: every file in full and every command. Each change
// first compares with what is there, so a second install changes nothing,
// and an edited or outdated file is shown as a diff before it is replaced.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { groupExists, groupGid, groupName, userName } from '../os/accounts';
import { createGroupArgv } from './group-commands';
import { resetUserCache } from '../config/users';
import { recordDir, recordFile, sha256, writeManifest, type Manifest, type Removal } from './manifest';
import { shJoin } from './quote';
import { describeFailure, indent, ok, run, type RunResult } from './run';
import { HostError, type Output } from './types';

export interface FileSpec {
  path: string;
  content: string;
  mode: number;
  /** group name; owner is always the installing user */
  group?: string | null;
  removal: Removal;
  /** write only when absent (the config: never overwrite the admin's file) */
  onlyIfAbsent?: boolean;
}

export interface DirSpec {
  path: string;
  mode: number;
  group?: string | null;
  removal: Removal;
  tree?: boolean;
}

export type FileOutcome = 'created' | 'updated' | 'unchanged' | 'kept';

function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`${path} (on disk)`, `${path} (tsv install)`, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1) // the "====" line
    .join('\n');
}

export class Executor {
  /** human lines: what changed (or would) */
  readonly changes: string[] = [];

  constructor(
    readonly dryRun: boolean,
    private readonly output: Output,
    private readonly manifest: Manifest,
    /** null: nothing of this run is recorded (files the admin owns from then on) */
    private readonly manifestPath: string | null,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  private say(text: string): void {
    this.output.out(text.endsWith('\n') ? text : text + '\n');
  }

  /** A change to the record that is not a file or directory (Supervisor's service taken over), saved at once. */
  record(change: (m: Manifest) => void): void {
    change(this.manifest);
    this.saveManifest();
  }

  private saveManifest(): void {
    if (!this.dryRun && this.manifestPath !== null) {
      this.manifest.updatedAt = new Date().toISOString();
      writeManifest(this.manifestPath, this.manifest);
    }
  }

  private gidOf(group: string | null | undefined): number {
    if (!group) return -1;
    const gid = groupGid(group);
    // In a dry run the group may be one we would create.
    if (gid === null) {
      if (this.dryRun) return -1;
      throw new HostError(`group ${group} does not exist`);
    }
    return gid;
  }

  ensureGroup(name: string): boolean {
    if (groupExists(name)) return false;
    const argv = createGroupArgv(name, this.platform);
    this.changes.push(`group ${name}`);
    if (this.dryRun) {
      this.say(`would create group ${name}: ${shJoin(argv)}`);
      return true;
    }
    const r = run(argv);
    if (!ok(r)) throw new HostError(`could not create group ${name}`, describeFailure(r));
    resetUserCache();
    this.manifest.groups = [...new Set([...this.manifest.groups, name])];
    this.saveManifest();
    this.say(`created group ${name}`);
    return true;
  }

  /** Creates missing directories (and records the ones we created); fixes mode and group of ones we own. */
  ensureDir(spec: DirSpec, owned: boolean): boolean {
    const want = `${modeString(spec.mode)} ${userName(process.getuid?.() ?? 0)}:${spec.group ?? groupName(process.getgid?.() ?? 0)}`;
    if (!existsSync(spec.path)) {
      const missing: string[] = [];
      for (let d = spec.path; !existsSync(d); d = dirname(d)) missing.unshift(d);
      this.changes.push(`directory ${spec.path}`);
      if (this.dryRun) {
        this.say(`would create directory ${spec.path} (${want})`);
        return true;
      }
      for (const d of missing) {
        mkdirSync(d, { mode: 0o755 });
        recordDir(this.manifest, { path: d, removal: spec.removal, tree: d === spec.path ? Boolean(spec.tree) : false });
      }
      chmodSync(spec.path, spec.mode);
      const gid = this.gidOf(spec.group);
      if (gid !== -1) chownSync(spec.path, -1, gid);
      this.saveManifest();
      this.say(`created directory ${spec.path} (${want})`);
      return true;
    }
    // A directory that was there before is the admin's: never change its mode.
    if (!owned) return false;
    const st = statSync(spec.path);
    const gid = this.gidOf(spec.group);
    if ((st.mode & 0o7777) === spec.mode && (gid === -1 || st.gid === gid)) return false;
    this.changes.push(`directory ${spec.path} permissions`);
    if (this.dryRun) {
      this.say(`would set ${spec.path} to ${want} (it is ${modeString(st.mode)} ${userName(st.uid)}:${groupName(st.gid)})`);
      return true;
    }
    chmodSync(spec.path, spec.mode);
    if (gid !== -1) chownSync(spec.path, -1, gid);
    this.say(`set ${spec.path} to ${want}`);
    return true;
  }

  writeFile(spec: FileSpec, owned: boolean): FileOutcome {
    const exists = existsSync(spec.path);
    const before = exists ? readFileSync(spec.path, 'utf8') : null;
    const beforeMode = exists ? statSync(spec.path).mode & 0o7777 : null;
    if (exists && spec.onlyIfAbsent) {
      if (this.dryRun) this.say(`would keep ${spec.path} (it exists; tsv install never overwrites a config)`);
      return 'kept';
    }
    const gid = this.gidOf(spec.group);
    const sameText = before === spec.content;
    const sameMode = beforeMode === spec.mode;
    const sameGroup = gid === -1 || !exists || statSync(spec.path).gid === gid;
    const owner = `${modeString(spec.mode)} ${userName(process.getuid?.() ?? 0)}:${spec.group ?? groupName(process.getgid?.() ?? 0)}`;
    if (exists && sameText && sameMode && sameGroup) {
      if (this.dryRun) this.say(`${spec.path} is up to date (${owner})`);
      return 'unchanged';
    }
    const what = !exists ? 'new' : sameText ? 'permissions differ' : 'changed';
    this.changes.push(`file ${spec.path} (${what})`);
    if (before !== null && !sameText) {
      const label = owned ? 'differs from what tsv install writes now (edited, or the template changed)' : 'exists and was not written by tsv install; it will be replaced (uninstall restores it)';
      this.say(`${spec.path} ${label}:\n${indent(unifiedDiff(spec.path, before, spec.content))}`);
    }
    if (this.dryRun) {
      this.say(`would write ${spec.path} (${what}, ${owner}):`);
      this.say(`----- ${spec.path} -----\n${spec.content}${spec.content.endsWith('\n') ? '' : '\n'}----- end of ${spec.path} -----`);
      return exists ? 'updated' : 'created';
    }
    const tmp = `${spec.path}.tsv-new`;
    writeFileSync(tmp, spec.content, { mode: spec.mode });
    chmodSync(tmp, spec.mode);
    if (gid !== -1) chownSync(tmp, -1, gid);
    renameSync(tmp, spec.path);
    const listed = this.manifest.files.some((f) => f.path === spec.path);
    const previous = exists && !listed && before !== null ? { previous: before, previousMode: beforeMode ?? 0o644 } : {};
    recordFile(this.manifest, { path: spec.path, sha256: sha256(spec.content), removal: spec.removal, ...previous });
    this.saveManifest();
    this.say(`${exists ? 'updated' : 'wrote'} ${spec.path} (${owner})`);
    return exists ? 'updated' : 'created';
  }

  /** An empty file owned by the user the daemon runs as (a log it opens after dropping root), created only when absent. */
  ensureUserFile(path: string, uid: number, gid: number, mode: number, removal: Removal): boolean {
    if (existsSync(path)) return false;
    const owner = `${modeString(mode)} ${userName(uid)}:${groupName(gid)}`;
    this.changes.push(`file ${path}`);
    if (this.dryRun) {
      this.say(`would create ${path} (empty, ${owner})`);
      return true;
    }
    writeFileSync(path, '', { mode, flag: 'wx' });
    chownSync(path, uid, gid);
    chmodSync(path, mode);
    recordFile(this.manifest, { path, sha256: sha256(''), removal });
    this.saveManifest();
    this.say(`created ${path} (${owner})`);
    return true;
  }

  /** Runs a command that changes the system (or prints it in a dry run). */
  run(argv: string[], why: string): RunResult {
    this.changes.push(`${why}: ${shJoin(argv)}`);
    if (this.dryRun) {
      this.say(`would run: ${shJoin(argv)}    # ${why}`);
      return { argv, status: 0, stdout: '', stderr: '' };
    }
    this.say(`running: ${shJoin(argv)}`);
    const r = run(argv);
    if (r.stdout.trim()) this.say(indent(r.stdout.trimEnd()));
    if (r.stderr.trim()) this.say(indent(r.stderr.trimEnd()));
    return r;
  }

  /** As run(), but a failure stops the install. */
  mustRun(argv: string[], why: string): RunResult {
    const r = this.run(argv, why);
    if (!ok(r)) throw new HostError(`${why} failed`, describeFailure(r));
    return r;
  }
}
