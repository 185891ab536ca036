// Python's getpass.getpass as supervisorctl meets it on Linux: the controlling
// terminal first, whatever stdin is (`printf 'status\nuser\n' | supervisorctl`
// in a terminal asks for the password on the terminal, not from the pipe),
// and stdin only where there is no terminal, after a warning on stderr.
import { constants, openSync, writeSync } from 'node:fs';
import type * as Tty from 'node:tty';

/** The controlling terminal, opened as getpass opens it; null when there is none. */
export function openControllingTerminal(): number | null {
  try {
    return openSync('/dev/tty', constants.O_RDWR | constants.O_NOCTTY);
  } catch {
    return null;
  }
}

let warned = false;

/**
 * What getpass writes to stderr when it cannot turn echo off, before the
 * prompt (the GetPassWarning once per process, as Python's warnings filter
 * shows it; its file:line would name Python's getpass.py, which tsv is not).
 */
export function fallbackWarning(): string {
  const first = warned ? '' : 'GetPassWarning: Can not control echo on the terminal.\n';
  warned = true;
  return `${first}Warning: Password input may be echoed.\n`;
}

export interface HiddenRead {
  /** The line typed, or null for Ctrl-D on an empty line (getpass's EOFError). */
  answer: Promise<string | null>;
  /** Ends the read at once (Ctrl-C routed from elsewhere); the promise then rejects with `err`. */
  cancel(err: Error): void;
}

/**
 * Reads one line from terminal `fd` with echo off, the prompt written there,
 * and the terminal's newline after an answer (never after an EOF or Ctrl-C, as
 * getpass). Raw mode, so the line editing of a terminal with echo off
 * (Backspace, Ctrl-U) is done here; Ctrl-C calls `onInterrupt`.
 */
export function readHidden(fd: number, prompt: string, onInterrupt: () => void): HiddenRead {
  const tty = require('node:tty') as typeof Tty;
  const input = new tty.ReadStream(fd);
  input.setRawMode(true);
  writeSync(fd, prompt);
  let typed = '';
  let settle: { resolve: (v: string | null) => void; reject: (e: Error) => void } | null = null;
  const answer = new Promise<string | null>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (outcome: { line: string | null } | { err: Error }): void => {
    if (!settle) return;
    const s = settle;
    settle = null;
    input.setRawMode(false);
    if ('line' in outcome && outcome.line !== null) writeSync(fd, '\n');
    input.destroy(); // and with it the fd
    if ('err' in outcome) s.reject(outcome.err);
    else s.resolve(outcome.line);
  };
  input.on('error', (err: Error) => finish({ err }));
  // the terminal hung up: the end of input
  input.on('end', () => finish({ line: null }));
  input.on('data', (chunk: Buffer) => {
    for (const ch of chunk.toString('utf8')) {
      if (!settle) return;
      if (ch === '\r' || ch === '\n') finish({ line: typed });
      else if (ch === '\x04') {
        // a terminal's VEOF: the end of input on an empty line, else nothing
        if (typed === '') finish({ line: null });
      } else if (ch === '\x03') onInterrupt();
      else if (ch === '\x7f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
      else if (ch === '\x15') typed = '';
      else typed += ch;
    }
  });
  return { answer, cancel: (err) => finish({ err }) };
}

