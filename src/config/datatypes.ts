// Supervisor's option datatypes (supervisor/datatypes.py): what each accepts,
// what it returns and which values it refuses. A refusal throws
// DatatypeError with Supervisor's wording; the loader adds file, line,
// section and option.
import { statSync } from 'node:fs';
import type * as Net from 'node:net';
import { homedir } from 'node:os';
import { constants as osConstants } from 'node:os';
import { ROTATE_PERIODS, type AutoRestart, type EnvironmentFile, type LogfileTarget, type LogLevelName, type RotatePeriod } from './model';
import { pyRepr } from './pyformat';
import { lookupUser, lookupUserById, lookupGroup, lookupGroupById } from './users';
import { shlexTokensNonPosix } from './shlex';
import { pyStrip } from './ini';

export class DatatypeError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const ND = /\p{Nd}/u;

/**
 * Python's int() reads any Unicode decimal digit (Arabic-Indic, fullwidth,
 * ...). Each such script has its ten digits in a contiguous run starting at
 * zero, so a digit's value is its distance from the start of its run, mod 10.
 */
export function asciiDigits(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80 || !ND.test(ch)) {
      out += ch;
      continue;
    }
    let start = cp;
    while (start > 0 && cp - start < 60 && ND.test(String.fromCodePoint(start - 1))) start--;
    out += String((cp - start) % 10);
  }
  return out;
}

/**
 * The whitespace Python's int() skips around a number: ASCII's six, and
 * every non-ASCII character str.isspace() counts. Not U+001C..U+001F, which
 * str.strip() takes but int() refuses.
 */
const INT_EDGE_WS = /^[ \t\n\x0b\x0c\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[ \t\n\x0b\x0c\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

function intStrip(s: string): string {
  // most values are bare numbers: no regular expression for them (see pyStrip)
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return s;
  return s.replace(INT_EDGE_WS, '');
}

/**
 * Python's int(): optional sign, digits with single underscores, surrounding
 * whitespace, any size. Values past 2^53 are kept approximately: they only
 * occur as "practically unlimited" sizes and counts.
 */
export function pyInt(value: string | number): number {
  if (typeof value === 'number') return value;
  const n = intOrNull(value);
  if (n === null) throw new DatatypeError(`invalid literal for int() with base 10: ${pyRepr(value)}`, 'expected a whole number');
  return n;
}

/** pyInt, or null where int() raises: for the values Supervisor tries as a number first, then as a name. */
function intOrNull(value: string): number | null {
  const s = asciiDigits(intStrip(value));
  if (!/^[+-]?\d+(_\d+)*$/.test(s)) return null;
  const digits = s.replace(/_/g, '');
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number(BigInt(digits));
}

export const integer = pyInt;

/** pyInt, exact past 2^53 (for process numbers, which end up in names). */
export function pyIntExact(value: string | number): number | bigint {
  const n = pyInt(value);
  if (Number.isSafeInteger(n) || typeof value === 'number') return n;
  return BigInt(asciiDigits(intStrip(value)).replace(/_/g, ''));
}

const TRUTHY = ['yes', 'true', 'on', '1'];
const FALSY = ['no', 'false', 'off', '0'];

export function boolean(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const s = value.toLowerCase();
  if (TRUTHY.includes(s)) return true;
  if (FALSY.includes(s)) return false;
  throw new DatatypeError(`not a valid boolean value: ${pyRepr(value)}`, 'use true/false, yes/no, on/off or 1/0');
}

export function listOfStrings(value: string | null): string[] {
  if (!value) return [];
  return value.split(',').map((x) => pyStrip(x));
}

/** environment_file= (tsv only): comma-separated absolute paths, each optional when written with a leading `-` (systemd's EnvironmentFile=). */
export function environmentFiles(value: string | null): EnvironmentFile[] {
  return listOfStrings(value)
    .filter((x) => x !== '')
    .map((x) => {
      const optional = x.startsWith('-');
      const path = optional ? pyStrip(x.slice(1)) : x;
      if (!path.startsWith('/')) {
        throw new DatatypeError(
          `environment_file names ${path || '(nothing)'}, which is not an absolute path`,
          'write each file\'s full path (%(here)s is the directory of this config file); a - before a path makes a missing file no error',
        );
      }
      return { path, optional };
    });
}

export function listOfExitcodes(value: string): number[] {
  if (!value) return [];
  const out: number[] = [];
  for (const part of value.split(',')) {
    let n: number;
    try {
      n = pyInt(part);
    } catch {
      throw new DatatypeError(`not a valid list of exit codes: ${pyRepr(value)}`, 'a comma-separated list of numbers 0-255, e.g. 0,2');
    }
    if (n > 255 || n < 0) {
      throw new DatatypeError(`not a valid list of exit codes: ${pyRepr(value)}`, 'exit codes are numbers from 0 to 255');
    }
    out.push(n);
  }
  return out;
}

/** `KEY=val,KEY2="v,2"` as Supervisor reads it: Python's non-POSIX shlex, then quotes stripped. */
export function dictOfKeyValuePairs(value: string): Record<string, string> {
  let tokens: string[];
  try {
    tokens = shlexTokensNonPosix(value, '/.+-():');
  } catch (e) {
    throw new DatatypeError((e as Error).message, 'a quote is not closed');
  }
  const out: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i += 4) {
    const kv = tokens.slice(i, i + 3);
    if (kv.length !== 3 || kv[1] !== '=') {
      throw new DatatypeError(
        `Unexpected end of key/value pairs in value '${value}'`,
        'write KEY="value",KEY2="value 2"; quote values that contain spaces, commas or non-ASCII characters',
      );
    }
    out[kv[0]] = stripChars(kv[2], `'"`);
  }
  return out;
}

function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a])) a++;
  while (b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

export function autoRestart(value: string): AutoRestart {
  const s = value.toLowerCase();
  if (TRUTHY.includes(s)) return true;
  if (FALSY.includes(s)) return false;
  if (s === 'unexpected') return 'unexpected';
  throw new DatatypeError(`invalid 'autorestart' value ${pyRepr(s)}`, 'use false, unexpected or true');
}

/**
 * Python's os.path.expanduser for the forms Supervisor users write. `home` is
 * $HOME of the environment the config is read in (the daemon's own).
 */
export function expandUser(p: string, home: string | undefined = process.env.HOME): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/');
  const name = slash === -1 ? p.slice(1) : p.slice(1, slash);
  const rest = slash === -1 ? '' : p.slice(slash);
  if (name === '') {
    home ??= homedir();
    return (home.replace(/\/+$/, '') || '/') + rest;
  }
  const user = lookupUser(name);
  if (!user) return p;
  return (user.home.replace(/\/+$/, '') || '/') + rest;
}

function isDir(p: string, cwd?: string): boolean {
  if (p === '') return false;
  try {
    return statSync(cwd && !p.startsWith('/') ? `${cwd}/${p}` : p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A file name cannot hold a NUL byte: the system calls end it there.
 * Supervisor reads such a path and fails where it is used (a log file: a
 * ValueError traceback that ends supervisord).
 */
function noNul(value: string): void {
  if (value.includes('\0')) throw new DatatypeError(`${pyRepr(value)} holds a NUL byte, which no file name can`, 'remove the NUL byte (\\x00) from the value');
}

/** `cwd` is the directory relative paths are checked against (the daemon's working directory). */
export function existingDirectory(value: string, home?: string, cwd?: string): string {
  noNul(value);
  const nv = expandUser(value, home);
  if (isDir(nv, cwd)) return nv;
  throw new DatatypeError(`${value} is not an existing directory`, 'create the directory or fix the path');
}

/** Python's os.path.dirname. */
function pyDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

export function existingDirpath(value: string, home?: string, cwd?: string): string {
  noNul(value);
  const nv = expandUser(value, home);
  const dir = pyDirname(nv);
  if (!dir) return nv;
  if (isDir(dir, cwd)) return nv;
  throw new DatatypeError(
    `The directory named as part of the path ${value} does not exist`,
    `create ${dir} first, or point the path at an existing directory`,
  );
}

export function logfileName(value: string, home?: string, cwd?: string): LogfileTarget | 'SYSLOG' {
  const s = value.toLowerCase();
  if (s === 'none' || s === 'off') return null;
  if (s === 'auto') return 'AUTO';
  if (s === 'syslog') return 'SYSLOG';
  return existingDirpath(value, home, cwd);
}

const LEVELS: Record<string, LogLevelName> = {
  critical: 'critical',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
  blather: 'blather',
};

/** The level names a config (and supervisord's -e) takes, most severe first. */
export const LOG_LEVEL_NAMES: readonly LogLevelName[] = Object.values(LEVELS);

export function loggingLevel(value: string): LogLevelName {
  const s = value.toLowerCase();
  const level = Object.prototype.hasOwnProperty.call(LEVELS, s) ? LEVELS[s] : undefined;
  if (!level) {
    throw new DatatypeError(
      `bad logging level name ${pyRepr(value)}`,
      `use one of ${LOG_LEVEL_NAMES.join(', ')}${s.trim() === 'warning' ? ' (Supervisor says "warn", not "warning")' : ''}`,
    );
  }
  return level;
}

/** Python's int(s, 8). */
export function octalType(value: string): number {
  const s = asciiDigits(intStrip(value));
  const m = /^([+-]?)(?:0[oO])?_?([0-7]+(?:_[0-7]+)*)$/.exec(s);
  if (!m || (s.replace(/^[+-]/, '').startsWith('_'))) {
    throw new DatatypeError(`${value} can not be converted to an octal type`, 'write an octal number such as 022 or 0700');
  }
  const n = parseInt(m[2].replace(/_/g, ''), 8);
  // supervisord reads any size and then fails where the value meets a C int
  // (os.chmod, os.umask: OverflowError, a traceback or a daemon that dies);
  // refused here, where the file and line can be named
  if (n > C_INT_MAX + (m[1] === '-' ? 1 : 0)) {
    throw new RangeDatatypeError(`${value} is out of range for a mode or umask (supervisord fails on it: Python int too large to convert to C int)`, 'write an octal number such as 022 or 0700');
  }
  // -0 is 0 (Python's int has no negative zero; Node's fs refuses one)
  return m[1] === '-' ? -n || 0 : n;
}

/** A number the config may write but the system call it is for cannot take. */
export class RangeDatatypeError extends DatatypeError {}

const C_INT_MAX = 2 ** 31 - 1;

/** A file mode as chmod(2) takes it (Python's os.chmod hands any C int over): the low 12 bits, so -1 is 07777. */
export function modeBits(mode: number): number {
  return mode & 0o7777;
}

/** A umask as umask(2) takes it (Python's os.umask hands any int over): the low 9 bits, so -1 is 0777. */
export function umaskBits(mask: number): number {
  return mask & 0o777;
}

const SUFFIXES: [string, number][] = [
  ['kb', 1024],
  ['mb', 1024 * 1024],
  ['gb', 1024 * 1024 * 1024],
];

export function byteSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const v = value.toLowerCase();
  for (const [suffix, mult] of SUFFIXES) {
    if (v.slice(-2) === suffix) return sizeInt(value, v.slice(0, -2)) * mult;
  }
  return sizeInt(value, v);
}

/** A size as byteSize reads it back, in the largest unit that divides it: 524288000 -> "500MB". */
export function byteSizeText(n: number): string {
  for (const [suffix, mult] of [...SUFFIXES].reverse()) if (n >= mult && n % mult === 0) return `${n / mult}${suffix.toUpperCase()}`;
  return String(n);
}

function sizeInt(orig: string, digits: string): number {
  try {
    return pyInt(digits);
  } catch {
    throw new DatatypeError(
      `invalid literal for int() with base 10: ${pyRepr(digits)}`,
      `${pyRepr(orig)} is not a size: write a whole number of bytes, optionally followed by KB, MB or GB`,
    );
  }
}

/**
 * urllib.parse.urlsplit's checks of a netloc's brackets: the ValueError
 * message it raises, or null. (Python 3.11 as Debian ships it, with the
 * bracketed-host check.)
 */
export function netlocError(netloc: string): string | null {
  if (netloc.includes('[') !== netloc.includes(']')) return 'Invalid IPv6 URL';
  if (!netloc.includes('[')) return null;
  const host = netloc.slice(netloc.indexOf('[') + 1).split(']')[0] as string;
  if (host.startsWith('v')) {
    return /^v[a-fA-F0-9]+\.[a-zA-Z0-9\-._~!$&'()*+,;=:]+$/.test(host) ? null : 'IPvFuture address is invalid';
  }
  // loaded only here: a one-shot ctl command must not load node:net (test/ctl-output.test.ts)
  const net = require('node:net') as typeof Net;
  if (net.isIPv6(host)) return null;
  if (net.isIPv4(host)) return 'An IPv4 address cannot be in brackets';
  return `${pyRepr(host)} does not appear to be an IPv4 or IPv6 address`;
}

/** Python's urlparse-based check in datatypes.url. */
export function url(value: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(value);
  if (m) {
    const rest = m[2];
    if (rest.startsWith('//')) {
      const netlocEnd = rest.slice(2).search(/[/?#]/);
      const netloc = netlocEnd === -1 ? rest.slice(2) : rest.slice(2, 2 + netlocEnd);
      const bad = netlocError(netloc);
      if (bad !== null) throw new DatatypeError(bad);
      const path = netlocEnd === -1 ? '' : rest.slice(2 + netlocEnd).replace(/[?#].*$/, '');
      if (netloc || path) return value;
    } else if (rest.replace(/[?#].*$/, '')) {
      return value;
    }
  }
  throw new DatatypeError(`value ${pyRepr(value)} is not a URL`, 'use unix:///path/to/socket or http://host:port');
}

/**
 * The names Python's signal module exposes with a SIG prefix, which is what
 * Supervisor accepts: the real signals, plus aliases (SIGCLD, SIGPOLL, SIGIOT),
 * the real-time bounds, and the handler/mask constants (SIG_DFL = 0, ...),
 * which make 0, 1 and 2 "valid" stop signals in Supervisor.
 */
const SIGNALS: Record<string, number> = { ...(osConstants.signals as Record<string, number>) };
delete SIGNALS.SIGUNUSED;
delete SIGNALS.SIGLOST;
delete SIGNALS.SIGINFO;
SIGNALS.SIGCLD ??= SIGNALS.SIGCHLD;
if (process.platform === 'linux') {
  SIGNALS.SIGRTMIN = 34;
  SIGNALS.SIGRTMAX = 64;
}
Object.assign(SIGNALS, { SIG_BLOCK: 0, SIG_DFL: 0, SIG_IGN: 1, SIG_SETMASK: 2, SIG_UNBLOCK: 1 });
const VALID_SIGNUMS = new Set(Object.values(SIGNALS));

/** Canonical name for a signal number, preferring the names Supervisor users write. */
export function signalName(num: number): string {
  const preferred = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
    'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
    'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
    'SIGSYS', 'SIGRTMIN', 'SIGRTMAX'];
  for (const n of preferred) if (SIGNALS[n] === num) return n.slice(3);
  // Only real signals have names; 0 (valid to Supervisor through SIG_DFL) has none.
  for (const [n, v] of Object.entries(SIGNALS)) if (v === num && !n.startsWith('SIG_')) return n.slice(3);
  return String(num);
}

export function signalNumber(value: string): number {
  // int() first, then a name, as Supervisor's signal_number tries them
  let num = intOrNull(value);
  if (num === null) {
    let name = pyStrip(value).toUpperCase();
    if (!name.startsWith('SIG')) name = 'SIG' + name;
    const n = Object.prototype.hasOwnProperty.call(SIGNALS, name) ? SIGNALS[name] : undefined;
    if (n === undefined) {
      throw new DatatypeError(`value ${pyRepr(value)} is not a valid signal name`, 'use a name such as TERM, INT, QUIT, HUP, KILL, USR1, USR2');
    }
    num = n;
  }
  if (!VALID_SIGNUMS.has(num)) throw new DatatypeError(`value ${pyRepr(value)} is not a valid signal number`);
  return num;
}

export function processOrGroupName(name: string): string {
  // a name becomes a part of AUTO log file names
  noNul(name);
  const s = pyStrip(name);
  for (const ch of [' ', ':', '/']) {
    if (s.includes(ch)) {
      throw new DatatypeError(
        `Invalid name: ${pyRepr(name)} because of character: ${pyRepr(ch)}`,
        'process and group names cannot contain spaces, colons or slashes',
      );
    }
  }
  return s;
}

/** name_to_uid: a user name or a numeric uid that exists. */
export function nameToUid(name: string): number {
  const uid = intOrNull(name);
  if (uid !== null) {
    if (!lookupUserById(uid)) throw new DatatypeError(`Invalid user id ${name}`, 'no such uid in the password database');
    return uid;
  }
  const u = lookupUser(name);
  if (!u) throw new DatatypeError(`Invalid user name ${name}`, name.trim() === '' || name.includes(':') ? 'user= takes one user name or uid, with no group (the user\'s own groups come with it)' : `create the user first (useradd ${name}) or fix the name`);
  return u.uid;
}

export function nameToGid(name: string): number {
  const gid = intOrNull(name);
  if (gid !== null) {
    if (!lookupGroupById(gid)) throw new DatatypeError(`Invalid group id ${name}`);
    return gid;
  }
  const g = lookupGroup(name);
  if (!g) throw new DatatypeError(`Invalid group name ${name}`, `create the group first (groupadd ${name}) or fix the name`);
  return g.gid;
}

export function gidForUid(uid: number): number {
  const u = lookupUserById(uid);
  if (!u) throw new DatatypeError(`Invalid user id ${uid}`);
  return u.gid;
}

export function colonSeparatedUserGroup(value: string): [number, number] {
  try {
    const i = value.indexOf(':');
    if (i === -1) return [nameToUid(value), -1];
    return [nameToUid(value.slice(0, i)), nameToGid(value.slice(i + 1))];
  } catch {
    throw new DatatypeError(`Invalid user:group definition ${value}`, 'write user or user:group with names that exist');
  }
}

export function portNumber(value: string): number {
  const n = pyInt(value);
  if (n < 1) throw new DatatypeError(`${n} is below lower bound (1)`);
  if (n > 0xffff) throw new DatatypeError(`${n} is above upper bound (65535)`);
  return n;
}

export function inetAddress(value: string): { host: string; port: number } {
  let host = '';
  let port: number;
  if (value.includes(':')) {
    const i = value.lastIndexOf(':');
    host = value.slice(0, i);
    const p = value.slice(i + 1);
    if (!p) throw new DatatypeError(`no port number specified in ${pyRepr(p)}`, 'write host:port, e.g. 127.0.0.1:9001');
    port = portNumber(p);
    host = host.toLowerCase();
  } else {
    try {
      port = portNumber(value);
    } catch {
      throw new DatatypeError(`not a valid port number: ${pyRepr(value)} `, 'write a port (9001) or host:port (127.0.0.1:9001)');
    }
  }
  if (!host || host === '*') host = '';
  return { host, port };
}

/** Python's os.path.normpath(os.path.abspath(os.path.expanduser(v))), against a given cwd. */
export function normalizePath(v: string, cwd: string, home?: string): string {
  const p = expandUser(v, home);
  const abs = p.startsWith('/') ? p : `${cwd.replace(/\/+$/, '')}/${p}`;
  return normpath(abs);
}

/** Python's posixpath.normpath. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) out.push(comp);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** *_logfile_rotate= / logfile_rotate= (tsv only): a period of local time, or none. */
export function rotatePeriod(value: string): RotatePeriod | null {
  const s = pyStrip(value).toLowerCase();
  if (s === 'none') return null;
  const period = ROTATE_PERIODS.find((p) => p === s);
  if (!period) throw new DatatypeError(`not a valid rotation period: ${pyRepr(value)}`, `use ${ROTATE_PERIODS.join(', ')} or none`);
  return period;
}
