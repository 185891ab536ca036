// events [-f|--follow] [--json] [-n N] [TYPE ...]   (tsv only)
//
// Shows the daemon's events (Supervisor's event types, as listeners get
// them) without writing a listener: the last N remembered events, and with
// --follow every new one as it happens, until Ctrl-C. TYPE is any event type
// name, abstract parents included (PROCESS_STATE, TICK, EVENT, ...), or one
// of tsv's own (PROCESS_HEALTH…, PROCESS_MEMORY_RESTART), which are outside
// EVENT; the default is every root, everything. Human lines by default, JSON lines with
// --json (see src/events/stream.ts for the fields). The daemon serves them on
// GET /events, behind the same socket and credentials as XML-RPC; a
// supervisord answers 404 and the verb says it needs a tsv daemon.
import type { IncomingMessage } from 'node:http';
import type { Verb } from './types';
import { countOption, refuseArgs, words } from './types';
import { ExitStatus } from '../exit-status';
import { RpcConnectionError, RpcHttpError } from '../../rpc/client';
import { ALL_EVENT_ROOTS, isEventName } from '../../events/types';
import { EVENT_TYPE_NAMES, TSV_EVENT_TYPE_NAMES } from '../../config/model';
import type { EventLine } from '../../events/stream';
import { asctime } from '../../log/asctime';
import { reconnectPause } from './follow';

/** events asked for again after a reload: all the daemon keeps (src/events/hub.ts), those already shown skipped */
const HISTORY_ASKED = 200;

interface EventsArgs {
  follow: boolean;
  json: boolean;
  recent: number;
  types: string[];
}

function parseArgs(arg: string): EventsArgs | string {
  const out: EventsArgs = { follow: false, json: false, recent: 10, types: [] };
  const w = words(arg);
  for (let i = 0; i < w.length; i++) {
    const a = w[i] as string;
    if (a === '-f' || a === '--follow') out.follow = true;
    else if (a === '--json') out.json = true;
    else if (a.startsWith('-')) {
      const n = countOption(w, i, 'recent');
      if (typeof n === 'string') return n;
      out.recent = n.value;
      i = n.last;
    }
    else {
      const t = a.toUpperCase();
      if (!isEventName(t)) return `unknown event type ${a}`;
      out.types.push(t);
    }
  }
  return out;
}

/** One event for a person: time, type, the payload's header line, then its data indented. */
export function humanEvent(e: EventLine): string {
  const nl = e.payload.indexOf('\n');
  const head = nl < 0 ? e.payload : e.payload.slice(0, nl);
  let out = `${asctime(e.time * 1000)} ${e.eventname}${head ? ' ' + head : ''}\n`;
  if (e.data) {
    const body = e.data.endsWith('\n') ? e.data.slice(0, -1) : e.data;
    for (const line of body.split('\n')) out += `    ${line}\n`;
  }
  return out;
}

/** A line of /events: an event, or the last line to a client that read too slowly. */
export type StreamedEvent = EventLine & { overflow?: boolean };

/** Each event of a /events response as it arrives (a last line without a newline too), then `ended` once. */
export function readEvents(res: IncomingMessage, onEvent: (e: StreamedEvent, line: string) => void, ended: () => void): void {
  let rest = '';
  let over = false;
  const take = (line: string): void => {
    if (!line) return;
    let e: StreamedEvent;
    try {
      e = JSON.parse(line) as StreamedEvent;
    } catch {
      return;
    }
    onEvent(e, line);
  };
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() as string;
    for (const l of lines) take(l);
  });
  const end = (): void => {
    if (over) return;
    over = true;
    take(rest);
    ended();
  };
  res.on('end', end);
  res.on('close', end);
  res.on('error', end);
}

export const events: Verb = {
  name: 'events',
  // tsv's own verb: left out of `help` so that its list stays supervisorctl's
  listed: false,
  flags: ['-f', '--follow', '--json', '-n', '--recent'],
  valuedFlags: ['-n', '--recent'],
  async run(ctl, arg) {
    const args = parseArgs(arg);
    if (typeof args === 'string') {
      refuseArgs(ctl, events, args);
      return;
    }
    if (!(await ctl.upcheck())) return;
    const pathFor = (recent: number): string => {
      const q = new URLSearchParams();
      for (const t of args.types) q.append('type', t);
      q.set('recent', String(recent));
      if (args.follow) q.set('follow', '1');
      return `/events?${q.toString()}`;
    };
    let res: IncomingMessage;
    try {
      res = await ctl.rpcClient().stream(pathFor(args.recent));
    } catch (err) {
      if (err instanceof RpcHttpError && err.status === 404) {
        ctl.output(`Error: ${ctl.options.serverurl} does not serve events (tsv events needs a tsv daemon, not supervisord)`);
        ctl.exitstatus = ExitStatus.UNIMPLEMENTED_FEATURE;
        return;
      }
      if (err instanceof RpcHttpError && err.status === 400) {
        ctl.output(`Error: the daemon refused the request (${err.reason})`);
        ctl.exitstatus = ExitStatus.INVALID_ARGS;
        return;
      }
      throw err;
    }
    let overflow = false;
    let interrupted = false;
    let wake: (() => void) | null = null;
    // What a stream after the first repeats of the one before is skipped: by serial where both have
    // one (they count on across a reload), else by time, and in the millisecond of the last event
    // shown by what the events were (events of a reload come many to a millisecond).
    let last: EventLine | null = null;
    let lastMs = new Set<string>();
    let boundary: { last: EventLine; sameMs: Set<string> } | null = null;
    const identity = (e: EventLine): string => `${e.eventname}\n${e.payload}`;
    const fresh = (e: EventLine): boolean => {
      if (!boundary) return true;
      const b = boundary.last;
      if (e.serial !== null && b.serial !== null) return e.serial > b.serial;
      return e.time > b.time || (e.time === b.time && !boundary.sameMs.has(identity(e)));
    };
    const show = (r: IncomingMessage): Promise<void> =>
      new Promise<void>((resolve) =>
        readEvents(
          r,
          (e, line) => {
            if (e.overflow) overflow = true;
            else if (fresh(e)) {
              if (last?.time !== e.time) lastMs = new Set();
              lastMs.add(identity(e));
              last = e;
              ctl.io.write(args.json ? line + '\n' : humanEvent(e));
            }
          },
          resolve,
        ),
      );
    await ctl.interruptible(
      () => {
        interrupted = true;
        res.destroy();
        wake?.();
      },
      async () => {
        for (;;) {
          await show(res);
          if (interrupted || overflow || !args.follow) return;
          // the daemon stopped or reloads: followed again once it is back, as `tsv logs` does
          ctl.io.writeErr('events: the daemon closed the stream (it stopped or is reloading); waiting for it (Ctrl-C to exit)\n');
          for (;;) {
            await reconnectPause((w) => (wake = w));
            if (interrupted) return;
            try {
              res = await ctl.rpcClient().stream(pathFor(HISTORY_ASKED));
              break;
            } catch (err) {
              if (!(err instanceof RpcConnectionError)) throw err;
            }
          }
          if (last) boundary = { last, sameMs: new Set(lastMs) };
          ctl.io.writeErr('events: the daemon is back\n');
        }
      },
    );
    if (overflow) {
      ctl.io.writeErr('error: this client read too slowly and the daemon dropped it\n');
      ctl.exitstatus = ExitStatus.GENERIC;
    }
  },
  help(ctl) {
    const roots = `${ALL_EVENT_ROOTS.slice(0, -1).join(', ')} and ${ALL_EVENT_ROOTS[ALL_EVENT_ROOTS.length - 1]}`;
    ctl.output(`events [TYPE ...]\t\tShow the last 10 events (of these types; default all: ${roots})`);
    ctl.output('events -n N [TYPE ...]\t\tShow the last N events');
    ctl.output('events -f [TYPE ...]\t\tThen follow new events as they happen (Ctrl-C to exit)');
    ctl.output('events --json ...\t\tOne JSON object per event');
    ctl.output(`Types: ${EVENT_TYPE_NAMES.join(' ')}`);
    ctl.output(`tsv's own (healthcheck=, max_memory_restart=): ${TSV_EVENT_TYPE_NAMES.join(' ')}`);
  },
};
