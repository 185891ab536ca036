// GET /events on the daemon's control sockets (tsv only; Supervisor answers
// 404): the events `tsv events` shows, as JSON lines, behind the same Basic
// auth as XML-RPC.
//
//   /events?type=PROCESS_STATE&type=TICK_5&recent=10&follow=1
//
// `type` (repeatable or comma-separated) takes Supervisor's type names,
// abstract parents included, and tsv's own (default: EVENT, PROCESS_HEALTH
// and PROCESS_MEMORY_RESTART, everything); `recent` is how many remembered
// events to send first (default 10); with `follow=1` the response stays open
// and carries each new event as it happens, until the client goes away or
// the daemon stops or reloads (then the response ends). A client that does
// not read is dropped once 4 MiB are waiting for it, after a last line
// `{"overflow":true}`.
//
// One line per event:
//   {"eventname":"PROCESS_STATE_RUNNING","serial":12,"time":1795313050.123,
//    "headers":{"processname":"cat",...},"data":"","payload":"processname:cat ..."}
// `serial` is Supervisor's global serial when a listener pool took the event,
// null when none did; `headers` and `data` are the payload split the way
// childutils.eventdata splits it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventTypeName } from '../config/model';
import type { EventHub } from './hub';
import { splitPayload, type SupervisorEvent } from './payload';
import { ALL_EVENT_ROOTS, isEventName } from './types';

const MAX_PENDING = 4 * 1024 * 1024;

export interface EventLine {
  eventname: string;
  serial: number | null;
  time: number;
  headers: Record<string, string>;
  data: string;
  payload: string;
}

export function eventLine(e: SupervisorEvent): EventLine {
  const { headers, data } = splitPayload(e.payload);
  return { eventname: e.name, serial: e.serial, time: Math.round(e.time * 1000) / 1000, headers, data, payload: e.payload };
}

export interface StreamRequest {
  types: EventTypeName[];
  recent: number;
  follow: boolean;
}

/** The query string of /events; a string error for a bad one. */
export function parseStreamQuery(query: string): StreamRequest | string {
  const q = new URLSearchParams(query);
  const types: EventTypeName[] = [];
  for (const v of q.getAll('type')) {
    for (const raw of v.split(',')) {
      const t = raw.trim().toUpperCase();
      if (!t) continue;
      if (!isEventName(t)) return `unknown event type ${raw.trim()}`;
      types.push(t);
    }
  }
  const recentText = q.get('recent');
  const recent = recentText === null ? 10 : Number(recentText);
  if (!Number.isInteger(recent) || recent < 0) return `bad recent=${recentText}`;
  const follow = ['1', 'true', 'yes'].includes((q.get('follow') ?? '').toLowerCase());
  return { types: types.length ? types : [...ALL_EVENT_ROOTS], recent, follow };
}

/** Answer GET /events (the HTTP layer has authenticated the request). */
export function serveEventStream(req: IncomingMessage, res: ServerResponse, hub: EventHub): void {
  const url = req.url ?? '';
  const qi = url.indexOf('?');
  const parsed = parseStreamQuery(qi < 0 ? '' : url.slice(qi + 1));
  if (typeof parsed === 'string') {
    const body = Buffer.from(parsed + '\n');
    res.writeHead(400, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'X-Accel-Buffering': 'no', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const write = (e: SupervisorEvent): void => {
    res.write(JSON.stringify(eventLine(e)) + '\n');
  };
  for (const e of hub.recent(parsed.types, parsed.recent)) write(e);
  if (!parsed.follow) {
    res.end();
    return;
  }
  let done = false;
  const off = hub.follow({
    types: parsed.types,
    deliver: (e) => {
      if (done) return;
      if (res.writableLength > MAX_PENDING) {
        done = true;
        off();
        res.end('{"overflow":true}\n');
        return;
      }
      write(e);
    },
    closed: () => {
      done = true;
      if (!res.writableEnded) res.end();
    },
  });
  res.on('close', () => {
    done = true;
    off();
  });
}
