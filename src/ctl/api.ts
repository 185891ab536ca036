// Typed views of the supervisor.* results the ctl reads. A server that sends
// a different shape gets a TypeError (shown as an `error:` line), much as
// supervisorctl would fail with a KeyError.
import type { XmlRpcStruct, XmlRpcValue } from '../rpc/xmlrpc';
import { isStruct } from '../rpc/pyvalues';

// The struct the engine serves (type only: nothing of the daemon is loaded).
import type { ProcessInfo } from '../daemon/api';
import { splitNamespec } from '../config/model';
export type { ProcessInfo };

export interface ConfigInfo {
  name: string;
  group: string;
  inuse: boolean;
  autostart: boolean;
  group_prio: number;
  process_prio: number;
  [other: string]: XmlRpcValue;
}

export interface CallResult {
  name: string;
  group: string;
  status: number;
  description: string;
}

/** Process states (supervisor/states.py). */
export const ProcessStates = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
  UNKNOWN: 1000,
} as const;

export const STOPPED_STATES: ReadonlySet<number> = new Set([
  ProcessStates.STOPPED,
  ProcessStates.EXITED,
  ProcessStates.FATAL,
  ProcessStates.UNKNOWN,
]);

function struct(v: XmlRpcValue, what: string): XmlRpcStruct {
  if (!isStruct(v)) throw new TypeError(`${what}: expected a struct`);
  return v;
}

function field<T extends 'string' | 'number' | 'boolean'>(
  s: XmlRpcStruct,
  key: string,
  type: T,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  const v = s[key];
  if (typeof v !== type) throw new TypeError(`KeyError: ${JSON.stringify(key)}`);
  return v as never;
}

export function array(v: XmlRpcValue, what: string): XmlRpcValue[] {
  if (!Array.isArray(v)) throw new TypeError(`${what}: expected an array`);
  return v;
}

export function toProcessInfo(v: XmlRpcValue): ProcessInfo {
  const s = struct(v, 'process info');
  const str = (k: string): string => (typeof s[k] === 'string' ? (s[k] as string) : '');
  const num = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  return {
    name: field(s, 'name', 'string'),
    group: field(s, 'group', 'string'),
    start: num('start'),
    stop: num('stop'),
    now: num('now'),
    state: field(s, 'state', 'number'),
    statename: field(s, 'statename', 'string'),
    spawnerr: str('spawnerr'),
    exitstatus: num('exitstatus'),
    logfile: str('logfile'),
    stdout_logfile: str('stdout_logfile'),
    stderr_logfile: str('stderr_logfile'),
    pid: num('pid'),
    description: field(s, 'description', 'string'),
  };
}

export function toConfigInfo(v: XmlRpcValue): ConfigInfo {
  const s = struct(v, 'config info');
  const truthy = (x: XmlRpcValue | undefined): boolean => x !== undefined && x !== false && x !== 0 && x !== '';
  return {
    ...s,
    name: field(s, 'name', 'string'),
    group: field(s, 'group', 'string'),
    inuse: truthy(s.inuse),
    autostart: truthy(s.autostart),
    group_prio: s.group_prio as number,
    process_prio: s.process_prio as number,
  };
}

export function toCallResult(v: XmlRpcValue): CallResult {
  const s = struct(v, 'result');
  return {
    name: field(s, 'name', 'string'),
    group: field(s, 'group', 'string'),
    status: field(s, 'status', 'number'),
    description: typeof s.description === 'string' ? s.description : '',
  };
}

/** options.make_namespec */
export function makeNamespec(group: string, name: string): string {
  return group === name ? name : `${group}:${name}`;
}

/** Whether `name` (`proc`, `group:proc`, `group:*`, `group:`) names this process. */
export function namedBy(info: ProcessInfo, name: string): boolean {
  const [group, proc] = splitNamespec(name);
  return info.group === group && (proc === null || info.name === proc);
}

/** supervisorctl's words for a name no process answers to. */
export function noSuchName(name: string): string {
  const [group, proc] = splitNamespec(name);
  return proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`;
}
