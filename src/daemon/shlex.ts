// Python's shlex.split(s) (posix=True, whitespace_split=True, no comments),
// which Supervisor uses to turn `command=` into argv. Ported rule for rule so
// quoting, escapes and the two error messages match.

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;
const ESCAPE = '\\';
const ESCAPED_QUOTES = '"';

export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let state: string = ' ';
    let token = '';
    let quoted = false;
    let escapedState = ' ';
    let done = false;
    while (!done) {
      const ch = i < s.length ? s[i++] : '';
      if (state === ' ') {
        if (!ch) {
          done = true;
        } else if (WHITESPACE.includes(ch)) {
          if (token || quoted) done = true;
        } else if (ch === ESCAPE) {
          escapedState = 'a';
          state = ESCAPE;
        } else if (QUOTES.includes(ch)) {
          state = ch;
        } else {
          token = ch;
          state = 'a';
        }
      } else if (QUOTES.includes(state)) {
        quoted = true;
        if (!ch) throw new ShlexError('No closing quotation');
        if (ch === state) {
          state = 'a';
        } else if (ch === ESCAPE && ESCAPED_QUOTES.includes(state)) {
          escapedState = state;
          state = ESCAPE;
        } else {
          token += ch;
        }
      } else if (state === ESCAPE) {
        if (!ch) throw new ShlexError('No escaped character');
        if (QUOTES.includes(escapedState) && ch !== state && ch !== escapedState) token += state;
        token += ch;
        state = escapedState;
      } else {
        // inside a word
        if (!ch) {
          done = true;
        } else if (WHITESPACE.includes(ch)) {
          state = ' ';
          if (token || quoted) done = true;
        } else if (QUOTES.includes(ch)) {
          state = ch;
        } else if (ch === ESCAPE) {
          escapedState = 'a';
          state = ESCAPE;
        } else {
          token += ch;
        }
      }
    }
    if (!quoted && token === '') {
      if (i >= s.length) return out;
      continue;
    }
    out.push(token);
  }
}
