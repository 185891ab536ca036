// environment_file (tsv only): a program's variables read from files at each
// spawn, as systemd's EnvironmentFile= reads them at each start (Supervisor's
// issue #242, open since 2013; #771, #882, PR #1431). Read by the daemon
// before it switches user, so a file only root may read can hold a secret
// that supervisord.conf (often world-readable) should not.
//
// The format is systemd's, so that /etc/default/NAME files and files written
// for units work unchanged: NAME=VALUE lines; blank lines and lines starting
// with # or ; are skipped; single quotes keep everything up to the next one;
// double quotes keep everything but \ before " \ ` $ or a newline; outside
// quotes \ keeps the next character and \ at a line's end joins the next
// line; unquoted trailing blanks are dropped. Nothing is expanded ($HOME stays
// $HOME). `export NAME=VALUE` (dotenv's and shell's form) is taken too. A line
// that is no assignment is skipped with a warning naming file and line, as
// systemd skips it, since such files often carry shell code around the
// assignments.
import { readFileSync } from 'node:fs';
import type { EnvironmentFile } from '../config/model';

/** The largest file read: a variables file, not a data file read by mistake. */
const MAX_BYTES = 1 << 20;

export interface EnvFileRead {
  /** the variables, later files and later lines overriding earlier ones */
  vars: Record<string, string>;
  /** lines skipped: `FILE, line N: why` */
  warnings: string[];
}

/** A file that must be there could not be read: the spawn fails with this message. */
export class EnvFileError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLANK = new Set([' ', '\t', '\r']);
/** what a backslash escapes inside double quotes (POSIX sh); before anything else it stays */
const DQ_ESCAPES = new Set(['"', '\\', '`', '$', '\n']);

/** Parse one file's text; `where` names it in warnings. */
export function parseEnvFile(text: string, where: string): EnvFileRead {
  const vars: Record<string, string> = {};
  const warnings: string[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  const skipToLineEnd = (): void => {
    while (i < n && text[i] !== '\n') i++;
  };
  while (i < n) {
    // one assignment (or skipped line) from here
    while (i < n && (BLANK.has(text[i] as string) || text[i] === '\n')) {
      if (text[i] === '\n') line++;
      i++;
    }
    if (i >= n) break;
    const startLine = line;
    if (text[i] === '#' || text[i] === ';') {
      skipToLineEnd();
      continue;
    }
    const nl = text.indexOf('\n', i);
    const lineEnd = nl < 0 ? n : nl;
    const at = text.slice(i, lineEnd).indexOf('=');
    const eq = i + at;
    if (at < 0) {
      warnings.push(`${where}, line ${startLine}: no NAME=VALUE, skipped`);
      skipToLineEnd();
      continue;
    }
    let name = text.slice(i, eq).trim();
    if (/^export[ \t]/.test(name)) name = name.slice(6).trim();
    if (!NAME.test(name)) {
      warnings.push(`${where}, line ${startLine}: ${JSON.stringify(name)} is no variable name (letters, digits and _, not a digit first), skipped`);
      skipToLineEnd();
      continue;
    }
    i = eq + 1;
    while (i < n && BLANK.has(text[i] as string)) i++;
    let value = '';
    /** length of value up to the last character that was quoted or escaped: trailing blanks before it stay */
    let kept = 0;
    let unclosed: string | null = null;
    while (i < n && text[i] !== '\n') {
      const c = text[i] as string;
      if (c === "'" || c === '"') {
        const close = c;
        i++;
        while (i < n && text[i] !== close) {
          if (close === '"' && text[i] === '\\' && i + 1 < n && DQ_ESCAPES.has(text[i + 1] as string)) {
            i++;
            if (text[i] === '\n') {
              line++;
              i++;
              continue;
            }
          }
          if (text[i] === '\n') line++;
          value += text[i];
          i++;
        }
        if (i >= n) {
          unclosed = close;
          break;
        }
        i++;
        kept = value.length;
      } else if (c === '\\') {
        i++;
        if (i >= n) break;
        if (text[i] === '\n') {
          line++;
          i++;
          continue;
        }
        value += text[i];
        i++;
        kept = value.length;
      } else {
        value += c;
        i++;
      }
    }
    if (unclosed) {
      warnings.push(`${where}, line ${startLine}: ${name}'s value opens a ${unclosed === '"' ? 'double' : 'single'} quote that does not close, skipped`);
      break;
    }
    let end = value.length;
    while (end > kept && BLANK.has(value[end - 1] as string)) end--;
    vars[name] = value.slice(0, end);
  }
  return { vars, warnings };
}

/** Read a program's files in order; a missing optional one (`-/path`) is skipped. */
export function readEnvFiles(files: readonly EnvironmentFile[]): EnvFileRead {
  const out: EnvFileRead = { vars: {}, warnings: [] };
  for (const f of files) {
    let text: string;
    try {
      const buf = readFileSync(f.path);
      if (buf.length > MAX_BYTES) throw new EnvFileError(`environment file ${f.path} is ${buf.length} bytes, more than a variables file (at most ${MAX_BYTES})`);
      text = buf.toString('utf8');
    } catch (e) {
      if (e instanceof EnvFileError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (f.optional && err.code === 'ENOENT') continue;
      throw new EnvFileError(`can't read environment file ${f.path}: ${err.code ?? err.message}${err.code === 'ENOENT' ? ' (a - before the path makes a missing file no error)' : ''}`);
    }
    const r = parseEnvFile(text, f.path);
    Object.assign(out.vars, r.vars);
    out.warnings.push(...r.warnings);
  }
  return out;
}
