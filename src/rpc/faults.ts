// Supervisor's XML-RPC fault codes (supervisor/xmlrpc.py `Faults`). A fault's
// string is the code's name, optionally followed by ": <detail>".
export const Faults = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;

export type FaultName = keyof typeof Faults;

/** The name of a fault code as Supervisor spells it, 'UNKNOWN' for others. */
export function faultName(code: number): string {
  for (const [name, value] of Object.entries(Faults)) if (value === code) return name;
  return 'UNKNOWN';
}

/** The faultString Supervisor sends: `NAME` or `NAME: detail`. */
export function faultString(code: number, detail?: string): string {
  const name = faultName(code);
  return detail === undefined ? name : `${name}: ${detail}`;
}
