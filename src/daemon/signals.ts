// Signal names and wait statuses as Supervisor prints them (options.signame,
// options.decode_wait_status).
import { signalName } from '../config/datatypes';

/** "SIGTERM", or "signal N" for numbers without a name. */
export function signame(sig: number): string {
  const n = signalName(sig);
  // Linux's signal 29 has two names; Supervisor's table keeps the one Python lists last
  if (n === 'IO' && process.platform === 'linux') return 'SIGPOLL';
  return /^\d+$/.test(n) ? `signal ${sig}` : `SIG${n}`;
}

export interface WaitStatus {
  /** exit code, or -1 when killed by a signal */
  exitstatus: number;
  /** "exit status N" / "terminated by SIGTERM (core dumped)" */
  message: string;
  signal: number | null;
}

export function decodeWaitStatus(sts: number): WaitStatus {
  const termsig = sts & 0x7f;
  if (termsig === 0) {
    const es = (sts >> 8) & 0xff;
    return { exitstatus: es, message: `exit status ${es}`, signal: null };
  }
  if (termsig !== 0x7f) {
    let message = `terminated by ${signame(termsig)}`;
    if (sts & 0x80) message += ' (core dumped)';
    return { exitstatus: -1, message, signal: termsig };
  }
  return { exitstatus: -1, message: `unknown termination cause 0x${sts.toString(16).padStart(4, '0')}`, signal: null };
}
