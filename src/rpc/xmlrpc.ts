// XML-RPC codec for Supervisor's dialect: methodCall / methodResponse / fault
// with int|i4|i8, boolean, string, double, dateTime.iso8601, base64, array and
// struct; an untyped <value>text</value> is a string. <nil/> and booleans are
// read as supervisord reads them: nil is Python's None (PY_NONE: a `wait`
// takes it for no, a fault names no value, int() refuses it), a boolean is
// true only for `1` (`true` is false): go's mattn/go-xmlrpc and npm's
// davexmlrpc write `<boolean>true</boolean>`, npm's xmlrpc writes `<nil/>`
// for null.
//
// Parsing is strict: malformed XML is rejected (as expat does for Python's
// Supervisor), only the five predefined entities and numeric character
// references exist, any DOCTYPE is refused, the input size and element
// nesting are bounded, and every problem is an XmlRpcParseError, so the same
// decoder is safe on the server side. The tokenizer is ./xml-scan.ts; why it
// is not a library (saxes, fast-xml-parser) is explained there. Measured on a
// 200-process getAllProcessInfo response (218 kB), CPU time: decode ~8 ms in
// a fresh process / ~3.5 ms warm (saxes ~40 / ~4.5, fast-xml-parser ~30 warm,
// Python's xmlrpc.client ~11); bench/ctl/ctl-client.ts prints current numbers.
//
// Encoding follows Python's xmlrpc.client.dumps byte for byte, so bodies look
// like the ones Supervisor and supervisorctl exchange.
import { scanXml, XmlScanError } from './xml-scan';

/** dateTime.iso8601 is naive (no zone) in XML-RPC; keep its text verbatim. */
export class XmlRpcDateTime {
  constructor(readonly value: string) {
    if (!/^\d{8}T\d{2}:\d{2}:\d{2}$/.test(value)) {
      throw new XmlRpcParseError('BAD_VALUE', `bad dateTime.iso8601 value ${JSON.stringify(value)}`);
    }
  }
  static fromDate(d: Date): XmlRpcDateTime {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return new XmlRpcDateTime(
      `${p(d.getFullYear(), 4)}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`,
    );
  }
}

/** Python's None, what `<nil/>` reads as: a value of its own, not false (`BAD_NAME` names no value for it, `BAD_NAME: False` for false). */
export class XmlRpcNone {
  private constructor() {}
  static readonly value = new XmlRpcNone();
}
export const PY_NONE = XmlRpcNone.value;

export type XmlRpcStruct = { [member: string]: XmlRpcValue };
export type XmlRpcValue =
  | number
  | boolean
  | string
  | XmlRpcDateTime
  | XmlRpcNone
  | Uint8Array
  | XmlRpcValue[]
  | XmlRpcStruct;

export type XmlRpcParseErrorKind =
  | 'TOO_LARGE' // input longer than maxBytes
  | 'TOO_DEEP' // element nesting deeper than maxDepth
  | 'DTD_FORBIDDEN' // a <!DOCTYPE ...> was present
  | 'MALFORMED' // not well-formed XML
  | 'NOT_XMLRPC' // well-formed, but not the XML-RPC grammar
  | 'BAD_VALUE'; // a scalar whose text does not parse as its type

export class XmlRpcParseError extends Error {
  override name = 'XmlRpcParseError';
  constructor(
    readonly kind: XmlRpcParseErrorKind,
    message: string,
    /** what Python's expat says for the same document, where it is known */
    readonly expat?: string,
  ) {
    super(message);
  }
}

/** expat's "no element found: line L, column C" for a document that ends at `offset` of `src` before its root element closes. */
function expatNoElement(src: string, offset: number): string {
  const before = src.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return `no element found: line ${before.split('\n').length}, column ${offset - nl - 1}`;
}

/** An XML-RPC fault, as returned by a server or raised by a handler. */
export class XmlRpcFault extends Error {
  override name = 'XmlRpcFault';
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`<Fault ${faultCode}: ${faultString}>`);
  }
}

export interface DecodeLimits {
  /** Largest input accepted, in UTF-16 code units of the decoded text. */
  maxBytes?: number;
  /** Deepest element nesting accepted (each array or struct level costs 3). */
  maxDepth?: number;
  /**
   * Accept, as text, the characters XML 1.0 forbids: C0 controls (other than
   * tab, CR, LF) and U+FFFE/U+FFFF. Supervisor sends log bytes unescaped, so a
   * log with ANSI colours is not well-formed; a client may still want to read
   * it. (A character reference to one stays an error, as it is for expat.)
   */
  allowControlChars?: boolean;
  /**
   * Take common constructs (scalar struct members, text-only elements) in one
   * step. Only tests turn this off, to check both ways decode alike.
   */
  shortcuts?: boolean;
}

export const DEFAULT_LIMITS: Required<DecodeLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 96,
  allowControlChars: false,
  shortcuts: true,
};

export interface MethodCall {
  /** null without a <methodName> element, as Python's loads() gives None */
  methodName: string | null;
  params: XmlRpcValue[];
}

export type MethodResponse = { kind: 'result'; value: XmlRpcValue } | { kind: 'fault'; fault: XmlRpcFault };

// ---------------------------------------------------------------------------
// Encoding

function escapeText(s: string): string {
  // Python's xmlrpc.client escapes only these three in text content.
  if (!/[&<>]/.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// XML 1.0 forbids the C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF,
// even written as character references, so no strict parser (expat, libxml2,
// Go's encoding/xml) reads a document holding one.
const NOT_XML_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;
// A terminal's escape sequences: CSI (colours, cursor moves; ECMA-48's
// parameter, intermediate and final bytes) and OSC (titles, links).
const TERMINAL_SEQUENCE_G = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const C0_G = /[\x00-\x08\x0b\x0c\x0e-\x1f]/g;

/**
 * Text a strict XML parser reads: terminal escape sequences removed (what a
 * colour code means cannot be carried, and as text it is noise), any other
 * forbidden control shown as its Unicode control picture (NUL as U+2400 ␀,
 * ESC as U+241B ␛), U+FFFE/U+FFFF as U+FFFD.
 */
export function wellFormedText(s: string): string {
  if (!NOT_XML_CHAR.test(s)) return s;
  return s
    .replace(TERMINAL_SEQUENCE_G, '')
    .replace(C0_G, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/[\ufffe\uffff]/g, '\ufffd');
}

function escapeWellFormed(s: string): string {
  return escapeText(wellFormedText(s));
}

/**
 * How strings are written into an answer. 'as-python' is Python's
 * xmlrpc.client (and so supervisord): control characters go out as they are,
 * which leaves the document ill-formed when a log holds a colour code; only a
 * lenient reader (DecodeLimits.allowControlChars) takes it. 'well-formed'
 * changes them as wellFormedText says.
 */
export type TextMode = 'as-python' | 'well-formed';

function base64Lines(bytes: Uint8Array): string {
  // base64.encodebytes: 76-column lines, each ending in a newline.
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + '\n';
  return out;
}

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const s = String(n);
  return Number.isInteger(n) && !/e/.test(s) ? `${s}.0` : s;
}

/** The integers an XML-RPC <int>/<i4> holds: a tsv server caps every integer to them (rpc/server.ts). */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

function encodeValue(v: XmlRpcValue, out: string[], depth: number, esc: (s: string) => string): void {
  if (depth > 64) throw new TypeError('XML-RPC value nested too deeply to encode');
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v)) {
        if (v < INT32_MIN || v > INT32_MAX) throw new RangeError('int exceeds XML-RPC limits'); // Python's OverflowError text
        out.push(`<value><int>${v}</int></value>\n`);
      } else {
        out.push(`<value><double>${formatDouble(v)}</double></value>\n`);
      }
      return;
    case 'boolean':
      out.push(`<value><boolean>${v ? 1 : 0}</boolean></value>\n`);
      return;
    case 'string':
      out.push(`<value><string>${esc(v)}</string></value>\n`);
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot marshal ${typeof v} objects`);
  }
  if (v === null || v instanceof XmlRpcNone) throw new TypeError('cannot marshal None unless allow_none is enabled');
  if (Array.isArray(v)) {
    out.push('<value><array><data>\n');
    for (const item of v) encodeValue(item, out, depth + 1, esc);
    out.push('</data></array></value>\n');
  } else if (v instanceof Uint8Array) {
    out.push(`<value><base64>\n${base64Lines(v)}</base64></value>\n`);
  } else if (v instanceof XmlRpcDateTime) {
    out.push(`<value><dateTime.iso8601>${v.value}</dateTime.iso8601></value>\n`);
  } else {
    out.push('<value><struct>\n');
    for (const key of Object.keys(v)) {
      out.push(`<member>\n<name>${esc(key)}</name>\n`);
      encodeValue((v as XmlRpcStruct)[key] as XmlRpcValue, out, depth + 1, esc);
      out.push('</member>\n');
    }
    out.push('</struct></value>\n');
  }
}

const XML_DECL = "<?xml version='1.0'?>\n";

export function encodeMethodCall(methodName: string, params: readonly XmlRpcValue[] = []): string {
  const out = [XML_DECL, `<methodCall>\n<methodName>${escapeText(methodName)}</methodName>\n<params>\n`];
  for (const p of params) {
    out.push('<param>\n');
    encodeValue(p, out, 0, escapeText);
    out.push('</param>\n');
  }
  out.push('</params>\n</methodCall>\n');
  return out.join('');
}

const ESCAPES: Record<TextMode, (s: string) => string> = { 'as-python': escapeText, 'well-formed': escapeWellFormed };

export function encodeMethodResponse(value: XmlRpcValue, mode: TextMode = 'as-python'): string {
  const out = [XML_DECL, '<methodResponse>\n<params>\n<param>\n'];
  encodeValue(value, out, 0, ESCAPES[mode]);
  out.push('</param>\n</params>\n</methodResponse>\n');
  return out.join('');
}

export function encodeFault(faultCode: number, faultString: string, mode: TextMode = 'as-python'): string {
  const out = [XML_DECL, '<methodResponse>\n<fault>\n'];
  encodeValue({ faultCode, faultString }, out, 0, ESCAPES[mode]);
  out.push('</fault>\n</methodResponse>\n');
  return out.join('');
}

// ---------------------------------------------------------------------------
// Decoding

type ScalarTag = 'int' | 'i4' | 'i8' | 'boolean' | 'string' | 'double' | 'dateTime.iso8601' | 'base64' | 'nil';
const SCALAR_TAGS: ReadonlySet<string> = new Set<ScalarTag>([
  'int',
  'i4',
  'i8',
  'boolean',
  'string',
  'double',
  'dateTime.iso8601',
  'base64',
  'nil',
]);

// One frame per open element; `items` collects finished child values.
interface Frame {
  tag: string;
  text: string;
  value: XmlRpcValue | undefined; // <value>: its typed child; <member>: its value
  name: string | undefined; // <member>: its <name>
  items: XmlRpcValue[] | undefined; // <params>, <data>
  struct: XmlRpcStruct | undefined; // <struct>
}

const CONTAINERS: Record<string, readonly string[]> = {
  '': ['methodCall', 'methodResponse'],
  methodCall: ['methodName', 'params'],
  methodResponse: ['params', 'fault'],
  params: ['param'],
  param: ['value'],
  fault: ['value'],
  value: [...SCALAR_TAGS, 'array', 'struct'],
  array: ['data'],
  data: ['value'],
  struct: ['member'],
  member: ['name', 'value'],
};

// Elements whose own text is meaningful; elsewhere only whitespace may appear.
const TEXT_TAGS: ReadonlySet<string> = new Set(['value', 'methodName', 'name', ...SCALAR_TAGS]);

// Python's int(): digits, with single underscores between them
const INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const DOUBLE_RE = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)\s*$/i;

function scalar(tag: string, text: string): XmlRpcValue {
  switch (tag) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8': {
      if (!INT_RE.test(text)) throw new XmlRpcParseError('BAD_VALUE', `bad ${tag} value ${JSON.stringify(text)}`);
      const n = Number(text.replace(/_/g, ''));
      if (!Number.isSafeInteger(n)) throw new XmlRpcParseError('BAD_VALUE', `${tag} value out of range: ${text.trim()}`);
      return n;
    }
    case 'boolean':
      return text === '1';
    case 'nil':
      if (text.trim() !== '') throw new XmlRpcParseError('BAD_VALUE', `<nil/> with content ${JSON.stringify(text)}`);
      return PY_NONE;
    case 'double': {
      if (!DOUBLE_RE.test(text)) throw new XmlRpcParseError('BAD_VALUE', `bad double value ${JSON.stringify(text)}`);
      const t = text.trim().toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
      return Number(t === 'nan' || t === '+nan' || t === '-nan' ? NaN : t);
    }
    case 'dateTime.iso8601':
      return new XmlRpcDateTime(text.trim());
    case 'base64': {
      const compact = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
        throw new XmlRpcParseError('BAD_VALUE', 'bad base64 value');
      }
      return new Uint8Array(Buffer.from(compact, 'base64'));
    }
  }
  throw new XmlRpcParseError('NOT_XMLRPC', `unknown type <${tag}>`);
}

function setMember(obj: XmlRpcStruct, key: string, v: XmlRpcValue): void {
  // A hostile "__proto__" member must become a plain own property.
  if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

interface Document {
  root: 'methodCall' | 'methodResponse';
  methodName: string | undefined;
  params: XmlRpcValue[] | undefined;
  fault: XmlRpcValue | undefined;
}

function parseDocument(input: string | Uint8Array, limits: DecodeLimits): Document {
  const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  if (input.length > maxBytes) {
    throw new XmlRpcParseError('TOO_LARGE', `XML-RPC body of ${input.length} bytes exceeds the limit of ${maxBytes}`);
  }
  const src = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');

  const doc: Document = { root: 'methodCall', methodName: undefined, params: undefined, fault: undefined };
  const stack: Frame[] = [];
  let rootSeen = false;
  const notXmlRpc = (msg: string): never => {
    throw new XmlRpcParseError('NOT_XMLRPC', msg);
  };

  // Is <tag> allowed here? (Grammar, nesting depth, one value per slot.)
  const checkChild = (parent: Frame | undefined, tag: string): void => {
    const ptag = parent ? parent.tag : '';
    if (!parent && rootSeen) notXmlRpc('more than one root element');
    const allowed = CONTAINERS[ptag];
    if (allowed === undefined || !allowed.includes(tag)) {
      notXmlRpc(`unexpected <${tag}>${ptag ? ` in <${ptag}>` : ''}`);
    }
    if (stack.length >= maxDepth) {
      throw new XmlRpcParseError('TOO_DEEP', `XML-RPC nesting deeper than ${maxDepth} elements`);
    }
    if (parent) {
      // A <value> holds one typed child; a <member> one name then one value.
      if (ptag === 'value' && (parent.value !== undefined || parent.text.trim() !== '')) notXmlRpc('<value> with more than one child');
      else if (ptag === 'member') {
        if (tag === 'name' && (parent.name !== undefined || parent.value !== undefined)) notXmlRpc('misplaced <name> in <member>');
        if (tag === 'value' && (parent.name === undefined || parent.value !== undefined)) notXmlRpc('misplaced <value> in <member>');
      } else if ((ptag === 'param' || ptag === 'fault' || ptag === 'array') && (parent.value !== undefined || parent.items !== undefined)) {
        notXmlRpc(`more than one child in <${ptag}>`);
      }
    }
  };
  const open = (tag: string): void => {
    const parent = stack.length ? (stack[stack.length - 1] as Frame) : undefined;
    checkChild(parent, tag);
    if (!parent) {
      rootSeen = true;
      doc.root = tag as Document['root'];
    }
    const frame: Frame = { tag, text: '', value: undefined, name: undefined, items: undefined, struct: undefined };
    if (tag === 'params' || tag === 'data') frame.items = [];
    else if (tag === 'struct') frame.struct = {};
    stack.push(frame);
  };
  // A whole <member> with a scalar value in one step.
  const member = (name: string, type: string | null, data: string): void => {
    const parent = stack[stack.length - 1] as Frame;
    checkChild(parent, 'member');
    if (stack.length + 2 >= maxDepth) throw new XmlRpcParseError('TOO_DEEP', `XML-RPC nesting deeper than ${maxDepth} elements`);
    setMember(parent.struct as XmlRpcStruct, name, type === null ? data : scalar(type, data));
  };
  // <tag>text</tag> in one step: the common scalar, <name> and untyped <value>.
  const leaf = (tag: string, data: string): void => {
    const parent = stack[stack.length - 1] as Frame;
    if (tag === 'name' || tag === 'value' || SCALAR_TAGS.has(tag)) {
      checkChild(parent, tag);
      if (tag === 'name') parent.name = data;
      else {
        const v = tag === 'value' ? data : scalar(tag, data);
        if (parent.tag === 'data') (parent.items as XmlRpcValue[]).push(v);
        else parent.value = v;
      }
    } else {
      open(tag);
      if (data) text(data);
      close();
    }
  };
  const text = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top && TEXT_TAGS.has(top.tag)) {
      if (top.tag === 'value' && top.value !== undefined && t.trim() !== '') notXmlRpc('text beside a typed value');
      top.text += t;
    } else if (t.trim() !== '') {
      notXmlRpc(top ? `text in <${top.tag}>` : 'text outside the root element');
    }
  };
  const close = (): void => {
    const frame = stack.pop() as Frame;
    const parent = stack[stack.length - 1];
    let produced: XmlRpcValue | undefined;
    switch (frame.tag) {
      case 'value':
        produced = frame.value !== undefined ? frame.value : frame.text;
        break;
      case 'array':
        produced = frame.items ?? notXmlRpc('<array> without <data>');
        break;
      case 'data':
        if (parent) parent.items = frame.items;
        return;
      case 'struct':
        produced = frame.struct as XmlRpcStruct;
        break;
      case 'member':
        if (frame.name === undefined || frame.value === undefined) notXmlRpc('<member> needs a <name> and a <value>');
        setMember((parent as Frame).struct as XmlRpcStruct, frame.name as string, frame.value as XmlRpcValue);
        return;
      case 'name':
        (parent as Frame).name = frame.text;
        return;
      case 'param':
        if (frame.value === undefined) notXmlRpc('<param> without <value>');
        (parent as Frame).items?.push(frame.value as XmlRpcValue);
        return;
      case 'params':
        doc.params = frame.items;
        return;
      case 'fault':
        if (frame.value === undefined) notXmlRpc('<fault> without <value>');
        doc.fault = frame.value;
        return;
      case 'methodName':
        doc.methodName = frame.text;
        return;
      case 'methodCall':
      case 'methodResponse':
        return;
      default:
        produced = scalar(frame.tag, frame.text);
    }
    if (!parent) return;
    if (parent.tag === 'data') (parent.items as XmlRpcValue[]).push(produced);
    else parent.value = produced;
  };

  try {
    scanXml(src, limits.shortcuts === false ? { open, close, text } : { open, close, text, leaf, member }, limits.allowControlChars ?? false);
  } catch (err) {
    if (err instanceof XmlScanError) {
      const ended = err.reason === 'no element found' || err.reason.startsWith('unclosed element');
      throw new XmlRpcParseError(err.kind, err.kind === 'DTD_FORBIDDEN' ? err.message : `malformed XML: ${err.message}`, ended ? expatNoElement(src, err.offset) : undefined);
    }
    throw err;
  }
  return doc;
}

export function decodeMethodCall(input: string | Uint8Array, limits: DecodeLimits = {}): MethodCall {
  const doc = parseDocument(input, limits);
  if (doc.root !== 'methodCall') throw new XmlRpcParseError('NOT_XMLRPC', `expected <methodCall>, got <${doc.root}>`);
  return { methodName: doc.methodName ?? null, params: doc.params ?? [] };
}

export function decodeMethodResponse(input: string | Uint8Array, limits: DecodeLimits = {}): MethodResponse {
  const doc = parseDocument(input, limits);
  if (doc.root !== 'methodResponse') throw new XmlRpcParseError('NOT_XMLRPC', `expected <methodResponse>, got <${doc.root}>`);
  if (doc.fault !== undefined) {
    const f = doc.fault;
    if (typeof f !== 'object' || f === null || Array.isArray(f) || f instanceof Uint8Array) {
      throw new XmlRpcParseError('NOT_XMLRPC', '<fault> value is not a struct');
    }
    const s = f as XmlRpcStruct;
    if (typeof s.faultCode !== 'number' || typeof s.faultString !== 'string') {
      throw new XmlRpcParseError('NOT_XMLRPC', '<fault> struct needs faultCode (int) and faultString (string)');
    }
    return { kind: 'fault', fault: new XmlRpcFault(s.faultCode, s.faultString) };
  }
  const params = doc.params;
  if (!params || params.length !== 1) throw new XmlRpcParseError('NOT_XMLRPC', '<methodResponse> must hold exactly one <param>');
  const value = params[0] as XmlRpcValue;
  return { kind: 'result', value };
}
