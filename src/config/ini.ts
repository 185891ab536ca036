// The ini dialect of supervisord.conf: Python's configparser.RawConfigParser
// as Supervisor configures it (UnhosedConfigParser: inline_comment_prefixes
// ';' and '#', strict=False). The npm `ini` package cannot be used: it cuts
// `B="a;b"`, turns continuation lines into keys and eats `x=1#y`. This module
// reproduces configparser's reading rules line for line, including the odd
// ones users depend on without knowing it, and remembers the file and line of
// every value so errors and `tsv config show` can point at them.

export interface IniEntry {
  value: string;
  file: string;
  /** Line of the `key = value` line (continuations belong to it). */
  line: number;
}

/** configparser's ParsingError / MissingSectionHeaderError, with our line numbers. */
export class IniSyntaxError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly text: string,
    /** The section the bad line is in, if any. */
    readonly section?: string,
  ) {
    super(message);
  }
}

// Python's str.isspace() set, which differs from JS \s: it includes
// \x1c-\x1f and \x85 and excludes the BOM (\ufeff).
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_CLASS = new RegExp(`[${PY_WS}]`);
const LEADING_WS = new RegExp(`^[${PY_WS}]+`);
const TRAILING_WS = new RegExp(`[${PY_WS}]+$`);
const NON_WS = new RegExp(`[^${PY_WS}]`);

export function pyIsSpace(ch: string): boolean {
  return ch.length > 0 && PY_WS_CLASS.test(ch);
}

// Most strings start and end with a printable ASCII character; checking that
// first keeps the regular expressions off the common path, which matters in a
// fresh process (`tsv status` reads the whole config file once, un-JITted).
function isPrintableAscii(code: number): boolean {
  return code > 0x20 && code < 0x7f;
}

export function pyStrip(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  if (isPrintableAscii(s.charCodeAt(0))) {
    const last = s.charCodeAt(n - 1);
    if (isPrintableAscii(last)) return s;
    // A line as read from a file: text, then its "\n".
    if (last === 0x0a && n > 1 && isPrintableAscii(s.charCodeAt(n - 2))) return s.slice(0, n - 1);
  }
  return s.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

const WS_RUN = new RegExp(`[${PY_WS}]+`);

/** Python's str.split() with no separator: on runs of Python's whitespace, no empty words. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((w) => w !== '');
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Python's ordering of str, by code point. JS's `<` compares UTF-16 code
 * units, which puts a character above U+FFFF before one in U+E000–U+FFFF.
 */
export function pyStrCompare(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

export function pyRstrip(s: string): string {
  if (s.length === 0 || isPrintableAscii(s.charCodeAt(s.length - 1))) return s;
  return s.replace(TRAILING_WS, '');
}

const INLINE_COMMENT_PREFIXES = [';', '#'];
const FULL_LINE_COMMENT_PREFIXES = ['#', ';'];

/** Where a value is cut by an inline comment, by configparser's round-by-round search. */
function inlineCommentStart(line: string): number | null {
  if (line.indexOf(';') === -1 && line.indexOf('#') === -1) return null;
  let commentStart = Number.MAX_SAFE_INTEGER;
  // Each round looks at the next occurrence of every prefix; the first round
  // with any qualifying occurrence decides, even if a later occurrence of the
  // other prefix would have been earlier in the line.
  let prefixes = new Map<string, number>(INLINE_COMMENT_PREFIXES.map((p) => [p, -1]));
  while (commentStart === Number.MAX_SAFE_INTEGER && prefixes.size > 0) {
    const next = new Map<string, number>();
    for (const [prefix, from] of prefixes) {
      const index = line.indexOf(prefix, from + 1);
      if (index === -1) continue;
      next.set(prefix, index);
      if (index === 0 || (index > 0 && pyIsSpace(line[index - 1]))) commentStart = Math.min(commentStart, index);
    }
    prefixes = next;
  }
  return commentStart === Number.MAX_SAFE_INTEGER ? null : commentStart;
}

/** Python's text-mode file iteration: universal newlines, each line keeps its '\n'. */
function pyLines(text: string): string[] {
  const lines: string[] = [];
  if (!text.includes('\r')) {
    // The common case: slices of the text, each with its own "\n" (a line
    // built as slice + "\n" is a rope that V8 flattens at its first search).
    let last = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', last)) {
      lines.push(text.slice(last, nl + 1));
      last = nl + 1;
    }
    if (last < text.length) lines.push(text.slice(last));
    return lines;
  }
  const re = /\r\n|\r|\n/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    lines.push(text.slice(last, m.index) + '\n');
    last = m.index + m[0].length;
  }
  if (last < text.length) lines.push(text.slice(last));
  return lines;
}

interface PendingEntry extends IniEntry {
  parts: string[] | null;
}

type Section = Map<string, PendingEntry>;

export const DEFAULT_SECTION = 'DEFAULT';

export class IniDocument {
  /** Sections in order of first appearance (DEFAULT excluded, as in Python). */
  readonly sections = new Map<string, Section>();
  readonly defaults: Section = new Map();
  /** Section → file that first defined it, for sections created by read() (Supervisor's section_to_file). */
  readonly sectionToFile = new Map<string, string>();
  /** Where each section header was first seen. */
  readonly sectionOrigin = new Map<string, { file: string; line: number }>();
  /** Section values written since the last expandHere (the only ones that can hold a new %(here)s). */
  private touched = new Set<PendingEntry>();

  /** Parse one file's text into the document (RawConfigParser._read). */
  read(text: string, file: string): void {
    let cursect: Section | null = null;
    let sectname: string | undefined;
    let optname: string | null = null;
    let indentLevel = 0;
    let firstError: IniSyntaxError | null = null;
    const lines = pyLines(text);
    for (let idx = 0; idx < lines.length; idx++) {
      const lineno = idx + 1;
      const line = lines[idx];
      let commentStart = inlineCommentStart(line);
      const stripped = pyStrip(line);
      if (FULL_LINE_COMMENT_PREFIXES.includes(stripped[0])) commentStart = 0;
      const value = pyStrip(commentStart === null ? line : line.slice(0, commentStart));
      if (!value) {
        // A blank line (without a comment) inside a value becomes an empty
        // line of that value; it is trimmed at the end if nothing follows.
        if (commentStart === null && cursect !== null && optname) {
          const entry = cursect.get(optname);
          if (entry && entry.parts) entry.parts.push('');
        }
        continue;
      }
      const firstNonSpace = isPrintableAscii(line.charCodeAt(0)) ? 0 : line.search(NON_WS);
      const curIndent = firstNonSpace === -1 ? 0 : firstNonSpace;
      if (cursect !== null && optname && curIndent > indentLevel) {
        const entry = cursect.get(optname);
        if (entry && entry.parts) entry.parts.push(value);
        continue;
      }
      indentLevel = curIndent;
      const header = sectionHeader(value);
      if (header !== null) {
        sectname = header;
        if (this.sections.has(header)) {
          cursect = this.sections.get(header) as Section;
        } else if (header === DEFAULT_SECTION) {
          cursect = this.defaults;
        } else {
          cursect = new Map();
          this.sections.set(header, cursect);
          this.sectionToFile.set(header, file);
          this.sectionOrigin.set(header, { file, line: lineno });
        }
        optname = null;
        continue;
      }
      if (cursect === null) {
        throw new IniSyntaxError('this line comes before any [section] header', file, lineno, line);
      }
      const delim = firstDelimiter(value);
      if (delim === -1) {
        // configparser records the error and keeps reading; the file fails at the end.
        firstError ??= new IniSyntaxError('this line is not `key = value`, a [section] header or a comment', file, lineno, line, sectname);
        continue;
      }
      const rawName = pyRstrip(value.slice(0, delim));
      if (!rawName) firstError ??= new IniSyntaxError('this line has a value but no key', file, lineno, line, sectname);
      optname = rawName.toLowerCase();
      const prev = cursect.get(optname);
      const entry: PendingEntry = { value: '', file, line: lineno, parts: [pyStrip(value.slice(delim + 1))] };
      if (prev) {
        // Last one wins but keeps its place in the section's key order, as a dict assignment does.
        Object.assign(prev, entry);
      } else {
        cursect.set(optname, entry);
      }
      if (cursect !== this.defaults) this.touched.add(prev ?? entry);
    }
    this.joinMultilineValues();
    if (firstError) throw firstError;
  }

  private joinMultilineValues(): void {
    for (const section of [this.defaults, ...this.sections.values()]) {
      for (const entry of section.values()) {
        if (entry.parts) {
          entry.value = pyRstrip(entry.parts.join('\n'));
          entry.parts = null;
        }
      }
    }
  }

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  /** RawConfigParser.get: the section's own value, else [DEFAULT]'s. */
  get(section: string, option: string): IniEntry | undefined {
    const key = option.toLowerCase();
    return this.sections.get(section)?.get(key) ?? this.defaults.get(key);
  }

  has(section: string, option: string): boolean {
    return this.get(section, option) !== undefined;
  }

  /** RawConfigParser.options: the section's keys, then [DEFAULT]'s others. */
  options(section: string): string[] {
    const own = this.sections.get(section);
    const keys = own ? [...own.keys()] : [];
    for (const k of this.defaults.keys()) if (!own?.has(k)) keys.push(k);
    return keys;
  }

  /** RawConfigParser.set on an existing or inherited key; keeps the value's origin. */
  set(section: string, option: string, value: string): void {
    const sect = this.sections.get(section);
    if (!sect) return;
    const key = option.toLowerCase();
    const current = this.get(section, key);
    const origin = current ?? { file: '', line: 0 };
    const existing = sect.get(key);
    if (existing) existing.value = value;
    else sect.set(key, { value, file: origin.file, line: origin.line, parts: null });
  }

  /**
   * Supervisor's expand_here: a textual replacement of "%(here)s" in every
   * value visible in every section (inherited [DEFAULT] values get copied into
   * the section). Supervisor only calls it when the main file has [include].
   */
  expandHere(here: string): void {
    const token = '%(here)s';
    // Equivalent to Supervisor's scan of every value of every section: a value
    // already scanned holds no token any more, so only values written since
    // the last scan, and [DEFAULT] values still inherited, can match.
    for (const entry of this.touched) {
      if (entry.value.includes(token)) entry.value = entry.value.split(token).join(here);
    }
    this.touched.clear();
    for (const [key, def] of this.defaults) {
      if (!def.value.includes(token)) continue;
      const value = def.value.split(token).join(here);
      for (const sect of this.sections.values()) {
        if (!sect.has(key)) sect.set(key, { value, file: def.file, line: def.line, parts: null });
      }
    }
  }
}

/** configparser's SECTCRE: `\[(?P<header>.+)\]` matched at the start, greedy to the last ']'. */
function sectionHeader(value: string): string | null {
  if (value[0] !== '[') return null;
  const close = value.lastIndexOf(']');
  if (close < 2) return null;
  return value.slice(1, close);
}

function firstDelimiter(value: string): number {
  const eq = value.indexOf('=');
  const colon = value.indexOf(':');
  if (eq === -1) return colon;
  if (colon === -1) return eq;
  return Math.min(eq, colon);
}
