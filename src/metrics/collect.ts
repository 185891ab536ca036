// /metrics (tsv only): the daemon and its programs in Prometheus's format, on
// every control socket, behind the socket's credentials. Collected when
// scraped, never on a timer: what the engine holds (states, start times, the
// counts of ./tallies.ts) and what /proc shows of the programs' processes.
import { readdirSync, readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Supervisor } from '../daemon/supervisor';
import { ProcessState, SupervisorState, processStateName, supervisorStateName } from '../daemon/states';
import { TICKS_PER_SEC, adoptedOrphans, programMembers, rssBytes, snapshot, type Snapshot } from '../daemon/program-usage';
import type { ProcTimes } from '../daemon/proc-stat';
import { Exposition, labelText, withLabel, type MetricFamily } from './exposition';
import { ProgramTallies, type ProgramTally } from './tallies';

const PROCESS_STATES = Object.values(ProcessState).filter((v): v is ProcessState => typeof v === 'number');
const DAEMON_STATES = Object.values(SupervisorState).filter((v): v is SupervisorState => typeof v === 'number');

/** programs one turn of the event loop looks at, or writes the samples of, family by family (see snapshot) */
const ROWS_PER_TURN = 100;

interface ProgramRow {
  /** group and name, rendered */
  labels: string;
  /** null: no healthcheck */
  healthy: boolean | null;
  /** failed looks in a row; null: no healthcheck */
  healthFailures: number | null;
  /** max_memory_restart in bytes; null: none */
  memoryLimit: number | null;
  state: ProcessState;
  laststart: number;
  exitstatus: number | null;
  tally: ProgramTally;
  pids: number[];
  rss: number;
  cpuTicks: number;
}

/**
 * The CPU counter of one program: the user and system time of its live
 * processes, with what they have reaped (a shell's finished commands). It only
 * goes up within the daemon's run: time that leaves the tree without being
 * handed to a member (a process reaped by init or by the daemon, the last run
 * of a restarted program) stays counted, and a process that starts and ends
 * between two scrapes with nobody in the tree to reap it is not seen at all.
 */
function cpuCounter(t: ProgramTally, mainPid: number, members: readonly number[], snap: Snapshot): number {
  let sum = 0;
  for (const pid of members) {
    const st = snap.procs.get(pid) as ProcTimes;
    sum += st.ticks + st.childTicks;
  }
  if (mainPid !== t.cpuPid) {
    t.cpuBase += t.cpuLast;
    t.cpuLast = 0;
    t.cpuPid = mainPid;
  }
  if (sum < t.cpuLast) t.cpuBase += t.cpuLast - sum;
  t.cpuLast = sum;
  return t.cpuBase + sum;
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one reading the directory
  } catch {
    return null;
  }
}

function maxFds(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** What the daemon's own families read, once per scrape. */
interface DaemonRow {
  version: string;
  mood: SupervisorState;
  cpu: NodeJS.CpuUsage;
  rss: number;
  fds: number | null;
  maxFds: number | null;
}

const DAEMON_FAMILIES: readonly MetricFamily<DaemonRow>[] = [
  {
    name: 'tsv_build_info',
    help: "tsv's version and the Node.js it runs on.",
    type: 'gauge',
    samples: (d, emit) => emit(labelText({ version: d.version, node: process.version }), 1),
  },
  {
    name: 'tsv_daemon_state',
    help: "The daemon's state (getState): 1 for the one it is in.",
    type: 'gauge',
    samples: (d, emit) => {
      for (const s of DAEMON_STATES) emit(labelText({ state: supervisorStateName(s) }), s === d.mood ? 1 : 0);
    },
  },
  // the daemon process itself, as every Prometheus client library names these
  { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', type: 'counter', samples: (d, emit) => emit('', (d.cpu.user + d.cpu.system) / 1e6) },
  { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: (d, emit) => emit('', d.rss) },
  {
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    type: 'gauge',
    samples: (_d, emit) => emit('', Math.round(Date.now() / 1000 - process.uptime())),
  },
  { name: 'process_open_fds', help: 'Number of open file descriptors.', type: 'gauge', samples: (d, emit) => emit('', d.fds) },
  { name: 'process_max_fds', help: 'Maximum number of open file descriptors.', type: 'gauge', samples: (d, emit) => emit('', d.maxFds) },
];

// the state label of each state, rendered once
const STATE_LABELS = PROCESS_STATES.map((s) => [s, labelText({ state: processStateName(s) })] as const);
const EXPECTED = 'expected="true"';
const UNEXPECTED = 'expected="false"';

const PROGRAM_FAMILIES: readonly MetricFamily<ProgramRow>[] = [
  {
    name: 'tsv_program_state',
    help: "Each program's state (getProcessInfo's statename): 1 for the one it is in.",
    type: 'gauge',
    samples: (r, emit) => {
      for (const [s, label] of STATE_LABELS) emit(withLabel(r.labels, label), s === r.state ? 1 : 0);
    },
  },
  {
    name: 'tsv_program_start_time_seconds',
    help: 'When the program was last started, in seconds since the unix epoch (0: never).',
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.laststart),
  },
  {
    name: 'tsv_program_spawns_total',
    help: 'Processes started for the program in this run of the daemon.',
    type: 'counter',
    samples: (r, emit) => emit(r.labels, r.tally.spawns),
  },
  {
    name: 'tsv_program_spawn_failures_total',
    help: 'Starts that failed before a process ran (no such command, not executable, too many open files, ...).',
    type: 'counter',
    samples: (r, emit) => emit(r.labels, r.tally.spawnFailures),
  },
  {
    name: 'tsv_program_exits_total',
    help: 'Ends of the program\'s process: expected="true" with an exit code in exitcodes or when stopped; "false" with another code, a signal, or before startsecs.',
    type: 'counter',
    samples: (r, emit) => {
      emit(withLabel(r.labels, EXPECTED), r.tally.exitsExpected);
      emit(withLabel(r.labels, UNEXPECTED), r.tally.exitsUnexpected);
    },
  },
  {
    name: 'tsv_program_exit_status',
    help: "Exit status of the last end of the program (getProcessInfo's exitstatus), while it has one.",
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.exitstatus),
  },
  {
    name: 'tsv_program_healthy',
    help: 'Programs with a healthcheck: 1 when its last look was answered, 0 when not or while the program is not RUNNING.',
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.healthy === null ? null : r.healthy ? 1 : 0),
  },
  {
    name: 'tsv_program_health_failing_looks',
    help: 'Programs with a healthcheck: its failed looks in a row in this run of the program (0 once one is answered, and within healthcheck_start_period); at healthcheck_retries it is restarted.',
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.healthFailures),
  },
  {
    name: 'tsv_program_health_failures_total',
    help: 'Looks of the healthcheck that were not answered in this run of the daemon (not those within healthcheck_start_period).',
    type: 'counter',
    samples: (r, emit) => emit(r.labels, r.healthy === null ? null : r.tally.healthFailures),
  },
  {
    name: 'tsv_program_processes',
    help: 'Live processes of the program: its main one and every one it started that is still in its tree or its process group.',
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.pids.length),
  },
  {
    name: 'tsv_program_resident_memory_bytes',
    help: "Resident memory of the program's processes, summed (pages they share are counted in each, as ps counts them).",
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.rss),
  },
  {
    name: 'tsv_program_memory_limit_bytes',
    help: 'Programs with max_memory_restart: the resident memory (as tsv_program_resident_memory_bytes) above which the program is restarted.',
    type: 'gauge',
    samples: (r, emit) => emit(r.labels, r.memoryLimit),
  },
  {
    name: 'tsv_program_memory_restarts_total',
    help: 'Programs with max_memory_restart: restarts because its processes held more memory than that, in this run of the daemon.',
    type: 'counter',
    samples: (r, emit) => emit(r.labels, r.memoryLimit === null ? null : r.tally.memoryRestarts),
  },
  {
    name: 'tsv_program_cpu_seconds_total',
    help: "User and system CPU time of the program's processes (and of the children they reaped) in this run of the daemon.",
    type: 'counter',
    samples: (r, emit) => emit(r.labels, r.cpuTicks / TICKS_PER_SEC),
  },
];

/** One per run of the daemon, shared by every control socket. */
export class DaemonMetrics {
  private readonly tallies: ProgramTallies;
  /** a scrape under way: a second one at the same time gets its answer */
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly engine: Supervisor,
    private readonly version: string,
  ) {
    this.tallies = new ProgramTallies(engine.events);
  }

  /** The exposition text, read now. */
  text(): Promise<string> {
    this.inflight ??= this.collect().finally(() => (this.inflight = null));
    return this.inflight;
  }

  close(): void {
    this.tallies.close();
  }

  private async collect(): Promise<string> {
    const procs = this.engine.allProcesses(true).map(([, p]) => p);
    const running = procs.filter((p) => p.pid > 0);
    const snap = running.length ? await snapshot() : null;
    const orphans = snap ? adoptedOrphans(snap, process.pid, new Set(running.map((p) => p.pid))) : [];
    const rows: ProgramRow[] = [];
    for (const p of procs) {
      if (rows.length > 0 && rows.length % ROWS_PER_TURN === 0) await nextTurn();
      const tally = this.tallies.of(p.group, p.name);
      // read again after the turns above: the state may have moved on
      const pid = p.pid;
      const pids = snap && pid > 0 && snap.procs.has(pid) ? programMembers({ name: p.name, group: p.group, pid }, snap, process.pid, orphans) : [];
      const rss = snap ? rssBytes(pids) : 0;
      const cpuTicks = snap && pids.length ? cpuCounter(tally, pid, pids, snap) : tally.cpuBase + tally.cpuLast;
      rows.push({ labels: labelText({ group: p.group, name: p.name }), healthy: p.healthy, healthFailures: p.healthFailures, memoryLimit: p.config.max_memory_restart?.bytes ?? null, state: p.state, laststart: p.startedAt(), exitstatus: p.exitstatus, tally, pids, rss, cpuTicks });
    }
    const out = new Exposition();
    await out.add(DAEMON_FAMILIES, [
      { version: this.version, mood: this.engine.mood, cpu: process.cpuUsage(), rss: process.memoryUsage.rss(), fds: openFds(), maxFds: maxFds() },
    ]);
    await out.add(PROGRAM_FAMILIES, rows, ROWS_PER_TURN);
    return out.text();
  }
}
