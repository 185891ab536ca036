// Supervisor's event types (events.py EventTypes): the concrete types an
// event can have, the abstract parents a listener may subscribe to, and the
// subscription test Supervisor does with isinstance().
import type { EventTypeName } from '../config/model';

/** The types an event is actually emitted with (never an abstract parent). */
export type ConcreteEventName =
  | 'PROCESS_STATE_STOPPED'
  | 'PROCESS_STATE_EXITED'
  | 'PROCESS_STATE_STARTING'
  | 'PROCESS_STATE_STOPPING'
  | 'PROCESS_STATE_BACKOFF'
  | 'PROCESS_STATE_FATAL'
  | 'PROCESS_STATE_RUNNING'
  | 'PROCESS_STATE_UNKNOWN'
  | 'PROCESS_COMMUNICATION_STDOUT'
  | 'PROCESS_COMMUNICATION_STDERR'
  | 'PROCESS_LOG_STDOUT'
  | 'PROCESS_LOG_STDERR'
  | 'REMOTE_COMMUNICATION'
  | 'SUPERVISOR_STATE_CHANGE_RUNNING'
  | 'SUPERVISOR_STATE_CHANGE_STOPPING'
  | 'TICK_5'
  | 'TICK_60'
  | 'TICK_3600'
  | 'PROCESS_GROUP_ADDED'
  | 'PROCESS_GROUP_REMOVED'
  | 'PROCESS_HEALTH_HEALTHY'
  | 'PROCESS_HEALTH_UNHEALTHY'
  | 'PROCESS_MEMORY_RESTART';


/** Each type's parent in Supervisor's class hierarchy (EVENT is the root), and tsv's types, in roots of their own. */
const PARENT: Record<EventTypeName, EventTypeName | null> = {
  EVENT: null,
  PROCESS_STATE: 'EVENT',
  PROCESS_STATE_STOPPED: 'PROCESS_STATE',
  PROCESS_STATE_EXITED: 'PROCESS_STATE',
  PROCESS_STATE_STARTING: 'PROCESS_STATE',
  PROCESS_STATE_STOPPING: 'PROCESS_STATE',
  PROCESS_STATE_BACKOFF: 'PROCESS_STATE',
  PROCESS_STATE_FATAL: 'PROCESS_STATE',
  PROCESS_STATE_RUNNING: 'PROCESS_STATE',
  PROCESS_STATE_UNKNOWN: 'PROCESS_STATE',
  PROCESS_COMMUNICATION: 'EVENT',
  PROCESS_COMMUNICATION_STDOUT: 'PROCESS_COMMUNICATION',
  PROCESS_COMMUNICATION_STDERR: 'PROCESS_COMMUNICATION',
  PROCESS_LOG: 'EVENT',
  PROCESS_LOG_STDOUT: 'PROCESS_LOG',
  PROCESS_LOG_STDERR: 'PROCESS_LOG',
  REMOTE_COMMUNICATION: 'EVENT',
  SUPERVISOR_STATE_CHANGE: 'EVENT',
  SUPERVISOR_STATE_CHANGE_RUNNING: 'SUPERVISOR_STATE_CHANGE',
  SUPERVISOR_STATE_CHANGE_STOPPING: 'SUPERVISOR_STATE_CHANGE',
  TICK: 'EVENT',
  TICK_5: 'TICK',
  TICK_60: 'TICK',
  TICK_3600: 'TICK',
  PROCESS_GROUP: 'EVENT',
  PROCESS_GROUP_ADDED: 'PROCESS_GROUP',
  PROCESS_GROUP_REMOVED: 'PROCESS_GROUP',
  PROCESS_HEALTH: null,
  PROCESS_HEALTH_HEALTHY: 'PROCESS_HEALTH',
  PROCESS_HEALTH_UNHEALTHY: 'PROCESS_HEALTH',
  PROCESS_MEMORY_RESTART: null,
};

/** Every event type's name. */
export const EVENT_NAMES: readonly EventTypeName[] = Object.keys(PARENT) as EventTypeName[];

/** What `tsv events` shows when no type is named: Supervisor's every event, and tsv's own. */
export const ALL_EVENT_ROOTS: readonly EventTypeName[] = (Object.keys(PARENT) as EventTypeName[]).filter((n) => PARENT[n] === null);

export function isEventName(s: string): s is EventTypeName {
  return Object.prototype.hasOwnProperty.call(PARENT, s);
}

/** isinstance(event, subscribed): the event's type is `subscribed` or descends from it. */
export function isA(type: EventTypeName, subscribed: EventTypeName): boolean {
  for (let t: EventTypeName | null = type; t !== null; t = PARENT[t]) if (t === subscribed) return true;
  return false;
}

/** How many of `subscriptions` an event of `type` matches (Supervisor delivers it once per match). */
export function matchCount(type: EventTypeName, subscriptions: readonly EventTypeName[]): number {
  let n = 0;
  for (const s of subscriptions) if (isA(type, s)) n++;
  return n;
}

/** Whether any of `subscriptions` would take some event of the family `family` (e.g. TICK, PROCESS_LOG). */
export function wantsFamily(subscriptions: Iterable<EventTypeName>, family: EventTypeName): boolean {
  for (const s of subscriptions) if (isA(s, family) || isA(family, s)) return true;
  return false;
}

/** The TICK_* types, their periods in seconds, in the order Supervisor checks them. */
export const TICKS: readonly { name: 'TICK_5' | 'TICK_60' | 'TICK_3600'; period: number }[] = [
  { name: 'TICK_5', period: 5 },
  { name: 'TICK_60', period: 60 },
  { name: 'TICK_3600', period: 3600 },
];

/** Listener states (states.py EventListenerStates); the numbers are Supervisor's. */
export enum ListenerState {
  READY = 10,
  BUSY = 20,
  ACKNOWLEDGED = 30,
  UNKNOWN = 40,
}

export function listenerStateName(s: ListenerState): keyof typeof ListenerState {
  return ListenerState[s] as keyof typeof ListenerState;
}
