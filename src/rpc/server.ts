// The XML-RPC dispatcher: Supervisor's `supervisor` and `system` namespaces
// over the engine's API, with Supervisor's method-name rules (exactly
// `namespace.method`, no leading `_`), argument-count faults, fault strings,
// deferred answers (the engine's Promises: they settle on state changes,
// never by polling) and multicall, where a call that waits holds back the
// calls after it.
//
// Supervisor never checks argument types; a value Python cannot use either
// works by accident (int('5')), gives a fault, or fails the request with HTTP
// 500. tsv follows the first two and answers INCORRECT_PARAMETERS instead of
// the 500 (docs/differences.md).
import type { EngineApi } from '../daemon/api';
import { Faults, SupervisorFault, type FaultName } from '../daemon/faults';
import { SupervisorState } from '../daemon/states';
import { Level } from '../log/levels';
import { pyStrCompare } from '../config/ini';
import type { MainLogger } from '../log/mainlog';
import { ALIASES, helpText, methodDoc, signatureFromHelp, type MethodDoc } from './methods';
import { ArgumentTypeError, asText, faultDetail, isStruct, pyInt, pyStr, pyTruth, pyTypeName } from './pyvalues';
import { encodeFault, encodeMethodResponse, INT32_MAX, INT32_MIN, PY_NONE, type TextMode, type XmlRpcValue } from './xmlrpc';

export type RpcOutcome =
  | { kind: 'result'; value: XmlRpcValue }
  | { kind: 'fault'; code: number; text: string }
  /** not a fault: an unexpected failure (Supervisor answers HTTP 500) */
  | { kind: 'error'; error: Error };

/** `gone`: aborted when the client that asked has gone (a waiting stop then stops reporting) */
type Impl = (args: XmlRpcValue[], gone?: AbortSignal) => XmlRpcValue | Promise<XmlRpcValue>;

interface Method {
  min: number;
  max: number;
  impl: Impl;
  /** the method raises SHUTDOWN_STATE before anything else (Supervisor's _update) */
  checksMood: boolean;
}

const fault = (name: FaultName, detail?: string | null): RpcOutcome => {
  const f = new SupervisorFault(name, detail);
  return { kind: 'fault', code: f.code, text: f.text };
};

const text = (buf: Buffer): string => buf.toString('utf8');

/**
 * An answer V8 cannot hold as one string (~512 MiB: a log read whole, its
 * text escaped): supervisord sends it; tsv answers this fault, not a 500.
 */
const TOO_LARGE = 'the answer is larger than tsv can send at once (512 MiB of text): read the log in parts, with an offset and a length';

export function tooLarge(e: unknown): boolean {
  return (e instanceof RangeError && e.message === 'Invalid string length') || (e as NodeJS.ErrnoException | null)?.code === 'ERR_STRING_TOO_LONG';
}

/**
 * The text a multicall's answers may hold before the entries after them are
 * refused unrun: 20 log reads of 12 MB in a 6 KB request held 1.2 GB while
 * they were encoded (supervisord has no limit; its own copies of the same
 * answer grow as large).
 */
const MULTICALL_TEXT_MAX = 64 * 1024 * 1024;

/** Characters of text in a value (what its answer's size is made of). */
function textSize(v: XmlRpcValue): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + textSize(x), 0);
  if (isStruct(v)) return Object.keys(v).reduce((n, k) => n + k.length + textSize(v[k] as XmlRpcValue), 0);
  return 0;
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as Promise<T>)?.then === 'function';

/** A name Supervisor looks up in a dict: other scalars are simply not found (BAD_NAME), containers are unhashable (TypeError). */
function groupName(v: XmlRpcValue, unhashableIsBadName = false): string {
  const s = asText(v);
  if (s !== null) return s;
  if (Array.isArray(v) || isStruct(v)) {
    if (!unhashableIsBadName) throw new ArgumentTypeError(`unhashable type: '${pyTypeName(v)}'`);
  }
  throw new SupervisorFault('BAD_NAME', faultDetail(v));
}

function namespec(v: XmlRpcValue): string {
  const s = asText(v);
  if (s === null) throw new ArgumentTypeError(`'${pyTypeName(v)}' object has no attribute 'split'`);
  return s;
}

/** int(v) when the method gets to it (after its name and file are found). */
const intLater = (v: XmlRpcValue | undefined, what: string) => (): number => pyInt(v as XmlRpcValue, what);

function signalArg(v: XmlRpcValue): string | number {
  const s = asText(v);
  if (s !== null) return s;
  if (typeof v === 'number' || typeof v === 'boolean') return pyInt(v, 'signal');
  throw new ArgumentTypeError(`'${pyTypeName(v)}' object has no attribute 'strip'`);
}

/** Integers outside int32 cannot be marshalled; Supervisor caps timestamps, tsv caps every integer. */
function capInts(v: XmlRpcValue): XmlRpcValue {
  if (typeof v === 'number') return Number.isInteger(v) ? Math.max(INT32_MIN, Math.min(INT32_MAX, v)) : v;
  if (Array.isArray(v)) return v.map(capInts);
  if (isStruct(v)) {
    const out: Record<string, XmlRpcValue> = {};
    for (const k of Object.keys(v)) out[k] = capInts(v[k] as XmlRpcValue);
    return out;
  }
  return v;
}

/** The HTTP body for a result or fault (an 'error' outcome has none: HTTP 500). */
export function encodeOutcome(o: RpcOutcome, mode: TextMode): string {
  if (o.kind === 'fault') return encodeFault(o.code, o.text, mode);
  if (o.kind === 'error') throw o.error;
  try {
    return encodeMethodResponse(o.value, mode);
  } catch (e) {
    if (tooLarge(e)) return encodeFault(Faults.FAILED, `FAILED: ${TOO_LARGE}`, mode);
    if (e instanceof RangeError) return encodeMethodResponse(capInts(o.value), mode);
    throw e;
  }
}

/** A multicall entry's answer: its value, or its fault as a struct. */
function entryAnswer(o: RpcOutcome): XmlRpcValue {
  if (o.kind === 'result') return o.value;
  if (o.kind === 'fault') return { faultCode: o.code, faultString: o.text };
  return { faultCode: 30, faultString: `FAILED: <class '${o.error.name}'>:${o.error.message}` };
}

export class RpcDispatcher {
  private readonly methods = new Map<string, Method>();

  private readonly names: string[];

  /**
   * `namespaces`: where the supervisor.* methods are served, as Supervisor
   * serves its main interface under the name of each [rpcinterface:NAME]
   * section that makes it (none: system.* only).
   */
  constructor(
    private readonly api: EngineApi,
    private readonly logger: MainLogger | null = null,
    namespaces: readonly string[] = ['supervisor'],
  ) {
    this.build();
    const main = [...this.methods].filter(([name]) => name.startsWith('supervisor.'));
    for (const [name] of main) this.methods.delete(name);
    for (const ns of namespaces) for (const [name, m] of main) this.methods.set(`${ns}${name.slice('supervisor'.length)}`, m);
    this.names = [...this.methods.keys()].sort(pyStrCompare);
  }

  /** Every public method name, sorted (system.listMethods). */
  listMethods(): string[] {
    return [...this.names];
  }

  /** The documentation of a served method, under Supervisor's own name for it. */
  private docOf(name: string): MethodDoc | undefined {
    if (!this.methods.has(name)) return undefined;
    return methodDoc(name.startsWith('system.') ? name : `supervisor${name.slice(name.indexOf('.'))}`);
  }

  /**
   * Call a method by name. Synchronous methods answer synchronously; the
   * waiting ones (start/stop with wait, group and all operations, multicall
   * holding one of those) answer with a Promise.
   */
  call(methodName: string, params: XmlRpcValue[], gone?: AbortSignal): RpcOutcome | Promise<RpcOutcome> {
    const tracing = this.logger !== null && this.logger.level <= Level.TRAC;
    if (tracing) this.logger?.trace(`XML-RPC method called: ${methodName}()`);
    const out = this.invoke(methodName, params, gone);
    if (tracing) {
      if (isPromise(out)) void out.then((o) => this.traceOutcome(methodName, o));
      else this.traceOutcome(methodName, out);
    }
    return out;
  }

  private traceOutcome(methodName: string, o: RpcOutcome): void {
    if (o.kind === 'result') this.logger?.trace(`XML-RPC method ${methodName}() returned successfully`);
    else if (o.kind === 'fault') this.logger?.trace(`XML-RPC method ${methodName}() returned fault: [${o.code}] ${o.text}`);
  }

  private lookup(methodName: string): Method | null {
    // CVE-2017-11610: exactly two dotted parts, and nothing private
    const parts = methodName.split('.');
    if (parts.length !== 2 || (parts[1] as string).startsWith('_')) return null;
    return this.methods.get(methodName) ?? null;
  }

  private invoke(methodName: string, params: XmlRpcValue[], gone?: AbortSignal): RpcOutcome | Promise<RpcOutcome> {
    const m = this.lookup(methodName);
    if (!m) return fault('UNKNOWN_METHOD');
    if (params.length < m.min || params.length > m.max) return fault('INCORRECT_PARAMETERS');
    let value: XmlRpcValue | Promise<XmlRpcValue>;
    try {
      value = m.impl(params, gone);
    } catch (e) {
      return this.failure(e, m);
    }
    if (!isPromise(value)) return { kind: 'result', value };
    return value.then(
      (v): RpcOutcome => ({ kind: 'result', value: v }),
      (e: unknown): RpcOutcome => this.failure(e, m),
    );
  }

  private failure(e: unknown, m: Method): RpcOutcome {
    if (e instanceof SupervisorFault) return { kind: 'fault', code: e.code, text: e.text };
    if (tooLarge(e)) return fault('FAILED', TOO_LARGE);
    if (e instanceof ArgumentTypeError) {
      // Python's _update runs before the argument is touched
      if (m.checksMood && this.api.engine.mood < SupervisorState.RUNNING) return fault('SHUTDOWN_STATE');
      return fault('INCORRECT_PARAMETERS');
    }
    return { kind: 'error', error: e instanceof Error ? e : new Error(String(e)) };
  }

  // ---------------------------------------------------------------- system

  private methodHelp(name: XmlRpcValue): string {
    const n = asText(name);
    const doc = n === null ? undefined : this.docOf(n);
    if (!doc) throw new SupervisorFault('SIGNATURE_UNSUPPORTED');
    return helpText(doc);
  }

  private methodSignature(name: XmlRpcValue): string[] {
    const sig = signatureFromHelp(this.methodHelp(name));
    if (!sig) throw new SupervisorFault('SIGNATURE_UNSUPPORTED');
    return sig;
  }

  private multicall(calls: XmlRpcValue, gone?: AbortSignal): XmlRpcValue | Promise<XmlRpcValue> {
    if (!Array.isArray(calls)) throw new ArgumentTypeError('calls must be an array');
    // Supervisor fails half-way through (HTTP 500) on an entry that is not a struct; refuse them all up front
    if (!calls.every(isStruct)) throw new ArgumentTypeError('each call must be a struct');
    const results: XmlRpcValue[] = [];
    let size = 0;
    const run = (from: number): XmlRpcValue | Promise<XmlRpcValue> => {
      for (let i = from; i < calls.length; i++) {
        if (size > MULTICALL_TEXT_MAX) {
          results.push(entryAnswer(fault('FAILED', `not run: the answers before it in this system.multicall hold over ${MULTICALL_TEXT_MAX >> 20} MiB of text; call it again on its own`)));
          continue;
        }
        const out = this.oneOfMany(calls[i] as Record<string, XmlRpcValue>, gone);
        if (isPromise(out)) {
          // a deferred call holds back the ones after it; a client that has gone takes the rest with it, as in Supervisor
          return out.then((o) => {
            results.push(o);
            size += textSize(o);
            return gone?.aborted ? results : run(i + 1);
          });
        }
        results.push(out);
        size += textSize(out);
      }
      return results;
    };
    return run(0);
  }

  private oneOfMany(call: Record<string, XmlRpcValue>, gone?: AbortSignal): XmlRpcValue | Promise<XmlRpcValue> {
    const rawName = Object.hasOwn(call, 'methodName') ? call.methodName : undefined;
    if (rawName === undefined || rawName === PY_NONE) return entryAnswer(fault('INCORRECT_PARAMETERS', 'No methodName'));
    const name = asText(rawName);
    if (name === 'system.multicall') return entryAnswer(fault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden'));
    if (name === null) {
      return entryAnswer(fault('FAILED', `<class 'AttributeError'>:'${pyTypeName(rawName)}' object has no attribute 'split'`));
    }
    const raw = Object.hasOwn(call, 'params') ? (call.params as XmlRpcValue) : [];
    let params: XmlRpcValue[];
    // Python calls func(*params): any iterable spreads
    if (Array.isArray(raw)) params = raw;
    else if (asText(raw) !== null) params = [...(asText(raw) as string)];
    else if (isStruct(raw)) params = Object.keys(raw);
    else {
      const m = this.lookup(name);
      return entryAnswer(m ? fault('INCORRECT_PARAMETERS') : fault('UNKNOWN_METHOD'));
    }
    // Supervisor traverses directly: no trace lines for the inner calls
    const out = this.invoke(name, params, gone);
    return isPromise(out) ? out.then(entryAnswer) : entryAnswer(out);
  }

  // --------------------------------------------------------------- table

  private def(name: string, impl: Impl, checksMood = true): void {
    const doc = methodDoc(name);
    if (!doc) throw new Error(`no documentation for ${name}`);
    const m: Method = { min: doc.params.length - doc.optional, max: doc.params.length, impl, checksMood };
    this.methods.set(name, m);
  }

  private build(): void {
    const api = this.api;
    const wait = (args: XmlRpcValue[], i: number): boolean => (args.length > i ? pyTruth(args[i] as XmlRpcValue) : true);
    const results = (p: Promise<unknown>): Promise<XmlRpcValue> => p as Promise<XmlRpcValue>;

    this.def('supervisor.getAPIVersion', () => api.getAPIVersion());
    this.def('supervisor.getSupervisorVersion', () => api.getSupervisorVersion());
    this.def('supervisor.getIdentification', () => api.getIdentification());
    this.def('supervisor.getState', () => api.getState());
    this.def('supervisor.getPID', () => api.getPID());
    this.def('supervisor.readLog', ([offset, length]) => {
      return text(api.readLog(intLater(offset, 'offset'), intLater(length, 'length')));
    });
    this.def('supervisor.clearLog', () => api.clearLog());
    this.def('supervisor.shutdown', () => api.shutdown());
    this.def('supervisor.restart', () => api.restart());
    this.def('supervisor.reloadConfig', () => api.reloadConfig());
    this.def('supervisor.addProcessGroup', ([name]) => {
      api.assertRunning();
      return api.addProcessGroup(groupName(name as XmlRpcValue, true));
    });
    this.def('supervisor.removeProcessGroup', ([name]) => {
      api.assertRunning();
      return api.removeProcessGroup(groupName(name as XmlRpcValue));
    });

    this.def('supervisor.startProcess', (args) => results(api.startProcess(namespec(args[0] as XmlRpcValue), wait(args, 1))));
    this.def('supervisor.startProcessGroup', (args) => {
      api.assertRunning();
      return results(api.startProcessGroup(groupName(args[0] as XmlRpcValue), wait(args, 1)));
    });
    this.def('supervisor.startAllProcesses', (args) => results(api.startAllProcesses(wait(args, 0))));
    this.def('supervisor.stopProcess', (args, gone) => results(api.stopProcess(namespec(args[0] as XmlRpcValue), wait(args, 1), gone)));
    this.def('supervisor.stopProcessGroup', (args, gone) => {
      api.assertRunning();
      return results(api.stopProcessGroup(groupName(args[0] as XmlRpcValue), wait(args, 1), gone));
    });
    this.def('supervisor.stopAllProcesses', (args, gone) => results(api.stopAllProcesses(wait(args, 0), gone)));
    this.def('supervisor.signalProcess', ([name, sig]) => {
      api.assertRunning();
      const spec = namespec(name as XmlRpcValue);
      return api.signalProcess(spec, () => signalArg(sig as XmlRpcValue));
    });
    // Supervisor looks the group up before its mood check here, and checks the mood again after signalling
    this.def('supervisor.signalProcessGroup', ([name, sig]) => api.signalProcessGroup(groupName(name as XmlRpcValue), () => signalArg(sig as XmlRpcValue)), false);
    this.def('supervisor.signalAllProcesses', ([sig]) => api.signalAllProcesses(() => signalArg(sig as XmlRpcValue)), false);

    this.def('supervisor.getAllConfigInfo', () => api.getAllConfigInfo() as XmlRpcValue[]);
    this.def('supervisor.getProcessInfo', ([name]) => {
      api.assertRunning();
      return api.getProcessInfo(namespec(name as XmlRpcValue));
    });
    this.def('supervisor.getAllProcessInfo', () => api.getAllProcessInfo());

    for (const channel of ['stdout', 'stderr'] as const) {
      const cap = channel === 'stdout' ? 'Stdout' : 'Stderr';
      this.def(`supervisor.readProcess${cap}Log`, ([name, offset, length]) => {
        api.assertRunning();
        const spec = namespec(name as XmlRpcValue);
        return text(api.readProcessLog(spec, channel, intLater(offset, 'offset'), intLater(length, 'length')));
      });
      this.def(`supervisor.tailProcess${cap}Log`, ([name, offset, length]) => {
        api.assertRunning();
        const spec = namespec(name as XmlRpcValue);
        const t = api.tailProcessLog(spec, channel, intLater(offset, 'offset'), intLater(length, 'length'));
        return [text(t.data), t.offset, t.overflow];
      });
    }
    this.def('supervisor.clearProcessLogs', ([name]) => {
      api.assertRunning();
      return api.clearProcessLogs(namespec(name as XmlRpcValue));
    });
    this.def('supervisor.clearAllProcessLogs', () => results(api.clearAllProcessLogs()));
    this.def('supervisor.sendProcessStdin', ([name, chars]) => {
      api.assertRunning();
      const c = chars as XmlRpcValue;
      if (typeof c !== 'string' && !(c instanceof Uint8Array)) throw new SupervisorFault('INCORRECT_PARAMETERS', faultDetail(c));
      const data = typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      return api.sendProcessStdin(namespec(name as XmlRpcValue), data);
    });
    this.def('supervisor.sendRemoteCommEvent', ([type, data]) => api.sendRemoteCommEvent(pyStr(type as XmlRpcValue), pyStr(data as XmlRpcValue)), false);

    for (const [alias, target] of Object.entries(ALIASES)) {
      const m = this.methods.get(target);
      if (m) this.methods.set(alias, m);
    }

    this.def('system.listMethods', () => this.listMethods(), false);
    this.def('system.methodHelp', ([name]) => this.methodHelp(name as XmlRpcValue), false);
    this.def('system.methodSignature', ([name]) => this.methodSignature(name as XmlRpcValue), false);
    this.def('system.multicall', ([calls], gone) => this.multicall(calls as XmlRpcValue, gone), false);
  }
}
