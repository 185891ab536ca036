// The status page's buttons and links (index.html?action=…): each runs the
// same XML-RPC methods Supervisor's web UI runs, through tsv's dispatcher,
// waits as they wait (a start until the program is RUNNING), and ends in the
// flash message Supervisor shows, word for word.
import { splitNamespec } from '../config/model';
import type { EngineApi } from '../daemon/api';
import { Faults } from '../daemon/faults';
import type { RpcDispatcher, RpcOutcome } from '../rpc/server';
import { ctime } from './form';

/** Supervisor answers 500 for these (its view raises ValueError(action)). */
export class UnknownActionError extends Error {}

type Fault = Extract<RpcOutcome, { kind: 'fault' }>;

/** A call through the dispatcher as the web pages make it: a result or a fault; anything else fails the request (500). */
export async function call(rpc: RpcDispatcher, method: string, params: Parameters<RpcDispatcher['call']>[1] = []): Promise<Exclude<RpcOutcome, { kind: 'error' }>> {
  const out = await rpc.call(method, params);
  if (out.kind === 'error') throw out.error;
  return out;
}

const unexpected = (f: Fault): string => `unexpected rpc fault [${f.code}] ${f.text}`;

function startError(f: Fault): string {
  switch (f.code) {
    case Faults.NO_FILE:
      return 'no such file';
    case Faults.NOT_EXECUTABLE:
      return 'file not executable';
    case Faults.ALREADY_STARTED:
      return 'already started';
    case Faults.SPAWN_ERROR:
      return 'spawn error';
    case Faults.ABNORMAL_TERMINATION:
      return 'abnormal termination';
    default:
      return unexpected(f);
  }
}

/**
 * Run `action` (on the process `namespec` for the per-process ones) and
 * return the page's message. Throws UnknownActionError for an action
 * Supervisor does not know, or a per-process action without a name.
 */
export async function runAction(rpc: RpcDispatcher, api: EngineApi, action: string, namespec: string | undefined): Promise<string> {
  switch (action) {
    case 'refresh':
      return `Page refreshed at ${ctime()}`;
    case 'stopall': {
      // a fault here (the daemon is shutting down) fails the request, as Supervisor's raise does
      const out = await call(rpc, 'supervisor.stopAllProcesses');
      if (out.kind === 'fault') throw new Error(unexpected(out));
      return `All stopped at ${ctime()}`;
    }
    case 'restartall':
      await call(rpc, 'system.multicall', [[{ methodName: 'supervisor.stopAllProcesses' }, { methodName: 'supervisor.startAllProcesses' }]]);
      return `All restarted at ${ctime()}`;
  }
  if (!namespec) throw new UnknownActionError(action);
  // one process only: a group name or `group:*` is not a process here; the
  // name is checked before the action, as Supervisor does
  const [group, name] = splitNamespec(namespec);
  if (name === null || !api.engine.groups.get(group)?.processes.has(name)) return `No such process named ${namespec}`;
  switch (action) {
    case 'start': {
      const out = await call(rpc, 'supervisor.startProcess', [namespec]);
      return out.kind === 'fault' ? `ERROR: Process ${namespec}: ${startError(out)}` : `Process ${namespec} started`;
    }
    case 'stop': {
      const out = await call(rpc, 'supervisor.stopProcess', [namespec]);
      return out.kind === 'fault' ? unexpected(out) : `Process ${namespec} stopped`;
    }
    case 'restart':
      // Supervisor says "restarted" whatever the stop and the start answered
      await call(rpc, 'system.multicall', [
        [
          { methodName: 'supervisor.stopProcess', params: [namespec] },
          { methodName: 'supervisor.startProcess', params: [namespec] },
        ],
      ]);
      return `Process ${namespec} restarted`;
    case 'clearlog': {
      const out = await call(rpc, 'supervisor.clearProcessLogs', [namespec]);
      return out.kind === 'fault' ? unexpected(out) : `Log for ${namespec} cleared`;
    }
  }
  throw new UnknownActionError(action);
}
