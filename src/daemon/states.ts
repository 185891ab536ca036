// Supervisor's state codes (states.py). The numbers are part of the RPC API.

export enum ProcessState {
  STOPPED = 0,
  STARTING = 10,
  RUNNING = 20,
  BACKOFF = 30,
  STOPPING = 40,
  EXITED = 100,
  FATAL = 200,
  UNKNOWN = 1000,
}

export enum SupervisorState {
  FATAL = 2,
  RUNNING = 1,
  RESTARTING = 0,
  SHUTDOWN = -1,
}

export type ProcessStateName = keyof typeof ProcessState;
export type SupervisorStateName = keyof typeof SupervisorState;

export const STOPPED_STATES: ReadonlySet<ProcessState> = new Set([
  ProcessState.STOPPED,
  ProcessState.EXITED,
  ProcessState.FATAL,
  ProcessState.UNKNOWN,
]);
export const RUNNING_STATES: ReadonlySet<ProcessState> = new Set([
  ProcessState.RUNNING,
  ProcessState.BACKOFF,
  ProcessState.STARTING,
]);
export const SIGNALLABLE_STATES: ReadonlySet<ProcessState> = new Set([
  ProcessState.RUNNING,
  ProcessState.STARTING,
  ProcessState.STOPPING,
]);

export function processStateName(s: ProcessState): ProcessStateName {
  return ProcessState[s] as ProcessStateName;
}

export function supervisorStateName(s: SupervisorState): SupervisorStateName {
  return SupervisorState[s] as SupervisorStateName;
}
