// Events as Supervisor builds them (events.py): each one a type name and the
// payload text its payload() method returns, rendered when the event happens
// (Supervisor snapshots pid, tries and from_state the same way).
import type { ProcessHealth, ProcessMemoryRestart } from '../daemon/events';
import { overLimitText } from '../daemon/memory-limit';
import type { ConcreteEventName } from './types';
import { outputText } from '../log/output-text';

export interface SupervisorEvent {
  readonly name: ConcreteEventName;
  readonly payload: string;
  /** wall-clock seconds when the event happened (tsv events shows it) */
  readonly time: number;
  /** GlobalSerial: given by the first pool that accepts the event, null until then */
  serial: number | null;
  /** per-pool serials, given when each pool first accepts the event */
  poolSerials: Map<string, number> | null;
  /** the envelope's len (characters of the payload), computed on first dispatch */
  chars?: number;
}

export function makeEvent(name: ConcreteEventName, payload: string, time = Date.now() / 1000): SupervisorEvent {
  return { name, payload, time, serial: null, poolSerials: null };
}

const STATE_EVENT: Record<string, ConcreteEventName> = {
  STOPPED: 'PROCESS_STATE_STOPPED',
  EXITED: 'PROCESS_STATE_EXITED',
  STARTING: 'PROCESS_STATE_STARTING',
  STOPPING: 'PROCESS_STATE_STOPPING',
  BACKOFF: 'PROCESS_STATE_BACKOFF',
  FATAL: 'PROCESS_STATE_FATAL',
  RUNNING: 'PROCESS_STATE_RUNNING',
  UNKNOWN: 'PROCESS_STATE_UNKNOWN',
};

export interface StateChangeFacts {
  name: string;
  group: string;
  /** state names, as getProcessStateDescription gives them */
  from: string;
  to: string;
  pid: number;
  tries: number;
  expected: boolean;
}

/** ProcessStateEvent.payload() with each subclass's extra values. */
export function processStateEvent(s: StateChangeFacts, time?: number): SupervisorEvent | null {
  const name = STATE_EVENT[s.to];
  if (!name) return null;
  let text = `processname:${s.name} groupname:${s.group} from_state:${s.from}`;
  switch (s.to) {
    case 'STARTING':
    case 'BACKOFF':
      text += ` tries:${s.tries}`;
      break;
    case 'EXITED':
      text += ` expected:${s.expected ? 1 : 0} pid:${s.pid}`;
      break;
    case 'RUNNING':
    case 'STOPPING':
    case 'STOPPED':
      text += ` pid:${s.pid}`;
      break;
  }
  return makeEvent(name, text, time);
}

/** ProcessLogEvent.payload() */
export function processLogEvent(name: string, group: string, pid: number, channel: 'stdout' | 'stderr', data: Uint8Array): SupervisorEvent {
  return makeEvent(
    channel === 'stdout' ? 'PROCESS_LOG_STDOUT' : 'PROCESS_LOG_STDERR',
    `processname:${name} groupname:${group} pid:${pid} channel:${channel}\n${outputText(data)}`,
  );
}

/** ProcessCommunicationEvent.payload() */
export function processCommunicationEvent(name: string, group: string, pid: number, channel: 'stdout' | 'stderr', data: Uint8Array): SupervisorEvent {
  return makeEvent(
    channel === 'stdout' ? 'PROCESS_COMMUNICATION_STDOUT' : 'PROCESS_COMMUNICATION_STDERR',
    `processname:${name} groupname:${group} pid:${pid}\n${outputText(data)}`,
  );
}

/** RemoteCommunicationEvent.payload() */
export function remoteCommunicationEvent(type: string, data: string): SupervisorEvent {
  return makeEvent('REMOTE_COMMUNICATION', `type:${type}\n${data}`);
}

/** SupervisorStateChangeEvent.payload() is empty */
export function supervisorStateEvent(state: 'RUNNING' | 'STOPPING'): SupervisorEvent {
  return makeEvent(state === 'RUNNING' ? 'SUPERVISOR_STATE_CHANGE_RUNNING' : 'SUPERVISOR_STATE_CHANGE_STOPPING', '');
}

/** ProcessGroupEvent.payload(), trailing newline included */
export function processGroupEvent(kind: 'added' | 'removed', group: string): SupervisorEvent {
  return makeEvent(kind === 'added' ? 'PROCESS_GROUP_ADDED' : 'PROCESS_GROUP_REMOVED', `groupname:${group}\n`);
}

/** TickEvent.payload(); `when` is the start of the period's time slice */
export function tickEvent(name: 'TICK_5' | 'TICK_60' | 'TICK_3600', when: number): SupervisorEvent {
  return makeEvent(name, `when:${when}`);
}

/**
 * tsv's PROCESS_HEALTH_* (healthcheck=): Supervisor's header line (key:value
 * words, as childutils.eventdata splits them), then what the look saw, which
 * may hold spaces, as the data.
 */
export function processHealthEvent(h: ProcessHealth): SupervisorEvent {
  return makeEvent(
    h.ok ? 'PROCESS_HEALTH_HEALTHY' : 'PROCESS_HEALTH_UNHEALTHY',
    `processname:${h.name} groupname:${h.group} pid:${h.pid} failures:${h.failures} retries:${h.retries}\n${h.detail}`,
  );
}

/**
 * tsv's PROCESS_MEMORY_RESTART (max_memory_restart=): Supervisor's header
 * line with the bytes held and the limit, then the main log's words as the data.
 */
export function processMemoryRestartEvent(e: ProcessMemoryRestart): SupervisorEvent {
  return makeEvent(
    'PROCESS_MEMORY_RESTART',
    `processname:${e.name} groupname:${e.group} pid:${e.pid} used:${e.used} limit:${e.limit}\n${overLimitText(e)}`,
  );
}

/** childutils.eventdata / get_headers: the first line's key:value pairs, and the rest. */
export function splitPayload(payload: string): { headers: Record<string, string>; data: string } {
  const nl = payload.indexOf('\n');
  const line = nl < 0 ? payload : payload.slice(0, nl);
  const data = nl < 0 ? '' : payload.slice(nl + 1);
  const headers: Record<string, string> = {};
  for (const word of line.split(/\s+/)) {
    if (!word) continue;
    const c = word.indexOf(':');
    if (c < 0) headers[word] = '';
    else headers[word.slice(0, c)] = word.slice(c + 1);
  }
  return { headers, data };
}
