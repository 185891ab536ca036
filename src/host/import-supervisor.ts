// `tsv install --from-supervisor`: take over a Debian-style Supervisor
// setup. Programs, groups, event listeners and HTTP servers are carried over
// word for word; the socket, pidfile and log paths become tsv's (so the old
// Supervisor and tsv never share a socket); files included from the old
// conf.d are copied into tsv's, other includes keep pointing where they did.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { globSorted } from '../config/glob';
import type { HostLayout } from './layout';
import { HostError } from './types';

export const SUPERVISOR_CONFIG = '/etc/supervisor/supervisord.conf';

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
  notes: string[];
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

export function planImport(source: string, layout: HostLayout, header: string): ImportPlan {
  if (!existsSync(source)) throw new HostError(`--from-supervisor: ${source} does not exist`);
  const srcDir = dirname(source);
  const sections = splitSections(readFileSync(source, 'utf8'));
  const notes: string[] = [];
  const copies: ImportPlan['copies'] = [];
  const carried: string[] = [];
  const supervisordExtra: string[] = [];
  const auth: { unix: string[]; ctl: string[] } = { unix: [], ctl: [] };
  const includes: string[] = [];
  for (const s of sections) {
    if (s.name === 'supervisord') {
      for (const o of options(s)) if (!PATH_KEYS.has(o.key)) supervisordExtra.push(...o.text);
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
          if (dirname(abs).startsWith(srcDir)) {
            for (const f of globSorted(abs)) {
              const to = join(layout.includeDir, basename(f));
              const content = readFileSync(f, 'utf8');
              copies.push({ from: f, to, content });
              if (content.includes('%(here)s')) notes.push(`${f} uses %(here)s, which now means ${layout.includeDir}: check the paths it builds`);
            }
            includes.push(join(layout.includeDir, basename(abs)));
          } else {
            includes.push(abs);
          }
        }
      }
      continue;
    }
    if (OURS.has(s.name)) continue;
    carried.push(s.lines.join('\n').replace(/\n+$/, ''));
  }
  if (!includes.includes(join(layout.includeDir, '*.conf'))) includes.unshift(join(layout.includeDir, '*.conf'));
  const group = layout.group ? `chown = root:${layout.group}\n` : '';
  const esc = (p: string): string => p.replace(/%/g, '%%');
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
    `files = ${includes.map(esc).join(' ')}`,
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return { main, copies, notes };
}
