// The per-process result lines of start/stop/signal/clear (supervisorctl's
// _startresult, _signalresult, _stopresult, _clearresult).
import { Faults } from '../../rpc/faults';
import { makeNamespec } from '../api';
import type { CallResult } from '../api';

class UnknownResultCode extends Error {
  override name = 'ValueError';
}

function unknown(code: number, name: string): never {
  throw new UnknownResultCode(`Unknown result code ${code} for ${name}`);
}

export function startResult(r: CallResult): string {
  const name = makeNamespec(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME:
      return `${name}: ERROR (no such process)`;
    case Faults.NO_FILE:
      return `${name}: ERROR (no such file)`;
    case Faults.NOT_EXECUTABLE:
      return `${name}: ERROR (file is not executable)`;
    case Faults.ALREADY_STARTED:
      return `${name}: ERROR (already started)`;
    case Faults.SPAWN_ERROR:
      return `${name}: ERROR (spawn error)`;
    case Faults.ABNORMAL_TERMINATION:
      return `${name}: ERROR (abnormal termination)`;
    case Faults.SUCCESS:
      return `${name}: started`;
  }
  return unknown(r.status, name);
}

export function signalResult(r: CallResult, success = 'signalled'): string {
  const name = makeNamespec(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME:
      return `${name}: ERROR (no such process)`;
    case Faults.BAD_SIGNAL:
      return `${name}: ERROR (bad signal name)`;
    case Faults.NOT_RUNNING:
      return `${name}: ERROR (not running)`;
    case Faults.SUCCESS:
      return `${name}: ${success}`;
    case Faults.FAILED:
      return r.description;
  }
  return unknown(r.status, name);
}

export function stopResult(r: CallResult): string {
  return signalResult(r, 'stopped');
}

export function clearResult(r: CallResult): string {
  const name = makeNamespec(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME:
      return `${name}: ERROR (no such process)`;
    case Faults.FAILED:
      return `${name}: ERROR (failed)`;
    case Faults.SUCCESS:
      return `${name}: cleared`;
  }
  return unknown(r.status, name);
}
