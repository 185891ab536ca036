// How Supervisor's Python code treats the XML-RPC values it is handed:
// int() on offsets and signals, truthiness of `wait`, str() of a value that
// ends up in a fault string. Supervisor never checks types itself, so these
// are what a client sees when it sends something odd.
import { XmlRpcDateTime, XmlRpcNone, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc';
import { pyRepr as pyReprStr } from '../config/pyformat';

/** A value Python would reject with TypeError/ValueError: the dispatcher answers INCORRECT_PARAMETERS. */
export class ArgumentTypeError extends Error {
  override name = 'ArgumentTypeError';
}

export function isStruct(v: XmlRpcValue): v is XmlRpcStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof XmlRpcDateTime) && !(v instanceof XmlRpcNone);
}

/** Supervisor's server decodes base64 parameters to str; accept them wherever a string is. */
export function asText(v: XmlRpcValue): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return null;
}

const INT_LITERAL = /^\s*[+-]?\d+(_\d+)*\s*$/;

/** Python's int(v). */
export function pyInt(v: XmlRpcValue, what: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ArgumentTypeError(`${what}: cannot convert ${v} to an integer`);
    return Math.trunc(v);
  }
  const s = asText(v);
  if (s !== null && INT_LITERAL.test(s)) return Number(s.replace(/_/g, ''));
  throw new ArgumentTypeError(`${what} must be an integer, not ${pyRepr(v)}`);
}

/** Python's truthiness. */
export function pyTruth(v: XmlRpcValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof Uint8Array) return v.byteLength > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof XmlRpcDateTime) return true;
  if (v instanceof XmlRpcNone) return false;
  return Object.keys(v).length > 0;
}

export function pyTypeName(v: XmlRpcValue): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string' || v instanceof Uint8Array) return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof XmlRpcDateTime) return 'datetime.datetime';
  if (v instanceof XmlRpcNone) return 'NoneType';
  return 'dict';
}

function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const a = Math.abs(n);
  // repr() switches to exponent form outside [1e-4, 1e16), with at least two exponent digits
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

function dateText(d: XmlRpcDateTime): string {
  const v = d.value;
  return `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)} ${v.slice(9)}`;
}

/** Python's repr() of the value Supervisor's server would have built. */
export function pyRepr(v: XmlRpcValue): string {
  if (typeof v === 'string') return pyReprStr(v);
  if (v instanceof Uint8Array) return pyReprStr(asText(v) as string);
  if (v instanceof XmlRpcDateTime) {
    const x = v.value;
    const n = (a: number, b: number): number => Number(x.slice(a, b));
    return `datetime.datetime(${[n(0, 4), n(4, 6), n(6, 8), n(9, 11), n(12, 14), n(15, 17)].join(', ').replace(/(, 0)+$/, '')})`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof XmlRpcNone) return 'None';
  if (typeof v === 'object') return `{${Object.keys(v).map((k) => `${pyReprStr(k)}: ${pyRepr(v[k] as XmlRpcValue)}`).join(', ')}}`;
  return pyStr(v);
}

/** Python's str() of the value. */
export function pyStr(v: XmlRpcValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return asText(v) as string;
  if (v instanceof XmlRpcDateTime) return dateText(v);
  return pyRepr(v);
}

/** What RPCError(code, v) appends to its text: nothing for None (`BAD_NAME`), else `: str(v)`. */
export function faultDetail(v: XmlRpcValue): string | null {
  return v instanceof XmlRpcNone ? null : pyStr(v);
}
