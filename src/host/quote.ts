// Quoting for the three languages the installer writes: POSIX shell (init
// scripts), systemd unit command lines, and XML (launchd plists). Each value
// is quoted where it is put into a template, so a path with a space, a quote,
// a `%` or a `$` means the same thing to the init system as it did to us.

import { HostError } from './types';

const SH_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One POSIX shell word. */
export function shQuote(s: string): string {
  if (s !== '' && SH_SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

/**
 * One argument of a systemd Exec*= line (systemd.service(5) "Command lines"):
 * `%` starts a specifier and `$` a variable, so both are doubled; quotes and
 * backslashes are escaped inside double quotes.
 */
export function systemdQuote(s: string): string {
  const escaped = s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped !== '' && /^[A-Za-z0-9_@+=:,./%$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The executable of an Exec*= line: systemd expands specifiers there but not
 * variables, and refuses quotes and backslashes in it outright.
 */
export function systemdExecutable(path: string): string {
  if (/['"\\\x00-\x1f]/.test(path)) throw new HostError(`systemd cannot run a program whose path contains quotes, backslashes or control characters: ${JSON.stringify(path)}`, 'install tsv (and node) under a plainer path, or pass --tsv-path');
  const escaped = path.replace(/%/g, '%%');
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

export function systemdJoin(argv: readonly string[]): string {
  return argv.map((a, i) => (i === 0 ? systemdExecutable(a) : systemdQuote(a))).join(' ');
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Splits words written by shQuote/shJoin (plain words and '...' with '\'' inside). */
export function shSplit(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && !/\s/.test(text[i])) {
      const c = text[i];
      if (c === "'") {
        const end = text.indexOf("'", i + 1);
        word += text.slice(i + 1, end === -1 ? text.length : end);
        i = end === -1 ? text.length : end + 1;
      } else if (c === '\\' && i + 1 < text.length) {
        word += text[i + 1];
        i += 2;
      } else if (c === '"') {
        const end = text.indexOf('"', i + 1);
        word += text.slice(i + 1, end === -1 ? text.length : end);
        i = end === -1 ? text.length : end + 1;
      } else {
        word += c;
        i++;
      }
    }
    out.push(word);
  }
  return out;
}
