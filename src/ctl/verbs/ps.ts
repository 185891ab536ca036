// ps [name|group:*|all ...] [--json]   (tsv only)
//
// What `pm2 ls` and `systemctl status` show and supervisorctl does not: what
// each program uses. CPU over half a second and resident memory, summed over
// the program's main process and every process it started, and how many
// there are. Read from /proc on this host (src/ctl/usage.ts), so it works
// against supervisord too, and shows `?` for a daemon whose processes are
// elsewhere.
import type { Verb } from './types';
import { refuseArgs, takeFlag, words } from './types';
import { makeNamespec, type ProcessInfo } from '../api';
import { stateColumn } from '../format';
import { ljust, pyLen } from '../python-text';
import { measureUsage, type ProgramUsage } from '../usage';
import { binaryBytes } from '../../daemon/program-usage';
import { reportUnknown, selected } from './names';

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
  /** null: not running; 'elsewhere': its pid is not its process here (another host or pid namespace, or hidden by /proc's hidepid) */
  usage: ProgramUsage | null | 'elsewhere';
}

function measured(r: Row): ProgramUsage | null {
  return r.usage === null || r.usage === 'elsewhere' ? null : r.usage;
}

function table(rows: readonly Row[], color: boolean): string {
  const width = Math.max(4, ...rows.map((r) => pyLen(r.namespec))) + 2;
  const cells = (r: Row): string[] => {
    const running = r.info.pid > 0;
    const u = measured(r);
    const unknown = r.usage === 'elsewhere' ? '?' : '-';
    return [
      running ? String(r.info.pid) : '-',
      running ? shortDuration(r.info.now - r.info.start) : '-',
      u ? `${u.cpuPercent.toFixed(1)}%` : unknown,
      u ? binaryBytes(u.rssBytes) : unknown,
      u ? String(u.pids.length) : unknown,
    ];
  };
  const widths = [7, 8, 7, 11];
  const line = (name: string, state: string, c: string[]): string =>
    (ljust(name, width) + state + c.slice(0, 4).map((x, i) => ljust(x, widths[i] as number)).join('') + c[4]).trimEnd() + '\n';
  let out = line('NAME', ljust('STATE', 10), ['PID', 'UPTIME', 'CPU', 'MEMORY', 'PROCS']);
  for (const r of rows) out += line(r.namespec, stateColumn(r.info.statename, 10, color), cells(r));
  if (rows.some((r) => r.usage === 'elsewhere')) out += '?: not measurable from here (the daemon runs on another host or in another pid namespace, or /proc hides its processes)\n';
  return out;
}

export const ps: Verb = {
  name: 'ps',
  // tsv's own verb: left out of `help` so that its list stays supervisorctl's
  listed: false,
  async run(ctl, rawArg) {
    const { present: json, rest } = takeFlag(rawArg, '--json');
    const names = words(rest);
    const bad = names.find((n) => n.startsWith('-'));
    if (bad) {
      refuseArgs(ctl, ps, `bad argument ${bad}`);
      return;
    }
    if (!(await ctl.upcheck())) return;
    const infos = await ctl.allProcessInfo();
    if (reportUnknown(ctl, infos, names)) return;
    const chosen = infos.filter((i) => selected(i, names));
    const running = chosen.filter((i) => i.pid > 0);
    const daemonPid = running.length ? Number(await ctl.call('getPID')) : 0;
    const usage = await measureUsage(running, daemonPid);
    const rows: Row[] = chosen.map((info) => ({
      namespec: makeNamespec(info.group, info.name),
      info,
      usage: info.pid > 0 ? (usage.get(`${info.group}:${info.name}`) ?? 'elsewhere') : null,
    }));
    if (!json) {
      ctl.io.write(table(rows, ctl.io.color));
      return;
    }
    const out = rows.map((r) => {
      const u = measured(r);
      return {
        namespec: r.namespec,
        name: r.info.name,
        group: r.info.group,
        statename: r.info.statename,
        pid: r.info.pid,
        uptime: r.info.pid > 0 ? r.info.now - r.info.start : null,
        cpuPercent: u ? Math.round(u.cpuPercent * 10) / 10 : null,
        rssBytes: u?.rssBytes ?? null,
        pids: u?.pids ?? null,
        onThisHost: r.usage !== 'elsewhere',
      };
    });
    ctl.io.write(JSON.stringify(out, null, 2) + '\n');
  },
  help(ctl) {
    ctl.output('ps\t\t\tCPU (over half a second), memory and processes of every program');
    ctl.output('ps <name> <gname>:*\tThe same for these processes and groups');
    ctl.output('ps --json ...\t\tThe same as JSON');
  },
};
