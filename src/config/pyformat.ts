// Python's `str % mapping` (printf-style formatting), which Supervisor runs
// over almost every config value as its "expansion". Users rely on its
// details: `%%` for a literal percent, format specs such as
// `%(process_num)02d`, and its errors for stray `%` signs. This is a port of
// the semantics of CPython's PyUnicode_Format restricted to a mapping
// argument, since that is the only way Supervisor calls it.

/** A value available to an expansion: Supervisor's are strings and ints (bigint past 2^53). */
export type PyValue = string | number | bigint;
export type Expansions = Map<string, PyValue>;

/** Python raised an exception while formatting; `kind` is the exception class. */
export class PyFormatError extends Error {
  constructor(
    readonly kind: 'KeyError' | 'ValueError' | 'TypeError' | 'OverflowError',
    message: string,
    /** For KeyError: the missing name. */
    readonly key?: string,
  ) {
    super(message);
  }
}

/** Python's repr() of a str. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0x80 && cp < 0xa0) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp === 0xad) out += '\\xad';
    else if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x2028 || cp === 0x2029 || (cp >= 0xfff9 && cp <= 0xfffb))
      out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + quote;
}

function pyReprValue(v: PyValue): string {
  return typeof v === 'string' ? pyRepr(v) : String(v);
}

/** Python's repr() of a dict of expansions (what `'%s' % mapping` prints). */
function pyReprDict(m: Expansions): string {
  const parts: string[] = [];
  for (const [k, v] of m) parts.push(`${pyRepr(k)}: ${pyReprValue(v)}`);
  return '{' + parts.join(', ') + '}';
}

interface Spec {
  flags: { left: boolean; sign: boolean; space: boolean; alt: boolean; zero: boolean };
  width: number;
  prec: number; // -1 = none
  type: string;
}

function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(body: string, sign: string, spec: Spec, numeric: boolean): string {
  const w = spec.width;
  const len = cpLength(sign) + cpLength(body);
  if (len >= w) return sign + body;
  const fill = w - len;
  if (spec.flags.left) return sign + body + ' '.repeat(fill);
  if (spec.flags.zero && numeric) return sign + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + sign + body;
}

function typeName(v: PyValue): string {
  return typeof v === 'string' ? 'str' : 'int';
}

function formatInt(v: PyValue, spec: Spec): string {
  if (typeof v === 'string') {
    const t = spec.type;
    if (t === 'd' || t === 'i' || t === 'u')
      throw new PyFormatError('TypeError', `%${t} format: a real number is required, not ${typeName(v)}`);
    throw new PyFormatError('TypeError', `%${t} format: an integer is required, not ${typeName(v)}`);
  }
  const big = BigInt(v);
  const neg = big < 0n;
  const abs = neg ? -big : big;
  let digits: string;
  let prefix = '';
  switch (spec.type) {
    case 'o':
      digits = abs.toString(8);
      if (spec.flags.alt) prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.flags.alt) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.flags.alt) prefix = '0X';
      break;
    default:
      digits = abs.toString(10);
  }
  if (spec.prec >= 0 && digits.length < spec.prec) digits = '0'.repeat(spec.prec - digits.length) + digits;
  const sign = neg ? '-' : spec.flags.sign ? '+' : spec.flags.space ? ' ' : '';
  return pad(digits, sign + prefix, spec, true);
}

function formatFloat(value: PyValue, spec: Spec): string {
  if (typeof value === 'string') {
    throw new PyFormatError('TypeError', `must be real number, not ${typeName(value)}`);
  }
  const v = Number(value);
  const prec = spec.prec < 0 ? 6 : spec.prec;
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let body: string;
  switch (spec.type) {
    case 'f':
    case 'F':
      body = a.toFixed(prec);
      if (spec.flags.alt && prec === 0) body += '.';
      break;
    case 'e':
    case 'E': {
      const [m, e] = a.toExponential(prec).split('e');
      const exp = Number(e);
      body = `${m}${spec.flags.alt && prec === 0 ? '.' : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
      if (spec.type === 'E') body = body.toUpperCase();
      break;
    }
    default: {
      // %g: Python's rules (precision 0 means 1; strip trailing zeros unless '#').
      const p = prec === 0 ? 1 : prec;
      const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
      let s: string;
      if (exp < -4 || exp >= p) {
        const [m, e] = a.toExponential(p - 1).split('e');
        let mm = m;
        if (!spec.flags.alt && mm.includes('.')) mm = mm.replace(/0+$/, '').replace(/\.$/, '');
        const ee = Number(e);
        s = `${mm}e${ee < 0 ? '-' : '+'}${String(Math.abs(ee)).padStart(2, '0')}`;
      } else {
        s = a.toFixed(Math.max(0, p - 1 - exp));
        if (!spec.flags.alt && s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
      }
      body = spec.type === 'G' ? s.toUpperCase() : s;
    }
  }
  const sign = neg ? '-' : spec.flags.sign ? '+' : spec.flags.space ? ' ' : '';
  return pad(body, sign, spec, true);
}

function formatOne(v: PyValue, spec: Spec): string {
  switch (spec.type) {
    case 's':
    case 'r':
    case 'a': {
      let s = spec.type === 's' ? String(v) : pyReprValue(v);
      if (spec.type === 'a') s = s.replace(/[^\x00-\x7f]/gu, (c) => asciiEscape(c));
      if (spec.prec >= 0) s = [...s].slice(0, spec.prec).join('');
      return pad(s, '', spec, false);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      return formatInt(v, spec);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return formatFloat(v, spec);
    case 'c': {
      let ch: string;
      if (typeof v !== 'string') {
        if (v < 0 || v > 0x10ffff) throw new PyFormatError('OverflowError', '%c arg not in range(0x110000)');
        ch = String.fromCodePoint(Number(v));
      } else {
        if ([...v].length !== 1) throw new PyFormatError('TypeError', '%c requires int or char');
        ch = v;
      }
      return pad(ch, '', spec, false);
    }
    default:
      throw new Error('unreachable');
  }
}

function asciiEscape(c: string): string {
  const cp = c.codePointAt(0) as number;
  if (cp <= 0xff) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp <= 0xffff) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

const CONVERSIONS = new Set(['s', 'r', 'a', 'd', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G', 'c']);

/**
 * `fmt % mapping` as Python computes it. Throws PyFormatError with the
 * exception Python would raise (KeyError for an unknown name).
 */
export function pyFormat(fmt: string, mapping: Expansions): string {
  if (!fmt.includes('%')) return fmt;
  // Python works on code points; indexes in its messages count code points.
  const cps = [...fmt];
  let out = '';
  let i = 0;
  // CPython keeps one argument slot: at first the mapping itself, replaced
  // by the value of each `%(key)` spec. Every conversion (and every `*`)
  // consumes the slot, so a keyless spec gets the mapping only if it comes
  // first, and fails with "not enough arguments" after any other spec.
  let slot: PyValue | Expansions = mapping;
  let slotUsed = false;
  const takeArg = (): PyValue | Expansions => {
    if (slotUsed) throw new PyFormatError('TypeError', 'not enough arguments for format string');
    slotUsed = true;
    return slot;
  };
  const n = cps.length;
  while (i < n) {
    const c = cps[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= n) throw new PyFormatError('ValueError', 'incomplete format');
    // Only "%%" itself is a literal percent; a "%" after flags or a key is an error.
    if (cps[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (cps[i] === '(') {
      let depth = 1;
      i++;
      const keyStart = i;
      while (i < n && depth > 0) {
        if (cps[i] === ')') depth--;
        else if (cps[i] === '(') depth++;
        i++;
      }
      if (depth > 0) throw new PyFormatError('ValueError', 'incomplete format key');
      const key = cps.slice(keyStart, i - 1).join('');
      if (!mapping.has(key)) throw new PyFormatError('KeyError', pyRepr(key), key);
      slot = mapping.get(key) as PyValue;
      slotUsed = false;
    }
    const flags = { left: false, sign: false, space: false, alt: false, zero: false };
    for (;;) {
      const f = cps[i];
      if (f === '-') flags.left = true;
      else if (f === '+') flags.sign = true;
      else if (f === ' ') flags.space = true;
      else if (f === '#') flags.alt = true;
      else if (f === '0') flags.zero = true;
      else break;
      i++;
    }
    let width = -1;
    if (cps[i] === '*') {
      const w = takeArg();
      if (typeof w !== 'number') throw new PyFormatError('TypeError', '* wants int');
      width = w;
      i++;
    } else {
      let digits = '';
      while (i < n && cps[i] >= '0' && cps[i] <= '9') digits += cps[i++];
      if (digits) {
        width = Number(digits);
        if (!Number.isSafeInteger(width) || width > 0x7fffffff)
          throw new PyFormatError('ValueError', 'width too big');
      }
    }
    let prec = -1;
    if (cps[i] === '.') {
      i++;
      if (cps[i] === '*') {
        const p = takeArg();
        if (typeof p !== 'number') throw new PyFormatError('TypeError', '* wants int');
        prec = p;
        i++;
      } else {
        let digits = '';
        while (i < n && cps[i] >= '0' && cps[i] <= '9') digits += cps[i++];
        prec = digits ? Number(digits) : 0;
        if (!Number.isSafeInteger(prec) || prec > 0x7fffffff) throw new PyFormatError('ValueError', 'precision too big');
      }
    }
    if (i < n && (cps[i] === 'h' || cps[i] === 'l' || cps[i] === 'L')) i++;
    if (i >= n) throw new PyFormatError('ValueError', 'incomplete format');
    const type = cps[i];
    i++;
    const value = takeArg();
    if (!CONVERSIONS.has(type)) {
      const cp = type.codePointAt(0) as number;
      const shown = cp >= 32 && cp < 127 ? type : '\\x' + cp.toString(16).padStart(2, '0');
      throw new PyFormatError(
        'ValueError',
        `unsupported format character '${shown}' (0x${cp.toString(16)}) at index ${i - 1}`,
      );
    }
    const spec: Spec = { flags, width: Math.max(width, 0), prec, type };
    if (value instanceof Map) {
      if (type === 's' || type === 'r' || type === 'a') {
        let s = pyReprDict(value);
        if (spec.prec >= 0) s = [...s].slice(0, spec.prec).join('');
        out += pad(s, '', spec, false);
      } else if (type === 'c') {
        throw new PyFormatError('TypeError', '%c requires int or char');
      } else if ('eEfFgG'.includes(type)) {
        throw new PyFormatError('TypeError', 'must be real number, not dict');
      } else if (type === 'd' || type === 'i' || type === 'u') {
        throw new PyFormatError('TypeError', `%${type} format: a real number is required, not dict`);
      } else {
        throw new PyFormatError('TypeError', `%${type} format: an integer is required, not dict`);
      }
      continue;
    }
    out += formatOne(value as PyValue, spec);
  }
  return out;
}
