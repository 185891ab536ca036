// Supervisor's XML-RPC fault codes (xmlrpc.Faults). The engine throws
// SupervisorFault; the RPC layer turns it into <fault> with faultCode = code
// and faultString = text ("NAME" or "NAME: detail").

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

export class SupervisorFault extends Error {
  readonly code: number;
  readonly faultName: FaultName;
  /** Supervisor's faultString: "NAME" or "NAME: detail". */
  readonly text: string;

  constructor(name: FaultName, detail?: string | null) {
    // RPCError(code, None) has no detail: 'NO_FILE', not 'NO_FILE: None'
    const text = detail === undefined || detail === null ? name : `${name}: ${detail}`;
    super(text);
    this.name = 'SupervisorFault';
    this.faultName = name;
    this.code = Faults[name];
    this.text = text;
  }
}

/** One entry of a group/all operation's result array (Supervisor's result struct). */
export interface ProcessResult {
  name: string;
  group: string;
  status: number;
  description: string;
}
