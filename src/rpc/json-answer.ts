// tsv's own ctl asks a tsv daemon for its XML-RPC answers as JSON.
//
// Why: `tsv status` is a fresh process, so what it pays for is cold code. On a
// 200-process getAllProcessInfo answer the XML decoder costs ~4.5 ms there
// (and the daemon ~1 ms to encode 218 kB); JSON.parse is native and reads the
// same answer, ~50 kB, in well under a millisecond.
//
// How, without a round trip or any risk with other servers: the ctl sends
// `Accept: application/vnd.tsv.rpc+json, text/xml`. supervisord ignores
// Accept and answers XML, and so does tsv for every other client (the Python
// supervisorctl sends `Accept: text/xml` or nothing); the client reads the
// answer by its Content-Type.
//
// A JSON answer must decode to exactly the value the XML one would, so the
// daemon only answers JSON when that is certain: numbers that XML-RPC carries
// as they are (int32 integers, finite doubles), booleans, arrays, structs,
// and strings with none of the characters XML changes or refuses (CR, which
// XML turns into LF; C0 controls; surrogates; U+FFFE/U+FFFF). Anything else
// (base64, dateTime, a log with colour codes, an int that Supervisor caps)
// is answered in XML as before.
import type { RpcOutcome } from './server';
import { XmlRpcFault, XmlRpcParseError, type MethodResponse, type XmlRpcStruct, type XmlRpcValue } from './xmlrpc';

export const JSON_ANSWER_TYPE = 'application/vnd.tsv.rpc+json';
/** The Accept header of a client that reads both kinds of answer. */
export const ACCEPT_JSON_OR_XML = `${JSON_ANSWER_TYPE}, text/xml`;

/** True when the request's Accept header names the JSON answer. */
export function acceptsJsonAnswer(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes(JSON_ANSWER_TYPE)) return false;
  return accept.split(',').some((range) => range.split(';')[0]?.trim().toLowerCase() === JSON_ANSWER_TYPE);
}

// C0 controls but tab and LF, CR (\x0d), U+FFFE/U+FFFF, lone surrogates.
const NOT_PLAIN = /[\x00-\x08\x0b-\x1f\ufffe\uffff\p{Cs}]/u;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function plain(v: XmlRpcValue, depth: number): boolean {
  switch (typeof v) {
    case 'string':
      return !NOT_PLAIN.test(v);
    case 'number':
      return Number.isInteger(v) ? v >= INT32_MIN && v <= INT32_MAX : Number.isFinite(v);
    case 'boolean':
      return true;
    default:
      break;
  }
  if (depth > 64 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.every((item) => plain(item, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  const struct = v as XmlRpcStruct;
  for (const key of Object.keys(struct)) if (!plain(key, depth) || !plain(struct[key] as XmlRpcValue, depth + 1)) return false;
  return true;
}

/** The JSON body for an outcome, or null when only XML can carry it exactly. */
export function encodeJsonAnswer(o: RpcOutcome): string | null {
  if (o.kind === 'fault') return plain(o.text, 0) && plain(o.code, 0) ? JSON.stringify({ fault: { faultCode: o.code, faultString: o.text } }) : null;
  if (o.kind === 'error') return null;
  return plain(o.value, 0) ? JSON.stringify({ result: o.value }) : null;
}

/** Reads a JSON answer as decodeMethodResponse reads an XML one. */
export function decodeJsonAnswer(body: Buffer, maxBytes: number): MethodResponse {
  if (body.length > maxBytes) throw new XmlRpcParseError('TOO_LARGE', `answer larger than ${maxBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new XmlRpcParseError('MALFORMED', `bad JSON answer: ${(e as Error).message}`);
  }
  if (typeof parsed === 'object' && parsed !== null) {
    if ('result' in parsed && parsed.result !== null && parsed.result !== undefined) {
      return { kind: 'result', value: parsed.result as XmlRpcValue };
    }
    if ('fault' in parsed && typeof parsed.fault === 'object' && parsed.fault !== null) {
      const f = parsed.fault as { faultCode?: unknown; faultString?: unknown };
      if (typeof f.faultCode === 'number' && typeof f.faultString === 'string') {
        return { kind: 'fault', fault: new XmlRpcFault(f.faultCode, f.faultString) };
      }
    }
  }
  throw new XmlRpcParseError('NOT_XMLRPC', 'JSON answer without a result or a fault');
}
