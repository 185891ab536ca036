// `tsv install --from-supervisor`: take over a Debian-style Supervisor
// setup. Programs, groups, event listeners and HTTP servers are carried over
// word for word; the socket, pidfile and log paths become tsv's (so the old
// Supervisor and tsv never share a socket); files included from the old
// conf.d are copied into tsv's (those of a second directory under
// /etc/supervisor into a directory of their own in it, so that no two names
// collide), other includes keep pointing where they did. `%(here)s` is
// written out as the directory it meant where it stood, so that every path
// means what it meant under Supervisor.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { globSorted } from '../config/glob';
import { loadConfig } from '../config/load';
import { ConfigError } from '../config/errors';
import { missingDirOf } from './config-facts';
import type { HostLayout } from './layout';
import { HostError } from './types';

export const SUPERVISOR_CONFIG = '/etc/supervisor/supervisord.conf';

/** `[program:x]` (and fcgi-program, eventlistener) sections of a file, read as text: a config whose log directories went with the package cannot be loaded. */
export function programSections(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^\[(?:program|fcgi-program|eventlistener):([^\]]+)\]/gm)].map((m) => m[1]!.trim());
}

/**
 * The programs a config runs, by section name: read as the daemon reads it,
 * or, when it cannot be (a log directory not made yet), from its own
 * sections and those of the conf.d beside it, as text.
 */
export function configuredPrograms(file: string): string[] {
  try {
    return [...new Set(loadConfig({ file }).config.groups.flatMap((g) => g.processes.map((p) => p.program)))];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [...new Set([file, ...globSorted(join(dirname(file), 'conf.d', '*.conf'))].flatMap(programSections))];
  }
}

interface Section {
  name: string;
  /** header line and body lines, verbatim */
  lines: string[];
}

export interface ImportPlan {
  /** the new main config */
  main: string;
  /** conf.d files to copy */
  copies: { from: string; to: string; content: string }[];
  /** the main file's own sections that tsv's config takes over (programs, groups, listeners, HTTP servers), each verbatim */
  carried: string[];
  /** [supervisord] options other than the paths, as written */
  supervisordExtra: string[];
  /** include patterns outside Supervisor's directory, which keep pointing where they did */
  outside: string[];
  /** the username= and password= lines of [unix_http_server] and [supervisorctl], as written */
  auth: { unix: string[]; ctl: string[] };
  notes: string[];
}

export interface ImportOptions {
  /**
   * Every copy straight in tsv's conf.d as NAME.conf, a second directory's
   * with its name in front (extra/web.conf -> extra-web.conf): what a config
   * that is not written here includes (the package's, conf.d/*.conf).
   */
  flat?: boolean;
}

function splitSections(text: string): Section[] {
  const out: Section[] = [];
  let cur: Section | null = null;
  for (const line of text.split('\n')) {
    const m = line.match(/^\[([^\]]+)\]/);
    if (m) {
      cur = { name: m[1].trim(), lines: [line] };
      out.push(cur);
    } else if (cur) {
      cur.lines.push(line);
    }
  }
  return out;
}

/** Option lines of a section body with their continuation lines: key -> whole text. */
function options(section: Section): { key: string; text: string[] }[] {
  const out: { key: string; text: string[] }[] = [];
  for (const line of section.lines.slice(1)) {
    const m = line.match(/^([^\s=:;#][^=:]*?)\s*[=:]/);
    if (m) out.push({ key: m[1].trim().toLowerCase(), text: [line] });
    else if (out.length && /^\s+\S/.test(line) && !/^\s*[;#]/.test(line)) out[out.length - 1].text.push(line);
  }
  return out;
}

function optionValue(opt: { text: string[] }): string {
  const first = opt.text[0].replace(/^[^=:]*[=:]\s*/, '');
  return [first, ...opt.text.slice(1).map((l) => l.trim())].join(' ').replace(/\s;.*$/, '').trim();
}

const OURS = new Set(['unix_http_server', 'supervisorctl', 'rpcinterface:supervisor', 'include']);
const PATH_KEYS = new Set(['logfile', 'pidfile', 'childlogdir']);

const esc = (p: string): string => p.replace(/%/g, '%%');

/** `text` with `%(here)s` written out as `dir`, and a note when there was one. */
function hereWrittenOut(text: string, dir: string, where: string, notes: string[]): string {
  if (!text.includes('%(here)s')) return text;
  notes.push(`${where} uses %(here)s: written out as ${dir}, what it meant there`);
  return text.replace(/%\(here\)s/g, esc(dir));
}

/**
 * The source as supervisord reads it: a file that is not a config Supervisor
 * could run (a mistyped path, /etc/passwd) must not go on to stop Supervisor's
 * service and every program in it.
 */
function checkSource(source: string): void {
  if (!existsSync(source)) throw new HostError(`--from-supervisor: ${source} does not exist`);
  try {
    loadConfig({ file: source });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A log or run directory missing here (Supervisor's, with its package
    // gone) is no reason to refuse: the import puts tsv's paths in place of
    // the main ones, and install makes the directories programs' logs name.
    if (missingDirOf(err)) return;
    throw new HostError(`--from-supervisor: ${source} is not a config supervisord can run; nothing was changed`, err.render().trimEnd());
  }
}

export function planImport(source: string, layout: HostLayout, header: string, opts: ImportOptions = {}): ImportPlan {
  checkSource(source);
  const srcDir = dirname(source);
  const sections = splitSections(readFileSync(source, 'utf8'));
  const notes: string[] = [];
  const copies: ImportPlan['copies'] = [];
  const carried: string[] = [];
  const supervisordExtra: string[] = [];
  const auth: { unix: string[]; ctl: string[] } = { unix: [], ctl: [] };
  const includes = new Set<string>();
  const outside: string[] = [];
  // the first included directory under srcDir becomes tsv's conf.d, each other one a directory in it (flat: a prefix)
  const targets = new Map<string, { dir: string; prefix: string }>();
  const targetFor = (dir: string): { dir: string; prefix: string } => {
    let t = targets.get(dir);
    if (!t) {
      const name = relative(srcDir, dir).replace(/\//g, '-') || 'main';
      t = targets.size === 0 ? { dir: layout.includeDir, prefix: '' } : opts.flat ? { dir: layout.includeDir, prefix: `${name}-` } : { dir: join(layout.includeDir, name), prefix: '' };
      targets.set(dir, t);
    }
    return t;
  };
  const copyName = (prefix: string, file: string): string => `${prefix}${basename(file)}${opts.flat && !file.endsWith('.conf') ? '.conf' : ''}`;
  for (const s of sections) {
    if (s.name === 'supervisord') {
      for (const o of options(s)) if (!PATH_KEYS.has(o.key)) supervisordExtra.push(hereWrittenOut(o.text.join('\n'), srcDir, `[supervisord] ${o.key} in ${source}`, notes));
      continue;
    }
    if (s.name === 'unix_http_server' || s.name === 'supervisorctl') {
      for (const o of options(s)) if (o.key === 'username' || o.key === 'password') (s.name === 'supervisorctl' ? auth.ctl : auth.unix).push(...o.text);
      continue;
    }
    if (s.name === 'include') {
      for (const o of options(s)) {
        if (o.key !== 'files') continue;
        for (const raw of optionValue(o).split(/\s+/).filter(Boolean)) {
          const pat = raw.replace(/%\(here\)s/g, srcDir).replace(/%%/g, '%');
          const abs = isAbsolute(pat) ? pat : resolve(srcDir, pat);
          if (abs.startsWith(srcDir + '/')) {
            const to = targetFor(dirname(abs));
            for (const f of globSorted(abs)) {
              if (copies.some((c) => c.from === f)) continue;
              copies.push({ from: f, to: join(to.dir, copyName(to.prefix, f)), content: hereWrittenOut(readFileSync(f, 'utf8'), dirname(f), f, notes) });
            }
            includes.add(join(to.dir, copyName(to.prefix, abs)));
          } else {
            includes.add(abs);
            outside.push(abs);
          }
        }
      }
      continue;
    }
    if (OURS.has(s.name)) continue;
    carried.push(hereWrittenOut(s.lines.join('\n').replace(/\n+$/, ''), srcDir, `[${s.name}] in ${source}`, notes));
  }
  const ownFirst = [join(layout.includeDir, '*.conf'), ...[...includes].filter((i) => i !== join(layout.includeDir, '*.conf'))];
  const group = layout.group ? `chown = root:${layout.group}\n` : '';
  const main = [
    `; ${header}`,
    `; Imported from ${source} by tsv install --from-supervisor.`,
    '',
    '[unix_http_server]',
    `file = ${esc(layout.socket)}`,
    `chmod = 0${layout.socketMode.toString(8)}`,
    group + auth.unix.join('\n'),
    '[supervisord]',
    `logfile = ${esc(layout.mainLog)}`,
    `pidfile = ${esc(layout.pidfile)}`,
    `childlogdir = ${esc(layout.logDir)}`,
    ...supervisordExtra,
    '',
    '[supervisorctl]',
    `serverurl = unix://${esc(layout.socket)}`,
    ...auth.ctl,
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    ...carried.map((c) => c + '\n'),
    '[include]',
    `files = ${ownFirst.map(esc).join(' ')}`,
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return { main, copies, carried, supervisordExtra, outside, auth, notes };
}
