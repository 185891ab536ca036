// Python's glob.glob (non-recursive) followed by sorted(), as Supervisor
// expands [include] files: `*`, `?` and `[...]` per path component, hidden
// names only matched by patterns that start with a dot, a pattern without
// wildcards matches itself if it exists (files and directories alike).
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { pyStrCompare } from './ini';

const MAGIC = /[*?[]/;

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** fnmatch.translate: the shell pattern as an anchored regular expression. */
export function fnmatchToRegExp(pat: string): RegExp {
  let res = '';
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i++];
    if (c === '*') {
      while (i < n && pat[i] === '*') i++;
      res += '[\\s\\S]*';
    } else if (c === '?') {
      res += '[\\s\\S]';
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        res += '\\[';
      } else {
        let stuff = pat.slice(i, j);
        i = j + 1;
        if (stuff === '') {
          res += '(?!)';
          continue;
        }
        if (stuff === '!') {
          res += '[\\s\\S]';
          continue;
        }
        stuff = stuff.replace(/\\/g, '\\\\');
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^') stuff = '\\' + stuff;
        // In a JS class ']' and '[' must be escaped where Python takes them literally.
        stuff = stuff.replace(/[[\]]/g, '\\$&');
        // A reversed range such as z-a matches nothing in Python.
        try {
          new RegExp(`[${stuff}]`, 'u');
          res += `[${stuff}]`;
        } catch {
          res += '(?!)';
        }
      }
    } else {
      res += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^(?:${res})$`, 'u');
}

function glob1(dir: string, pattern: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir || '.');
  } catch {
    return [];
  }
  if (!pattern.startsWith('.')) names = names.filter((x) => !x.startsWith('.'));
  let re: RegExp;
  try {
    re = fnmatchToRegExp(pattern);
  } catch {
    return [];
  }
  return names.filter((x) => re.test(x));
}

function splitPath(p: string): [string, string] {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  const tail = p.slice(i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return [head, tail];
}

function iglob(pathname: string): string[] {
  const [dirname, basename] = splitPath(pathname);
  if (!MAGIC.test(pathname)) {
    if (basename ? exists(pathname) : isDir(dirname)) return [pathname];
    return [];
  }
  if (!dirname) return glob1('', basename);
  const dirs = dirname !== pathname && MAGIC.test(dirname) ? iglob(dirname) : [dirname];
  const out: string[] = [];
  for (const d of dirs) {
    if (MAGIC.test(basename)) {
      for (const name of glob1(d, basename)) out.push(`${d.endsWith('/') ? d : d + '/'}${name}`);
    } else if (basename ? exists(`${d}/${basename}`) : isDir(d)) {
      out.push(basename ? `${d.endsWith('/') ? d : d + '/'}${basename}` : d);
    }
  }
  return out;
}

/** glob.glob(pattern) sorted as Python sorts strings (by code point). */
export function globSorted(pattern: string): string[] {
  return iglob(pattern).sort(pyStrCompare);
}
