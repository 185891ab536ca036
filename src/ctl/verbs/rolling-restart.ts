// restart --rolling <name|group:*>... | restart --rolling all   (tsv only)
//
// supervisorctl's restart stops every process named, then starts them all:
// the whole group is down at once (Supervisor issues #456 and #723, open;
// PR #262 and #517 closed). This restarts them one at a time, each stopped,
// started and waited for (RUNNING, as `start` waits; against a tsv daemon
// also healthy, when it has a healthcheck) before the next is touched, as
// PM2's `reload` does for a cluster. A process that does not come back ends
// the restart there: the ones not yet restarted keep running the old version.
import type { IncomingMessage } from 'node:http';
import type { Controller } from '../controller';
import { makeNamespec, namedBy, toCallResult, type ProcessInfo } from '../api';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { RpcHttpError } from '../../rpc/client';
import { fetchTallies } from '../program-tallies';
import { readEvents, type StreamedEvent } from './events';
import { splitNamespec } from '../../config/model';
import { startResult, stopResult } from './results';

/** The processes the names choose, in status's order, each once; the names that choose none are said and set the exit status. */
function chosen(ctl: Controller, infos: ProcessInfo[], names: string[]): ProcessInfo[] {
  const out = new Set<ProcessInfo>();
  for (const name of names) {
    const hits = name === 'all' ? infos : infos.filter((i) => namedBy(i, name));
    if (!hits.length) {
      const [group, proc] = splitNamespec(name);
      ctl.output(proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
      // as `restart NAME` of an unknown name exits (supervisorctl's stop and start)
      ctl.exitstatus = ExitStatus.GENERIC;
    }
    for (const h of hits) out.add(h);
  }
  return infos.filter((i) => out.has(i));
}

/** The daemon's health events, kept from the moment the restart begins, so that none is missed while a call waits. */
class HealthEvents {
  readonly seen: StreamedEvent[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  constructor(private readonly res: IncomingMessage) {
    readEvents(
      res,
      (e) => {
        this.seen.push(e);
        this.poke();
      },
      () => {
        this.ended = true;
        this.poke();
      },
    );
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The first event from `from` on that `decide` answers (true/false), or null if the stream ended first. */
  async first(from: number, decide: (e: StreamedEvent) => boolean | null): Promise<{ ok: boolean; event: StreamedEvent } | null> {
    for (let i = from; ; i++) {
      while (i >= this.seen.length) {
        if (this.ended) return null;
        await new Promise<void>((r) => (this.wake = r));
      }
      const e = this.seen[i] as StreamedEvent;
      const verdict = decide(e);
      if (verdict !== null) return { ok: verdict, event: e };
    }
  }

  close(): void {
    this.res.destroy();
  }
}

/** Opens /events for health and state changes from now on; null against a supervisord (no /events). */
async function openHealthEvents(ctl: Controller): Promise<HealthEvents | null> {
  try {
    return new HealthEvents(await ctl.rpcClient().stream('/events?type=PROCESS_HEALTH&type=PROCESS_STATE&recent=0&follow=1'));
  } catch (err) {
    if (err instanceof RpcHttpError) return null;
    throw err;
  }
}

/** Stops and starts one process as stop and start do, saying so in their words; false if it did not come back. */
async function restartOne(ctl: Controller, p: ProcessInfo): Promise<boolean> {
  const spec = makeNamespec(p.group, p.name);
  try {
    await ctl.call('stopProcess', spec);
    ctl.output(`${spec}: stopped`);
  } catch (err) {
    if (!(err instanceof XmlRpcFault)) throw err;
    ctl.output(stopResult(toCallResult({ status: err.faultCode, name: p.name, group: p.group, description: err.faultString })));
    // a process that was not running is started like the others; any other refusal ends the restart
    if (err.faultCode !== Faults.NOT_RUNNING) {
      ctl.setExitstatusFromFault(err.faultCode);
      return false;
    }
  }
  try {
    await ctl.call('startProcess', spec);
  } catch (err) {
    if (!(err instanceof XmlRpcFault)) throw err;
    ctl.output(startResult(toCallResult({ status: err.faultCode, name: p.name, group: p.group, description: err.faultString })));
    ctl.setExitstatusFromFault(err.faultCode);
    return false;
  }
  ctl.output(`${spec}: started`);
  return true;
}

/**
 * After its start: its first answered health check (true), or as many failed
 * ones in a row as make the daemon restart it, or its run ending (false). `from` is where the stream stood before its
 * stop: what comes before the new run's RUNNING is the stop's.
 */
async function waitHealthy(ctl: Controller, events: HealthEvents, from: number, p: ProcessInfo): Promise<boolean> {
  const spec = makeNamespec(p.group, p.name);
  const ours = (e: StreamedEvent): boolean => e.headers.processname === p.name && e.headers.groupname === p.group;
  let said = '';
  let running = false;
  const verdict = await ctl.interruptible(
    () => events.close(),
    () =>
      events.first(from, (e) => {
        if (!ours(e)) return null;
        if (!running) {
          running = e.eventname === 'PROCESS_STATE_RUNNING';
          return null;
        }
        if (e.eventname === 'PROCESS_HEALTH_HEALTHY') return true;
        // failed looks count up to the daemon's own verdict: retries in a row restart it
        if (e.eventname === 'PROCESS_HEALTH_UNHEALTHY' && Number(e.headers.failures) >= Number(e.headers.retries)) {
          said = `ERROR (unhealthy: ${e.headers.failures} health check${e.headers.failures === '1' ? '' : 's'} in a row failed: ${e.data.split('\n')[0] ?? ''})`;
          return false;
        }
        // any state after RUNNING is the run ending
        if (e.eventname.startsWith('PROCESS_STATE_')) {
          said = `ERROR (${e.eventname.slice('PROCESS_STATE_'.length)} before its first answered health check)`;
          return false;
        }
        return null;
      }),
  );
  if (verdict?.ok) {
    ctl.output(`${spec}: healthy`);
    return true;
  }
  ctl.output(`${spec}: ${said || 'ERROR (no word of its health: the event stream ended)'}`);
  ctl.exitstatus = ExitStatus.GENERIC;
  return false;
}

export async function rollingRestart(ctl: Controller, names: string[]): Promise<void> {
  const targets = chosen(ctl, await ctl.allProcessInfo(), names);
  if (!targets.length) return;
  const tallies = await fetchTallies(ctl.rpcClient());
  const checked = (p: ProcessInfo): boolean => tallies?.get(makeNamespec(p.group, p.name))?.health != null;
  const events = targets.some(checked) ? await openHealthEvents(ctl) : null;
  try {
    for (let i = 0; i < targets.length; i++) {
      const p = targets[i] as ProcessInfo;
      const from = events?.seen.length ?? 0;
      const back = (await restartOne(ctl, p)) && (!events || !checked(p) || (await waitHealthy(ctl, events, from, p)));
      if (!back) {
        const left = targets.slice(i + 1).map((t) => makeNamespec(t.group, t.name));
        if (left.length) ctl.output(`Error: rolling restart stopped at ${makeNamespec(p.group, p.name)}; not restarted: ${left.join(' ')}`);
        if (ctl.exitstatus === ExitStatus.SUCCESS) ctl.exitstatus = ExitStatus.GENERIC;
        return;
      }
    }
  } finally {
    events?.close();
  }
}
