// tsv's own [program:x] options, which Supervisor ignores (so one config
// serves both daemons): health checks, hooks, cron times, memory and
// resource limits, restarts on file changes and log line prefixes. Each
// reader refuses a bad value with file, line and a hint, as the loader does
// for Supervisor's own.
import type { Expansions, PyValue } from './pyformat';
import * as dt from './datatypes';
import { shlexSplit, ShlexError } from './shlex';
import type { HealthCheckConfig, HookConfig, MemoryLimitConfig, ProcessConfig, ValueSource } from './model';
import { RLIMITS, parseRlimit, type RlimitConfig, type RlimitName } from './rlimits';
import { parseSchedule, ScheduleError } from './schedule';
import type { GetOption, Got, OptionReader, Raw } from './option-reader';

/**
 * tsv's own *_logfile_prefix (Supervisor ignores the keys): the text before
 * each line of the log file, read per process with %(process_name)s
 * available, so numprocs workers sharing a stream are told apart. A
 * trailing space would not survive configparser, so one is added.
 */
export function readLogPrefix(
  r: OptionReader,
  S: string,
  ch: 'stdout' | 'stderr',
  get: (opt: string, def: Raw, extra?: Expansions) => Got,
  processName: string,
  noEffect: string | null,
): string | null {
  const key = `${ch}_logfile_prefix`;
  const got = get(key, '', new Map<string, PyValue>([['process_name', processName]]));
  const text = (r.str(got) ?? '').trim();
  if (!text) return null;
  if (/[\x00-\x1f\x7f]/.test(text)) {
    r.fail(
      new dt.DatatypeError(`${key}=${JSON.stringify(text)}: a line break or another control character cannot begin each line`, `e.g. ${key}=%(process_name)s |`),
      S,
      key,
      got,
    );
  }
  if (noEffect) {
    r.warnOptionOnce(S, key, `For [${S}], ${key}=${text} has no effect: ${noEffect}`);
    return null;
  }
  return text;
}

/** setTimeout's longest wait, 2^31-1 ms, in seconds: Node fires a longer one at once (TimeoutOverflowWarning). */
const LONGEST_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Seconds a timer of tsv's own waits: 1 or more, and no longer than a timer can wait. */
function timerSeconds(r: OptionReader, S: string, opt: string, got: Got, what: string, hint: string): number {
  const n = r.integerAtLeast(S, opt, got, 1, (v) => `${opt}=${v}: ${what} must be 1 or more`, hint);
  if (n > LONGEST_TIMER_SECONDS) {
    r.fail(new dt.DatatypeError(`${opt}=${n}: ${what} must be ${LONGEST_TIMER_SECONDS} or less (24.8 days, the longest a timer waits)`, hint), S, opt, got);
  }
  return n;
}

/** tsv's own healthcheck= and its settings (Supervisor ignores the keys; src/daemon/health.ts). */
export function readHealthCheck(r: OptionReader, S: string, get: GetOption): HealthCheckConfig | null {
  const urlGot = get('healthcheck', '');
  const url = (r.str(urlGot) ?? '').trim();
  const interval = timerSeconds(r, S, 'healthcheck_interval', get('healthcheck_interval', 10), 'the seconds between looks', 'e.g. healthcheck_interval=10');
  const timeout = timerSeconds(r, S, 'healthcheck_timeout', get('healthcheck_timeout', 5), 'the seconds a look may take', 'e.g. healthcheck_timeout=5');
  const retries = r.integerAtLeast(
    S,
    'healthcheck_retries',
    get('healthcheck_retries', 3),
    1,
    (n) => `healthcheck_retries=${n}: the failed looks in a row before a restart must be 1 or more`,
    'e.g. healthcheck_retries=3',
  );
  const startPeriod = r.integerAtLeast(
    S,
    'healthcheck_start_period',
    get('healthcheck_start_period', 0),
    0,
    (n) => `healthcheck_start_period=${n}: the seconds in which failed looks do not count must be 0 or more`,
    'e.g. healthcheck_start_period=60 for a program that takes a minute to warm up',
  );
  if (!url) {
    // settings with nothing to apply them to: most likely healthcheck= itself is missing or misspelt
    for (const opt of ['healthcheck_interval', 'healthcheck_timeout', 'healthcheck_retries', 'healthcheck_start_period']) {
      if (r.doc.get(S, opt)) r.warnOptionOnce(S, opt, `For [${S}], ${opt} is set but there is no healthcheck=, so it has no effect`);
    }
    return null;
  }
  const hint = 'e.g. healthcheck=http://127.0.0.1:8080/health, healthcheck=tcp://127.0.0.1:5432 or healthcheck=pg_isready -q';
  const bad = (why: string): never => r.fail(new dt.DatatypeError(`healthcheck=${url}: ${why}`, hint), S, 'healthcheck', urlGot);
  const settings = { interval, timeout, retries, startPeriod };
  // a scheme and "//" make a URL; anything else is a command line, split as command= is
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) {
    // HOST:PORT alone is a URL without its scheme, not a program called that
    if (/^(\[[0-9A-Fa-f:.]+\]|[\w.-]+):\d+(\/\S*)?$/.test(url)) return bad(`not a URL: the scheme is missing (tcp://${url} or http://${url})`);
    let argv: string[];
    try {
      argv = shlexSplit(url);
    } catch (e) {
      if (!(e instanceof ShlexError)) throw e;
      return bad(`the command cannot be split into words: ${e.message}`);
    }
    return { kind: 'command', target: url, argv, ...settings };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'tcp:')
    return bad(`${u.protocol.slice(0, -1)} is not a kind of check tsv knows (http, https, tcp or a command)`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return bad('no host');
  if (u.protocol === 'tcp:' && !u.port) return bad('a tcp check needs a port');
  if (u.protocol === 'tcp:') return { kind: 'tcp', target: url, host, port: Number(u.port), ...settings };
  const tls = u.protocol === 'https:';
  // URL leaves the scheme's default port out of u.port
  const port = u.port ? Number(u.port) : tls ? 443 : 80;
  return { kind: 'http', tls, target: url, host, port, path: u.pathname + u.search, ...settings };
}

/**
 * ochinchina's supervisord's restart_when_binary_changed,
 * restart_directory_monitor and restart_file_pattern, and the signals
 * sent instead of a restart (Supervisor ignores the keys;
 * src/daemon/change-watch.ts). Its restart_cmd_when_* are not supported.
 */
export function readChangeRestart(
  r: OptionReader,
  S: string,
  get: GetOption,
): Pick<
  ProcessConfig,
  'restart_when_binary_changed' | 'restart_signal_when_binary_changed' | 'restart_directory_monitor' | 'restart_file_pattern' | 'restart_signal_when_file_changed'
> {
  const signal = (opt: string): string | null => {
    const got = get(opt, null);
    const v = r.str(got);
    if (v === null || v.trim() === '' || v.trim().toLowerCase() === 'none') return null;
    return dt.signalName(r.conv(S, opt, got, dt.signalNumber));
  };
  const restart_when_binary_changed = r.conv(S, 'restart_when_binary_changed', get('restart_when_binary_changed', false), dt.boolean);
  const restart_signal_when_binary_changed = signal('restart_signal_when_binary_changed');
  const dirGot = get('restart_directory_monitor', null);
  const dir = r.str(dirGot);
  const restart_directory_monitor =
    dir === null || dir.trim() === ''
      ? null
      : dt.normalizePath(r.conv(S, 'restart_directory_monitor', dirGot, (v: string) => dt.existingDirectory(v.trim(), r.home, r.cwd)), r.cwd, r.home);
  const restart_file_pattern = dt.listOfStrings(r.str(get('restart_file_pattern', '*'))).filter((p) => p !== '');
  if (!restart_file_pattern.length) restart_file_pattern.push('*');
  const restart_signal_when_file_changed = signal('restart_signal_when_file_changed');
  const unused = (opt: string, what: string): void => {
    if (r.doc.get(S, opt) !== undefined) r.warnOption(S, opt, `For [${S}], ${opt} is set but ${what}, so it has no effect`);
  };
  if (!restart_when_binary_changed) unused('restart_signal_when_binary_changed', 'restart_when_binary_changed is not true');
  if (!restart_directory_monitor) {
    unused('restart_file_pattern', 'there is no restart_directory_monitor=');
    unused('restart_signal_when_file_changed', 'there is no restart_directory_monitor=');
  }
  for (const opt of ['restart_cmd_when_binary_changed', 'restart_cmd_when_file_changed']) {
    const signalOpt = opt.replace('_cmd_', '_signal_');
    if (r.doc.get(S, opt) !== undefined)
      r.warnOption(S, opt, `For [${S}], ${opt} is not supported by tsv and has no effect: the program is restarted instead (or sent ${signalOpt}= if set)`);
  }
  return { restart_when_binary_changed, restart_signal_when_binary_changed, restart_directory_monitor, restart_file_pattern, restart_signal_when_file_changed };
}

/** Refuses one of tsv's options that only a [program:x] section may set. */
function programOnly(r: OptionReader, S: string, opt: string, got: Got, hint: string): never {
  return r.fail(new dt.DatatypeError(`[${S}] sets ${opt}=, which only a [program:x] section may`, hint), S, opt, got);
}

/** pre_start_hook= / pre_stop_hook=: the command split as command= is, a leading `-` read as systemd does; null when unset. */
export function readHook(r: OptionReader, S: string, opt: 'pre_start_hook' | 'pre_stop_hook', get: GetOption, timeout: number): HookConfig | null {
  const got = get(opt, null);
  const text = r.str(got)?.trim() ?? '';
  if (text === '') return null;
  if (!S.startsWith('program:'))
    programOnly(r, S, opt, got, 'run it from the command of the listener or FastCGI program instead');
  const ignoreFailure = text.startsWith('-');
  const command = ignoreFailure ? text.slice(1).trim() : text;
  const argv = r.conv(S, opt, got, () => {
    let words: string[];
    try {
      words = shlexSplit(command);
    } catch (e) {
      if (!(e instanceof ShlexError)) throw e;
      throw new dt.DatatypeError(`the command cannot be split into words: ${e.message}`, HOOK_HINT(opt));
    }
    if (!words.length) throw new dt.DatatypeError('no command after the -', HOOK_HINT(opt));
    return words;
  });
  return { command, argv, ignoreFailure, timeout };
}

/** cron= / cron_restart=: a pattern src/daemon/cron.ts can read, or null when unset (or none). */
export function readSchedule(r: OptionReader, S: string, opt: 'cron' | 'cron_restart', get: GetOption): string | null {
  const got = get(opt, null);
  const text = r.str(got)?.trim() ?? '';
  if (text === '' || text.toLowerCase() === 'none') return null;
  if (opt === 'cron' && !S.startsWith('program:'))
    programOnly(r, S, opt, got, 'an event listener or FastCGI program runs for as long as the daemon does');
  return r.conv(S, opt, got, () => {
    try {
      parseSchedule(text);
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      throw new dt.DatatypeError(
        `not a cron pattern: ${e.message}`,
        'minute hour day-of-month month day-of-week (e.g. 0 4 * * * for 04:00 every day), six fields with seconds first, @daily, @hourly or @every 10m',
      );
    }
    return text;
  });
}

/** tsv's own max_memory_restart= and max_memory_interval= (Supervisor ignores the keys; src/daemon/memory-limit.ts). */
export function readMemoryLimit(r: OptionReader, S: string, get: GetOption): MemoryLimitConfig | null {
  const limitGot = get('max_memory_restart', 0);
  // Supervisor's sizes (500MB), and PM2's for this option of PM2's (500M)
  const bytes = r.conv(S, 'max_memory_restart', limitGot, (v: string | number) =>
    dt.byteSize(typeof v === 'string' ? v.replace(/^(\s*\d+\s*[KMG])$/i, '$1B') : v),
  );
  if (bytes < 0)
    r.fail(
      new dt.DatatypeError('a size of memory cannot be negative', 'e.g. max_memory_restart=500MB; 0 (the default) is no limit'),
      S,
      'max_memory_restart',
      limitGot,
    );
  const interval = timerSeconds(r, S, 'max_memory_interval', get('max_memory_interval', 10), "the seconds between looks at the program's memory", 'e.g. max_memory_interval=10');
  if (bytes > 0) return { bytes, interval };
  if (r.doc.get(S, 'max_memory_interval'))
    r.warnOption(S, 'max_memory_interval', `For [${S}], max_memory_interval is set but there is no max_memory_restart= (or it is 0), so it has no effect`);
  return null;
}

/** tsv's own rlimit_* options, in the order of RLIMITS; `sources.rlimits` is where the first of them in that order was written. */
export function readRlimits(r: OptionReader, S: string, get: GetOption, sources: Record<string, ValueSource>): RlimitConfig[] {
  const out: RlimitConfig[] = [];
  for (const name of Object.keys(RLIMITS) as RlimitName[]) {
    const opt = `rlimit_${name}`;
    if (r.doc.get(S, opt) === undefined) continue;
    const got = get(opt, null);
    out.push(r.conv(S, opt, got, (v: string | number) => parseRlimit(name, String(v))));
    sources.rlimits ??= sources[opt] as ValueSource;
  }
  return out;
}

const HOOK_HINT = (opt: string): string => `e.g. ${opt}=/usr/local/bin/prepare --quiet, or ${opt}=/bin/sh -c "mkdir -p /run/app && chown app /run/app"`;

/** pre_start_hook_timeout= (tsv only): the seconds a pre_start_hook may take, 60 unless set (ochinchina's fixed limit). */
export function startHookTimeout(r: OptionReader, S: string, get: GetOption): number {
  return timerSeconds(r, S, 'pre_start_hook_timeout', get('pre_start_hook_timeout', 60), 'the seconds a pre_start_hook may run', 'e.g. pre_start_hook_timeout=300 for a migration that takes minutes');
}

