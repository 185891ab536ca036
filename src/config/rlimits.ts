// rlimit_* (tsv only): a program's own resource limits, as systemd's
// LimitNOFILE= and circus's rlimit_nofile give them. Supervisor has only
// minfds/minprocs, for the daemon itself; a program that needs more open files
// than the boot limit has to be wrapped in `sh -c "ulimit -n …; exec …"`, and
// the pull requests that would have added this (#229, #366) were never
// merged. The child sets them after fork, before it switches to user=, so a
// daemon running as root can raise a hard limit for an unprivileged program.
import { DatatypeError, byteSize, byteSizeText, pyInt } from './datatypes';

/** The resources, by the option's suffix: whether the value is a size in bytes (KB, MB, GB allowed), and the unit said otherwise. */
export const RLIMITS = {
  nofile: { bytes: false, unit: 'open files' },
  nproc: { bytes: false, unit: 'processes of the user' },
  core: { bytes: true, unit: 'bytes of core dump' },
  cpu: { bytes: false, unit: 'seconds of CPU' },
  data: { bytes: true, unit: 'bytes of data segment' },
  fsize: { bytes: true, unit: 'bytes of file size' },
  stack: { bytes: true, unit: 'bytes of stack' },
  as: { bytes: true, unit: 'bytes of address space' },
  memlock: { bytes: true, unit: 'bytes of locked memory' },
  rss: { bytes: true, unit: 'bytes of resident memory (not enforced by Linux)' },
  locks: { bytes: false, unit: 'file locks' },
  sigpending: { bytes: false, unit: 'queued signals' },
  msgqueue: { bytes: true, unit: 'bytes of POSIX message queues' },
  nice: { bytes: false, unit: 'ceiling of the nice value (20 - nice)' },
  rtprio: { bytes: false, unit: 'real-time priority' },
  rttime: { bytes: false, unit: 'microseconds of real-time CPU' },
} as const;

export type RlimitName = keyof typeof RLIMITS;

/** The options, rlimit_nofile … rlimit_rttime. */
export const RLIMIT_OPTIONS: readonly string[] = Object.keys(RLIMITS).map((n) => `rlimit_${n}`);

/** Linux's alone; elsewhere (macOS) a config error. */
const LINUX_ONLY: ReadonlySet<RlimitName> = new Set(['locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime']);

/** One limit: soft and hard, null for unlimited. */
export interface RlimitConfig {
  name: RlimitName;
  soft: number | null;
  hard: number | null;
}

const UNLIMITED = new Set(['infinity', 'unlimited']);

function oneValue(name: RlimitName, text: string): number | null {
  const t = text.trim();
  if (UNLIMITED.has(t.toLowerCase())) return null;
  const n = RLIMITS[name].bytes ? byteSize(t) : pyInt(t);
  if (n < 0) throw new DatatypeError(`a limit cannot be negative: ${t}`, 'a whole number, or infinity');
  // rlim_t above 2^63 is no limit the kernel tells from RLIM_INFINITY (2^64-1, which some tools print): the spawn would fail
  if (n > 2 ** 63) throw new DatatypeError(`${t} is above the largest limit, 9223372036854775807: write infinity for none`, 'a whole number, or infinity');
  return n;
}

/**
 * `N` (soft and hard both N, as systemd's LimitNOFILE=N), `SOFT:HARD`, or
 * `infinity` (also `unlimited`, as ulimit says) for either; sizes in bytes
 * may carry KB, MB or GB.
 */
export function parseRlimit(name: RlimitName, value: string, platform: string = process.platform): RlimitConfig {
  if (LINUX_ONLY.has(name) && platform !== 'linux') throw new DatatypeError(`rlimit_${name} is a limit of Linux only`, 'remove it on this system');
  const parts = value.split(':');
  if (parts.length > 2 || !value.trim()) throw new DatatypeError(`${JSON.stringify(value)} is not a limit`, limitHint(name));
  let soft: number | null;
  let hard: number | null;
  try {
    soft = oneValue(name, parts[0] as string);
    hard = parts.length === 2 ? oneValue(name, parts[1] as string) : soft;
  } catch (e) {
    throw new DatatypeError(`${JSON.stringify(value)} is not a limit (${(e as Error).message})`, limitHint(name));
  }
  if (hard !== null && (soft === null || soft > hard)) throw new DatatypeError(`the soft limit ${parts[0]?.trim()} is above the hard limit ${parts[1]?.trim()}`, limitHint(name));
  return { name, soft, hard };
}

function limitHint(name: RlimitName): string {
  const eg = RLIMITS[name].bytes ? '64MB' : name === 'nofile' ? '65536' : '4096';
  return `rlimit_${name} takes ${RLIMITS[name].unit}: a number (soft and hard), SOFT:HARD, or infinity; e.g. rlimit_${name}=${eg}`;
}

/** As config show and the child's error line write it: `rlimit_nofile=1024:65536`. */
export function rlimitText(r: RlimitConfig): string {
  const one = (n: number | null): string => (n === null ? 'infinity' : RLIMITS[r.name].bytes ? byteSizeText(n) : String(n));
  return `rlimit_${r.name}=${r.soft === r.hard ? one(r.soft) : `${one(r.soft)}:${one(r.hard)}`}`;
}
