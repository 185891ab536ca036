// Supervisor's XML-RPC fault codes (xmlrpc.Faults). The engine throws
// SupervisorFault; the RPC layer turns it into <fault> with faultCode = code
// and faultString = text ("NAME" or "NAME: detail").

// One table for the whole program: the wire protocol's (src/rpc/faults.ts).
import { Faults, type FaultName } from '../rpc/faults';

export { Faults, type FaultName };

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

/** One entry of a group/all operation's result array (Supervisor's result struct; a type, so that it is an XML-RPC struct to the compiler). */
export type ProcessResult = {
  name: string;
  group: string;
  status: number;
  description: string;
};
