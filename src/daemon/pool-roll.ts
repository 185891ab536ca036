// A changed file or a cron_restart= time restarts the processes of a
// numprocs program one at a time (tsv only): each is restarted once the one
// before it is up again (RUNNING and, with a healthcheck, answering), so a
// deploy to a pool of workers never takes the whole pool down, and a deploy
// that breaks the program stops at its first process while the rest keep
// serving what they started with. PM2's `reload` does this by hand; `tsv
// restart --rolling` is the same for a command (src/ctl/verbs/rolling-restart.ts).
import { ProcessState, processStateName } from './states';
import type { MainLogger } from '../log/mainlog';

/** What the roll needs of a process (src/daemon/process.ts's Subprocess). */
export interface RollMember {
  readonly name: string;
  readonly state: ProcessState;
  /** RUNNING and, with a healthcheck, answering it */
  readonly up: boolean;
  /** a restart it was asked for has its start still to come */
  readonly restartPending: boolean;
  /** resolves at its next state or health change */
  nextChange(): Promise<void>;
}

/** Restarts the process (and says so); `after` names the process of its pool that came up again before it. */
export type RollRestart = (after: string | null) => void;

interface Wanted {
  proc: RollMember;
  restart: RollRestart;
  /** how often this roll had restarted the process when it was asked for: the ones it has restarted less go first */
  turn: number;
}

interface Roll {
  queue: Wanted[];
  restarted: Map<RollMember, number>;
}

/** The rolls under way, one per [program:x] section at most. */
export class PoolRolls {
  private readonly rolls = new Map<string, Roll>();

  constructor(
    private readonly log: MainLogger,
    /** the daemon goes on (not shutting down or reloading) */
    private readonly goingOn: () => boolean,
  ) {}

  /** `proc` of program `section` should be restarted: now if no restart of the section is under way, else after those before it. */
  want(section: string, proc: RollMember, restart: RollRestart): void {
    const roll = this.rolls.get(section);
    if (roll) {
      // a process already waiting restarts once, for the latest change; the one restarting now goes again
      const waiting = roll.queue.find((w) => w.proc === proc);
      if (waiting) waiting.restart = restart;
      else {
        // a process the roll restarted already (the one restarting now, say) goes after those still waiting for
        // their first: a change or cron time that comes again during a long roll must not starve the pool's last ones
        roll.queue.push({ proc, restart, turn: roll.restarted.get(proc) ?? 0 });
        // then in the pool's order (web_2 before web_10), whichever process's timer fired first
        roll.queue.sort((a, b) => a.turn - b.turn || a.proc.name.localeCompare(b.proc.name, 'en', { numeric: true }));
      }
      return;
    }
    const started: Roll = { queue: [{ proc, restart, turn: 0 }], restarted: new Map() };
    this.rolls.set(section, started);
    // the pool's other processes see the same change or time in the same turn of the loop: the roll begins once they have joined
    setImmediate(() => void this.run(section, started));
  }

  private async run(section: string, roll: Roll): Promise<void> {
    let previous: string | null = null;
    for (let next = roll.queue.shift(); next && this.goingOn(); next = roll.queue.shift()) {
      const { proc, restart } = next;
      // stopped (or given up) while it waited: nothing to restart
      if (proc.state !== ProcessState.RUNNING && proc.state !== ProcessState.STARTING) continue;
      roll.restarted.set(proc, (roll.restarted.get(proc) ?? 0) + 1);
      restart(previous === proc.name ? null : previous);
      const outcome = await backUp(proc);
      if (outcome !== null) {
        const left = roll.queue.filter((w) => w.proc.state === ProcessState.RUNNING || w.proc.state === ProcessState.STARTING).map((w) => w.proc.name);
        if (left.length && this.goingOn()) {
          this.log.warn(
            `not restarting ${left.join(', ')}: ${proc.name} did not come back up (${outcome}); they keep running what they started with until their next restart`,
          );
        }
        break;
      }
      previous = proc.name;
    }
    this.rolls.delete(section);
  }
}

/** null once the restarted process is up; else the state it ended in instead (STOPPED by hand, BACKOFF, FATAL, EXITED, STOPPING for its health). */
async function backUp(proc: RollMember): Promise<string | null> {
  let started = false;
  for (;;) {
    const s = proc.state;
    if (s === ProcessState.RUNNING || s === ProcessState.STARTING) {
      if (started || !proc.restartPending) {
        started = true;
        if (proc.up) return null;
      }
    } else if (started || (s !== ProcessState.STOPPING && !proc.restartPending)) {
      return processStateName(s);
    }
    await proc.nextChange();
  }
}
