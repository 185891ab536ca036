// ps [name|group:*|all ...] [--json]   (tsv only)
//
// What `pm2 ls` and `systemctl status` show and supervisorctl does not: what
// each program uses. CPU over half a second and resident memory, summed over
// the program's main process and every process it started, and how many
// there are. Read from /proc on this host (src/ctl/usage.ts), so it works
// against supervisord too, and shows `?` for a daemon whose processes are
// elsewhere.
// Against a tsv daemon also how often each program was started again (pm2's
// ↺) and, where one has a healthcheck, its verdict: the daemon's counts, read
// from its /metrics (src/ctl/program-tallies.ts).
import type { Verb } from './types';
import type { Controller } from '../controller';
import { refuseArgs, takeFlag, words } from './types';
import { makeNamespec, type ProcessInfo } from '../api';
import { stateColumn } from '../format';
import { ljust, pyLen } from '../python-text';
import { measureUsage, type ProgramUsage } from '../usage';
import { binaryBytes } from '../../daemon/program-usage';
import { reportUnknown, selected } from './names';
import { fetchTallies, type ProgramTally } from '../program-tallies';
import { isTerminal } from '../fd-output';
import { asctime } from '../../log/asctime';
import { RpcConnectionError } from '../../rpc/client';

/** "45s", "12m", "3h05m", "2d04h": two units at most, as pm2 and docker do. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

interface Row {
  namespec: string;
  info: ProcessInfo;
  /**
   * null: not running, or its process ended while it was measured; 'elsewhere': its pid is
   * not its process here (another host or pid namespace, or hidden by /proc's hidepid)
   */
  usage: ProgramUsage | null | 'elsewhere';
  /** null: the daemon does not count (supervisord) */
  tally: ProgramTally | null;
}

/** measureUsage's answer for a program the daemon reported running */
function usageOf(u: ProgramUsage | 'ended' | undefined): ProgramUsage | null | 'elsewhere' {
  if (u === 'ended') return null;
  return u ?? 'elsewhere';
}

function measured(r: Row): ProgramUsage | null {
  return r.usage === null || r.usage === 'elsewhere' ? null : r.usage;
}

/** The health column, in the words of tsv's status descriptions (and docker's `starting` before a first answer); only while RUNNING. */
function healthWord(r: Row): string {
  const h = r.tally?.health;
  if (!h || r.info.statename !== 'RUNNING') return '-';
  if (h.healthy) return 'healthy';
  return h.failures ? `unhealthy (${h.failures})` : 'starting';
}

function table(rows: readonly Row[], color: boolean): string {
  const width = Math.max(4, ...rows.map((r) => pyLen(r.namespec))) + 2;
  const counted = rows.some((r) => r.tally !== null);
  const checked = rows.some((r) => r.tally?.health);
  const cells = (r: Row): string[] => {
    const running = r.info.pid > 0;
    const u = measured(r);
    const unknown = r.usage === 'elsewhere' ? '?' : '-';
    const c = [
      running ? String(r.info.pid) : '-',
      running ? shortDuration(r.info.now - r.info.start) : '-',
      u ? `${u.cpuPercent.toFixed(1)}%` : unknown,
      u ? binaryBytes(u.rssBytes) : unknown,
      u ? String(u.pids.length) : unknown,
    ];
    if (counted) c.push(r.tally ? String(r.tally.restarts) : '-');
    if (checked) c.push(healthWord(r));
    return c;
  };
  const widths = [7, 8, 7, 11, 7, 10];
  const line = (name: string, state: string, c: string[]): string =>
    (ljust(name, width) + state + c.slice(0, -1).map((x, i) => ljust(x, widths[i] as number)).join('') + c[c.length - 1]).trimEnd() + '\n';
  const head = ['PID', 'UPTIME', 'CPU', 'MEMORY', 'PROCS'];
  if (counted) head.push('RESTARTS');
  if (checked) head.push('HEALTH');
  let out = line('NAME', ljust('STATE', 10), head);
  for (const r of rows) out += line(r.namespec, stateColumn(r.info.statename, 10, color), cells(r));
  if (rows.some((r) => r.usage === 'elsewhere')) out += '?: not measurable from here (the daemon runs on another host or in another pid namespace, or /proc hides its processes)\n';
  return out;
}

/**
 * The rows for these names: each program's state, what it uses (over half a
 * second) and the daemon's counts. A name that matches nothing is reported;
 * then the table is not shown, but JSON (as `status --json`) holds the rest.
 */
async function measureRows(ctl: Controller, names: readonly string[], json = false): Promise<Row[] | null> {
  const infos = await ctl.allProcessInfo();
  if (reportUnknown(ctl, infos, names, json) && !json) return null;
  const chosen = infos.filter((i) => selected(i, names));
  const running = chosen.filter((i) => i.pid > 0);
  const daemonPid = running.length ? Number(await ctl.call('getPID')) : 0;
  const [usage, tallies] = await Promise.all([measureUsage(running, daemonPid), fetchTallies(ctl.rpcClient())]);
  return chosen.map((info) => {
    const namespec = makeNamespec(info.group, info.name);
    return {
      namespec,
      info,
      usage: info.pid > 0 ? usageOf(usage.get(`${info.group}:${info.name}`)) : null,
      tally: tallies ? (tallies.get(namespec) ?? null) : null,
    };
  });
}

function jsonRows(rows: readonly Row[]): string {
  const out = rows.map((r) => {
    const u = measured(r);
    return {
      namespec: r.namespec,
      name: r.info.name,
      group: r.info.group,
      statename: r.info.statename,
      pid: r.info.pid,
      // a daemon whose clock was set back may report a start after now (supervisord does, for a while)
      uptime: r.info.pid > 0 ? Math.max(0, r.info.now - r.info.start) : null,
      cpuPercent: u ? Math.round(u.cpuPercent * 10) / 10 : null,
      rssBytes: u?.rssBytes ?? null,
      pids: u?.pids ?? null,
      onThisHost: r.usage !== 'elsewhere',
      restarts: r.tally?.restarts ?? null,
      healthy: r.tally?.health ? r.tally.health.healthy : null,
      healthFailures: r.tally?.health ? r.tally.health.failures : null,
    };
  });
  return JSON.stringify(out, null, 2) + '\n';
}

/** `--watch` (every 2 s) or `--watch=N`: the seconds between tables; null: once; a string: what is wrong. */
function watchSeconds(w: readonly string[]): number | null | string {
  let seconds: number | null = null;
  for (const a of w) {
    if (a === '--watch') seconds = 2;
    else if (a.startsWith('--watch=')) {
      const value = a.slice('--watch='.length);
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < 1) return `bad interval ${value} (seconds, 1 or more)`;
      seconds = Number(value);
    }
  }
  return seconds;
}

/**
 * The table again every N seconds until Ctrl-C, as watch(1) shows a command
 * (pm2 monit's and docker stats' live view): on a terminal the screen is
 * redrawn, elsewhere each table follows the last.
 */
async function watchTable(ctl: Controller, names: readonly string[], seconds: number): Promise<void> {
  const terminal = isTerminal(1);
  let stopped = false;
  let wake: (() => void) | null = null;
  await ctl.interruptible(
    () => {
      stopped = true;
      wake?.();
    },
    async () => {
      while (!stopped) {
        const started = performance.now();
        let body: string;
        try {
          const rows = await measureRows(ctl, names);
          if (!rows || stopped) return;
          body = table(rows, ctl.io.color);
        } catch (err) {
          // a daemon that stops or reloads is waited for, as watch(1) goes on showing a failing command
          if (!(err instanceof RpcConnectionError)) throw err;
          body = `the daemon does not answer at ${ctl.options.serverurl} (${err.code}); trying again\n`;
        }
        const head = `Every ${seconds}s: tsv ps${names.length ? ' ' + names.join(' ') : ''}    ${asctime().slice(0, 19)}\n\n`;
        ctl.io.write((terminal ? '\x1b[H\x1b[2J' : '') + head + body + (terminal ? '' : '\n'));
        // the half second of measuring counts toward the interval
        const rest = Math.max(0, seconds * 1000 - (performance.now() - started));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, rest);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
  );
}

export const ps: Verb = {
  name: 'ps',
  // tsv's own verb: left out of `help` so that its list stays supervisorctl's
  listed: false,
  flags: ['--json', '--watch'],
  async run(ctl, rawArg) {
    const { present: json, rest } = takeFlag(rawArg, '--json');
    const all = words(rest);
    const watch = watchSeconds(all);
    const names = all.filter((n) => n !== '--watch' && !n.startsWith('--watch='));
    const option = names.find((n) => n.startsWith('-'));
    let bad: string | null = null;
    if (typeof watch === 'string') bad = watch;
    else if (json && watch !== null) bad = '--watch shows tables, not JSON';
    else if (option) bad = `bad argument ${option}`;
    if (bad) {
      refuseArgs(ctl, ps, bad);
      return;
    }
    if (!(await ctl.upcheck())) return;
    if (typeof watch === 'number') {
      await watchTable(ctl, names, watch);
      return;
    }
    const rows = await measureRows(ctl, names, json);
    if (rows) ctl.io.write(json ? jsonRows(rows) : table(rows, ctl.io.color));
  },
  help(ctl) {
    ctl.output('ps\t\t\tCPU (over half a second), memory and processes of every program,');
    ctl.output('\t\t\tand against tsv its restarts and health');
    ctl.output('ps <name> <gname>:*\tThe same for these processes and groups');
    ctl.output('ps --json ...\t\tThe same as JSON');
    ctl.output('ps --watch[=N] ...\tThe table again every N seconds (2), until Ctrl-C');
  },
};
