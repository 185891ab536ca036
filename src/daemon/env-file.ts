// environment_file (tsv only): a program's variables read from files at each
// spawn, as systemd's EnvironmentFile= reads them at each start (Supervisor's
// issue #242, open since 2013; #771, #882, PR #1431). Read by the daemon
// before it switches user, so a file only root may read can hold a secret
// that supervisord.conf (often world-readable) should not.
//
// The format is systemd's, so that /etc/default/NAME files and files written
// for units work unchanged, and the parser is the same state machine as
// systemd's (src/basic/env-file.c), because its corners are not shell's and
// test/host-env-file.test.ts compares the two, case by case, against the
// systemd of a booted Debian container:
// - a line is NAME=VALUE; blank lines and lines starting with # or ; are
//   skipped, and a comment ending in \ goes on over the next line;
// - \r ends a line as \n does;
// - a quote opens only where the value starts or right after a closing
//   quote, with blanks between dropped: A='a' "b" is "ab", A=x"y" is x"y";
// - single quotes keep everything; double quotes keep everything but \
//   before " \ ` $ (the character) or \n (dropped); an unclosed
//   quote takes the rest of the file;
// - outside quotes \ keeps the next character and \ at a line's end joins
//   the next line; unquoted trailing blanks are dropped;
// - nothing is expanded ($HOME stays $HOME);
// - a value that is not UTF-8 makes the whole file unreadable (systemd then
//   refuses to start the unit; here the spawn fails naming file and line).
// Two things systemd ignores are taken: `export NAME=VALUE` (dotenv's and
// shell's form, which systemd drops without a word) and a UTF-8 byte order
// mark at the start (systemd drops the first assignment behind it). A line
// that gives no variable is skipped with a warning naming file and line (such
// files often carry shell code around the assignments); systemd skips it
// mostly silently.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
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
const EXPORT = /^export[ \t]+/;
const BLANK = new Set([' ', '\t']);
const LINE_END = new Set(['\n', '\r']);
/** what a backslash escapes inside double quotes (POSIX sh); before anything else it stays */
const DQ_ESCAPES = new Set(['"', '\\', '`', '$']);
const BOM = '\xef\xbb\xbf';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** systemd's parser states (env-file.c), one character at a time */
type State = 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment' | 'commentEscape';

/**
 * Parse one file's bytes (or text); `where` names it in warnings. Throws
 * EnvFileError for a value that is not UTF-8, as systemd refuses the file.
 */
export function parseEnvFile(content: Uint8Array | string, where: string): EnvFileRead {
  // Byte by byte (latin1 maps each byte to one character): every character
  // the syntax knows is ASCII, and a value's UTF-8 is checked when it is kept.
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  let text = bytes.toString('latin1');
  if (text.startsWith(BOM)) text = text.slice(BOM.length);
  const vars: Record<string, string> = {};
  const warnings: string[] = [];
  let state: State = 'preKey';
  let key = '';
  let value = '';
  /** where the value's unquoted trailing blanks start, -1 when it does not end in any */
  let blanksFrom = -1;
  let line = 1;
  let keyLine = 1;
  const shown = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

  const push = (): void => {
    if (state === 'value' && blanksFrom >= 0) value = value.slice(0, blanksFrom);
    const name = key.replace(EXPORT, '');
    if (!NAME.test(name)) {
      warnings.push(`${where}, line ${keyLine}: ${JSON.stringify(shown(key))} is no variable name (letters, digits and _, not a digit first), skipped`);
      return;
    }
    try {
      vars[name] = utf8.decode(Buffer.from(value, 'latin1'));
    } catch {
      throw new EnvFileError(`environment file ${where}, line ${keyLine}: the value of ${name} is not UTF-8 (systemd refuses such a file too)`);
    }
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const lineEnd = LINE_END.has(c);
    switch (state) {
      case 'preKey':
        if (c === '#' || c === ';') state = 'comment';
        else if (!lineEnd && !BLANK.has(c)) {
          state = 'key';
          key = c;
          keyLine = line;
        }
        break;
      case 'key':
        if (lineEnd) {
          warnings.push(`${where}, line ${keyLine}: no NAME=VALUE, skipped`);
          state = 'preKey';
        } else if (c === '=') {
          key = key.replace(/[ \t]+$/, '');
          value = '';
          state = 'preValue';
        } else key += c;
        break;
      case 'preValue':
        if (lineEnd) {
          push();
          state = 'preKey';
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'valueEscape';
        else if (!BLANK.has(c)) {
          state = 'value';
          value += c;
          blanksFrom = -1;
        }
        break;
      case 'value':
        if (lineEnd) {
          push();
          state = 'preKey';
        } else if (c === '\\') state = 'valueEscape';
        else {
          if (!BLANK.has(c)) blanksFrom = -1;
          else if (blanksFrom < 0) blanksFrom = value.length;
          value += c;
        }
        break;
      case 'valueEscape':
        // blanks before an escape stay, also before a joined line end
        state = 'value';
        blanksFrom = -1;
        if (!lineEnd) value += c;
        break;
      case 'single':
        if (c === "'") state = 'preValue';
        else value += c;
        break;
      case 'double':
        if (c === '"') state = 'preValue';
        else if (c === '\\') state = 'doubleEscape';
        else value += c;
        break;
      case 'doubleEscape':
        state = 'double';
        // only \n joins lines here: \ before \r stays, both kept
        if (DQ_ESCAPES.has(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'comment':
        if (c === '\\') state = 'commentEscape';
        else if (lineEnd) state = 'preKey';
        break;
      case 'commentEscape':
        state = 'comment';
        break;
    }
    // a line as an editor counts it: \n, \r\n, or a lone \r (old Mac files)
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
  }
  // the end of the file ends the last value, also one inside an open quote
  if (state === 'single' || state === 'double' || state === 'doubleEscape')
    warnings.push(`${where}, line ${keyLine}: ${shown(key)}'s value opens a ${state === 'single' ? 'single' : 'double'} quote that does not close: it takes the rest of the file, as in systemd`);
  if (state === 'key') warnings.push(`${where}, line ${keyLine}: no NAME=VALUE, skipped`);
  else if (state !== 'preKey' && state !== 'comment' && state !== 'commentEscape') push();
  return { vars, warnings };
}

/**
 * A file's bytes, read at most MAX_BYTES + 1 of them, so that a data file or
 * a device named by mistake (/dev/zero) is refused without being read whole;
 * null for a missing optional one.
 */
function readBounded(f: EnvironmentFile): Buffer | null {
  let fd: number;
  try {
    // O_NONBLOCK: the open of a FIFO would wait for a writer, and the daemon's loop with it
    fd = openSync(f.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (f.optional && err.code === 'ENOENT') return null;
    throw new EnvFileError(`can't read environment file ${f.path}: ${err.code ?? err.message}${err.code === 'ENOENT' ? ' (a - before the path makes a missing file no error)' : ''}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isFIFO() || st.isSocket()) throw new EnvFileError(`environment file ${f.path} is a ${st.isFIFO() ? 'FIFO' : 'socket'}, not a file: the daemon would wait on it`);
    const chunks: Buffer[] = [];
    let total = 0;
    // a regular file in one read (its size, and one byte to see it has not grown); anything else in pages
    for (let want = Math.min(st.size + 1, MAX_BYTES + 1); ; want = 4096) {
      const chunk = Buffer.allocUnsafe(want);
      const n = readSync(fd, chunk, 0, want, null);
      if (n === 0) return Buffer.concat(chunks, total);
      total += n;
      if (total > MAX_BYTES) throw new EnvFileError(`environment file ${f.path} is more than a variables file (at most ${MAX_BYTES} bytes)`);
      chunks.push(chunk.subarray(0, n));
    }
  } catch (e) {
    if (e instanceof EnvFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new EnvFileError(`can't read environment file ${f.path}: ${err.code ?? err.message}`);
  } finally {
    closeSync(fd);
  }
}

/** Read a program's files in order; a missing optional one (`-/path`) is skipped. */
export function readEnvFiles(files: readonly EnvironmentFile[]): EnvFileRead {
  const out: EnvFileRead = { vars: {}, warnings: [] };
  for (const f of files) {
    const bytes = readBounded(f);
    if (!bytes) continue;
    const r = parseEnvFile(bytes, f.path);
    Object.assign(out.vars, r.vars);
    out.warnings.push(...r.warnings);
  }
  return out;
}
