// Python's shlex, both ways Supervisor uses it.
//
// shlex.shlex in its default non-POSIX mode, which Supervisor uses
// to split `environment=` (datatypes.dict_of_key_value_pairs). Non-POSIX
// mode keeps quotes inside tokens, has no escapes, treats '#' as a comment to
// the end of the line even in the middle of a word, and makes every other
// character outside `wordchars` (including '=' and ',' and any non-ASCII
// character) a token of its own. Those rules decide which environment lines
// Supervisor accepts, so they are reproduced exactly.

const BASE_WORDCHARS = 'abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;
const COMMENTERS = '#';

export function shlexTokensNonPosix(input: string, extraWordchars = ''): string[] {
  const wordchars = BASE_WORDCHARS + extraWordchars;
  const tokens: string[] = [];
  let pos = 0;
  const pushback: string[] = [];
  const readChar = (): string => (pos < input.length ? input[pos++] : '');
  const skipLine = (): void => {
    const nl = input.indexOf('\n', pos);
    pos = nl === -1 ? input.length : nl + 1;
  };
  let state: string | null = ' ';

  const readToken = (): string => {
    let token = '';
    for (;;) {
      const nextchar = pushback.length ? (pushback.shift() as string) : readChar();
      if (state === null) {
        return '';
      } else if (state === ' ') {
        if (!nextchar) {
          state = null;
          return token;
        } else if (WHITESPACE.includes(nextchar)) {
          if (token) return token;
        } else if (COMMENTERS.includes(nextchar)) {
          skipLine();
        } else if (wordchars.includes(nextchar)) {
          token = nextchar;
          state = 'a';
        } else if (QUOTES.includes(nextchar)) {
          token = nextchar;
          state = nextchar;
        } else {
          token = nextchar;
          return token;
        }
      } else if (QUOTES.includes(state)) {
        if (!nextchar) throw new Error('No closing quotation');
        token += nextchar;
        if (nextchar === state) {
          state = ' ';
          return token;
        }
      } else {
        // state 'a': inside a word
        if (!nextchar) {
          state = null;
          return token;
        } else if (WHITESPACE.includes(nextchar)) {
          state = ' ';
          if (token) return token;
        } else if (COMMENTERS.includes(nextchar)) {
          skipLine();
        } else if (wordchars.includes(nextchar) || QUOTES.includes(nextchar)) {
          token += nextchar;
        } else {
          pushback.unshift(nextchar);
          state = ' ';
          if (token) return token;
        }
      }
    }
  };

  for (;;) {
    const t = readToken();
    // Non-POSIX shlex signals the end with an empty token.
    if (t === '') break;
    tokens.push(t);
  }
  return tokens;
}

// ---- POSIX mode ----

// Python's shlex.split(s) (posix=True, whitespace_split=True, no comments),
// which Supervisor uses to turn `command=` into argv. Ported rule for rule so
// quoting, escapes and the two error messages match.

export class ShlexError extends Error {}

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
