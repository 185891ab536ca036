// A strict, small XML tokenizer for XML-RPC bodies.
//
// Why not a library: saxes (strict, well-kept) was the first choice and is
// kept as the test oracle (test/ctl-xmlrpc.test.ts compares the two on
// generated and mutated documents). But a CLI decodes one response per run,
// so what counts is the cold, un-JITted cost: saxes walks the text a
// character at a time in JavaScript and needs ~40 ms of CPU for a 200-process
// getAllProcessInfo response (218 kB) in a fresh process, the largest part of
// `tsv ctl status`. This scanner finds text with indexOf and tags with small
// sticky regular expressions (native code), and hands the commonest XML-RPC
// shapes (a scalar struct member, a text-only element) to the decoder in one
// call: ~8 ms cold for the same response, ~3.5 ms warm.
//
// It accepts well-formed XML 1.0 documents made of elements (attributes are
// checked and ignored), character data, the five predefined entities,
// numeric character references, CDATA sections, comments and processing
// instructions. A DOCTYPE (and so any DTD or entity definition) is refused.
// Everything else is reported as an XmlScanError; nothing is ever expanded.

export type XmlScanErrorKind = 'MALFORMED' | 'DTD_FORBIDDEN';

export class XmlScanError extends Error {
  override name = 'XmlScanError';
  constructor(
    readonly kind: XmlScanErrorKind,
    message: string,
    readonly offset: number,
    /** the message without its offset */
    readonly reason = message,
  ) {
    super(message);
  }
}

export interface XmlHandler {
  open(name: string): void;
  close(name: string): void;
  /** Character data (references resolved, line ends normalized), or CDATA content. */
  text(data: string): void;
  /** `<name>text</name>` inside the root, in one call (else open, text, close). */
  leaf?(name: string, data: string): void;
  /**
   * XML-RPC's commonest construct in one call: a struct member whose value is
   * a scalar, `<member><name>N</name><value><T>V</T></value></member>` (type
   * null for an untyped value). Without this hook it arrives as its parts.
   */
  member?(name: string, type: string | null, data: string): void;
}



// XML 1.0 (5th ed.) NameStartChar and NameChar.
const NAME_START = 'A-Za-z_:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME = `[${NAME_START}][${NAME_START}0-9.\\-\\u00B7\\u0300-\\u036F\\u203F\\u2040]*`;
const ATTR_VALUE = `(?:"[^"<]*"|'[^'<]*')`;
// XML's white space (JavaScript's \s also matches other Unicode spaces).
const S = '[ \\t\\r\\n]';
// Each tag expression comes twice: for ASCII names (tried first; compiling and
// running the full Unicode name classes cost ~10 ms in a fresh process) and
// for XML's full name characters.
const ASCII_NAME = '[A-Za-z_:][A-Za-z0-9_.:\\-]*';
function tagExpressions(name: string, flags: string): { start: RegExp; end: RegExp; pi: RegExp } {
  return {
    // A start tag (after "<"): 1 name, 2 attributes, 3 "/" when self-closing.
    start: new RegExp(`(${name})((?:${S}+${name}${S}*=${S}*${ATTR_VALUE})*)${S}*(/?)>`, flags),
    // An end tag (after "</"): 1 name.
    end: new RegExp(`(${name})${S}*>`, flags),
    // A processing instruction (after "<?"): 1 target, 2 content (empty or after white space).
    pi: new RegExp(`(${name})((?:${S}[^]*?)?)\\?>`, flags),
  };
}
const ASCII_TAGS = tagExpressions(ASCII_NAME, 'y');
let unicodeTags: ReturnType<typeof tagExpressions> | null = null;

/** Matches tag expression `which` at `at`; the match and where it ends, or null. */
function matchTag(which: 'start' | 'end' | 'pi', src: string, at: number): [RegExpExecArray, number] | null {
  const ascii = ASCII_TAGS[which];
  ascii.lastIndex = at;
  const m = ascii.exec(src);
  if (m !== null) return [m, ascii.lastIndex];
  unicodeTags ??= tagExpressions(NAME, 'yu');
  const re = unicodeTags[which];
  re.lastIndex = at;
  const u = re.exec(src);
  return u === null ? null : [u, re.lastIndex];
}
const MEMBER = new RegExp(
  `<member>${S}*<name>([^<]*)</name>${S}*<value>(?:<(int|i4|i8|boolean|string|double|dateTime\\.iso8601|base64)>([^<]*)</\\2>|([^<]*))</value>${S}*</member>`,
  'y',
);
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const ATTR = new RegExp(`(${NAME})${S}*=${S}*(${ATTR_VALUE})`, 'gu');
// Characters XML 1.0 does not allow anywhere; in /u mode \p{Cs} is an unpaired surrogate.
const INVALID_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\p{Cs}]/u;
// What a lenient scan still refuses: an unpaired surrogate is no character at all.
const NOT_A_CHAR = /\p{Cs}/u;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
// The content of <?xml ...?>: version, then optional encoding and standalone.
const XML_DECL =
  /^[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$/;

function allowedCodePoint(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function resolveReferences(raw: string, offset: number): string {
  return raw.replace(REFERENCE, (whole: string, named?: string, dec?: string, hex?: string) => {
    if (named) return PREDEFINED[named] as string;
    if (dec === undefined && hex === undefined) {
      throw new XmlScanError('MALFORMED', `undefined entity or bare '&' near offset ${offset}`, offset);
    }
    const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
    if (!allowedCodePoint(cp) || (dec ?? hex ?? '').length > 8) {
      throw new XmlScanError('MALFORMED', `character reference ${whole} is not an XML character`, offset);
    }
    return String.fromCodePoint(cp);
  });
}

/** Text as an XML processor reports it: CR LF and lone CR become LF, references resolved. */
function characterData(raw: string, offset: number): string {
  // (Invalid characters were refused for the whole document up front, unless the scan is lenient.)
  if (raw.includes(']]>')) throw new XmlScanError('MALFORMED', `']]>' in character data at offset ${offset}`, offset);
  let s = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  if (s.includes('&')) s = resolveReferences(s, offset);
  return s;
}

function checkAttributes(attrs: string, offset: number): void {
  const seen = new Set<string>();
  ATTR.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ATTR.exec(attrs)) !== null) {
    const name = m[1] as string;
    if (seen.has(name)) throw new XmlScanError('MALFORMED', `duplicate attribute ${name} at offset ${offset}`, offset);
    seen.add(name);
    const value = (m[2] as string).slice(1, -1);
    if (value.includes('&')) resolveReferences(value, offset);
  }
}

/**
 * Scans `src` (a whole document) and reports its structure to `h`. Text is
 * found with indexOf and tags with small sticky expressions, which keeps the
 * garbage low: in a fresh process the young-generation collections, not the
 * matching, were most of the cost. `lenient` takes the characters XML forbids
 * (C0 controls, U+FFFE, U+FFFF) as text, as Supervisor writes log bytes into
 * its answers; markup holding one is still malformed (no name matches it).
 */
export function scanXml(src: string, h: XmlHandler, lenient = false): void {
  const len = src.length;
  const bom = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (msg: string, at: number): never => {
    throw new XmlScanError('MALFORMED', `${msg} at offset ${at}`, at, msg);
  };
  const bad = (lenient ? NOT_A_CHAR : INVALID_CHAR).exec(src);
  if (bad) fail('invalid character', bad.index);
  const stack: string[] = [];
  let rootDone = false;
  let rootSeen = false;
  let pos = bom;
  while (pos < len) {
    const lt = src.indexOf('<', pos);
    if (lt !== pos) {
      // Character data up to the next markup.
      const end = lt === -1 ? len : lt;
      const raw = src.slice(pos, end);
      if (!stack.length) {
        if (!WHITESPACE_ONLY.test(raw)) fail(rootSeen ? 'junk after document element' : 'text before the document element', pos);
      } else {
        h.text(characterData(raw, pos));
      }
      pos = end;
      continue;
    }
    const c = src.charCodeAt(pos + 1);
    if (c === 0x2f /* / */) {
      const t = matchTag('end', src, pos + 2);
      if (t === null) fail('not well-formed (invalid token)', pos);
      const [m, endAt] = t as [RegExpExecArray, number];
      const name = m[1] as string;
      const open = stack.pop();
      if (open !== name) fail(open === undefined ? `unexpected end tag </${name}>` : `mismatched tag: <${open}> closed by </${name}>`, pos);
      h.close(name);
      if (!stack.length) rootDone = true;
      pos = endAt;
    } else if (c === 0x21 /* ! */) {
      if (src.startsWith('<!--', pos)) {
        const end = src.indexOf('-->', pos + 4);
        if (end === -1) fail('unclosed comment', pos);
        const body = src.slice(pos + 4, end);
        if (body.includes('--') || body.endsWith('-')) fail("'--' inside a comment", pos);
        pos = end + 3;
      } else if (src.startsWith('<![CDATA[', pos)) {
        if (!stack.length) fail('CDATA outside the document element', pos);
        const end = src.indexOf(']]>', pos + 9);
        if (end === -1) fail('unclosed CDATA section', pos);
        const body = src.slice(pos + 9, end);
        h.text(body.includes('\r') ? body.replace(/\r\n?/g, '\n') : body);
        pos = end + 3;
      } else if (src.startsWith('<!DOCTYPE', pos)) {
        throw new XmlScanError('DTD_FORBIDDEN', 'a DOCTYPE is not allowed in XML-RPC', pos);
      } else {
        fail('not well-formed (invalid token)', pos);
      }
    } else if (c === 0x3f /* ? */) {
      const t = matchTag('pi', src, pos + 2);
      if (t === null) fail('not well-formed (invalid token)', pos);
      const [m, endAt] = t as [RegExpExecArray, number];
      const target = m[1] as string;
      const content = m[2] as string;
      // <?xml ...?> is only allowed as the very first thing; other targets named xml are reserved.
      if (target === 'xml') {
        if (pos !== bom) fail('XML declaration not at the start', pos);
        if (!XML_DECL.test(content)) fail('malformed XML declaration', pos);
      } else {
        if (target.toLowerCase() === 'xml') fail('reserved processing instruction target', pos);
      }
      pos = endAt;
    } else if (h.member && stack.length && src.startsWith('<member>', pos)) {
      MEMBER.lastIndex = pos;
      const m = MEMBER.exec(src);
      if (m !== null) {
        const type = m[2] ?? null;
        h.member(characterData(m[1] as string, pos), type, characterData((type === null ? m[4] : m[3]) as string, pos));
        pos = MEMBER.lastIndex;
      } else {
        h.open('member');
        stack.push('member');
        pos += 8;
      }
    } else {
      const t = matchTag('start', src, pos + 1);
      if (t === null) fail('not well-formed (invalid token)', pos);
      if (rootDone) fail('junk after document element', pos);
      rootSeen = true;
      const [m, endAt] = t as [RegExpExecArray, number];
      const name = m[1] as string;
      const attrs = m[2] as string;
      const selfClosing = m[3] === '/';
      let next = endAt;
      if (attrs) checkAttributes(attrs, pos);
      if (selfClosing) {
        h.open(name);
        h.close(name);
        if (!stack.length) rootDone = true;
      } else {
        // <name>text</name> inside the root: one leaf call instead of three.
        const lt2 = h.leaf && stack.length ? src.indexOf('<', next) : -1;
        if (lt2 !== -1 && src.charCodeAt(lt2 + 1) === 0x2f && src.startsWith(name, lt2 + 2) && src.charCodeAt(lt2 + 2 + name.length) === 0x3e /* > */) {
          (h.leaf as (n: string, d: string) => void)(name, characterData(src.slice(next, lt2), next));
          next = lt2 + 3 + name.length;
        } else {
          h.open(name);
          stack.push(name);
        }
      }
      pos = next;
    }
  }
  if (stack.length) fail(`unclosed element <${stack[stack.length - 1]}>`, len);
  if (!rootSeen) fail('no element found', len);
}
