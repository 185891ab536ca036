// Line input for the ctl: the shell's prompt (readline editing, completion and
// history on a terminal), the y/N confirmations, fg's stdin and the password
// prompt. Lines are queued as they arrive so nothing typed or piped ahead of a
// slow command is lost, and each read prints its prompt the way Python's
// input() does (also when stdin is not a terminal).
import type * as Readline from 'node:readline';
import { fallbackWarning, openControllingTerminal, readHidden } from './getpass';
import type { HiddenRead } from './getpass';

// Loaded when a LineInput is made: a one-shot `tsv status` never reads a line.
const readline = (): typeof Readline => require('node:readline') as typeof Readline;

export type Completer = (line: string) => Promise<[string[], string]>;

/** Ctrl-C while a read was pending (Python's KeyboardInterrupt). */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** End of input where an answer was wanted (Python's input() raising EOFError). */
export class EndOfInput extends Error {
  override name = 'EOFError';
}

export interface LineInputOptions {
  completer?: Completer;
  history?: string[];
  onInterrupt: () => void;
}

type Waiter = { resolve: (line: string | null) => void; reject: (err: Error) => void };

/**
 * On TERM=dumb node:readline takes keys through a minimal handler that adds
 * Backspace to the line as a character (`pid café<BS>` asks for `café\x7f`);
 * GNU readline, Python's, erases on any terminal. Here Backspace erases the
 * last character, shown as a dumb terminal can: back, blank, back.
 */
function eraseOnBackspace(rl: Readline.Interface): void {
  const inner = rl as unknown as { _ttyWrite?: (s: string, key?: { name?: string; ctrl?: boolean; meta?: boolean }) => void; line: string; cursor: number };
  const dumb = inner._ttyWrite;
  if (typeof dumb !== 'function') return;
  inner._ttyWrite = (s, key) => {
    if (key?.name !== 'backspace' || key.meta) return dumb.call(rl, s, key);
    const chars = [...inner.line];
    if (!chars.length) return;
    chars.pop();
    inner.line = chars.join('');
    inner.cursor = inner.line.length;
    process.stdout.write('\b \b');
  };
}

export class LineInput {
  readonly terminal: boolean;
  private rl: Readline.Interface;
  private readonly queue: string[] = [];
  private eof = false;
  /** Ctrl-D on a terminal while no read waited: the next read gets the end of input */
  private eofOnce = false;
  private closing = false;
  private readonly opts: LineInputOptions;
  private waiter: Waiter | null = null;
  /** While reading a secret: the prompt to keep showing, everything else typed is hidden. */
  private muted: string | null = null;
  /** A password being read from the controlling terminal while stdin is not one. */
  private hidden: HiddenRead | null = null;
  private historyLines: string[];

  constructor(opts: LineInputOptions) {
    this.terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    this.historyLines = opts.history ? [...opts.history].reverse() : [];
    this.opts = opts;
    this.rl = this.open();
    if (!this.terminal) this.rl.pause();
  }

  private open(): Readline.Interface {
    const completer = this.opts.completer;
    const rl = readline().createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: this.terminal,
      historySize: 10000,
      removeHistoryDuplicates: false,
      history: this.terminal ? [...this.historyLines] : [],
      completer: completer
        ? (line: string, cb: (err: Error | null, result: [string[], string]) => void): void => {
            completer(line).then(
              (r) => cb(null, r),
              () => cb(null, [[], line]),
            );
          }
        : undefined,
    } as Readline.ReadLineOptions);
    // Password prompts must not echo: readline writes every keystroke here.
    const rlInternal = rl as unknown as { _writeToOutput?: (s: string) => void };
    const write = rlInternal._writeToOutput?.bind(rl);
    if (write) {
      rlInternal._writeToOutput = (s: string): void => {
        if (this.muted === null) write(s);
        else if (s.startsWith(this.muted)) write(this.muted);
        else if (s === '\r\n') write(s); // Enter
      };
    }
    if (this.terminal && process.env.TERM === 'dumb') eraseOnBackspace(rl);
    rl.on('history', (h: string[]) => {
      this.historyLines = [...h];
    });
    rl.on('line', (line) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(line);
      } else {
        this.queue.push(line);
      }
    });
    rl.on('close', () => {
      // Ctrl-D on a terminal ends one read, as Python's input() raises EOFError
      // once: the terminal is still there for the next (a y/N answered with it);
      // a terminal that went away (hang-up) ends the input for good
      const once = this.terminal && !this.closing && !process.stdin.readableEnded;
      if (!once) this.eof = true;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(null);
      } else if (once) {
        this.eofOnce = true;
      }
      if (once) this.rl = this.open();
    });
    rl.on('SIGINT', () => this.opts.onInterrupt());
    return rl;
  }

  /** Prints `prompt` and resolves with the next line, or null at end of input. */
  readLine(prompt: string): Promise<string | null> {
    if (this.terminal) {
      this.rl.setPrompt(prompt);
      if (!this.queue.length && !this.eof) this.rl.prompt();
      else process.stdout.write(prompt);
    } else {
      process.stdout.write(prompt);
    }
    if (this.queue.length) return Promise.resolve(this.queue.shift() as string);
    if (this.eofOnce) {
      this.eofOnce = false;
      return Promise.resolve(null);
    }
    if (this.eof) return Promise.resolve(null);
    if (!this.terminal) this.rl.resume();
    return new Promise<string | null>((resolve, reject) => {
      this.waiter = { resolve, reject };
    }).finally(() => {
      if (!this.terminal && !this.eof) this.rl.pause();
    });
  }

  /**
   * getpass: on the shell's own terminal, readline with nothing echoed; else
   * on the controlling terminal if there is one (stdin is a pipe, the person
   * is at a terminal); else from stdin, the warning and prompt on stderr.
   */
  async readSecret(prompt: string): Promise<string | null> {
    if (this.terminal) {
      this.muted = prompt;
      try {
        return await this.readLine(prompt);
      } finally {
        this.muted = null;
      }
    }
    const fd = openControllingTerminal();
    if (fd !== null) {
      this.hidden = readHidden(fd, prompt, () => this.opts.onInterrupt());
      try {
        return await this.hidden.answer;
      } finally {
        this.hidden = null;
      }
    }
    process.stderr.write(fallbackWarning() + prompt);
    const line = await this.readLine('');
    if (line !== null) process.stderr.write('\n');
    return line;
  }

  /** Fails the pending read with Interrupted; false when nothing was waiting. */
  interruptRead(): boolean {
    if (this.hidden) {
      this.hidden.cancel(new Interrupted());
      return true;
    }
    if (!this.waiter) return false;
    const w = this.waiter;
    this.waiter = null;
    if (this.terminal) this.rl.write('', { ctrl: true, name: 'u' }); // drop the half-typed line
    w.reject(new Interrupted());
    return true;
  }

  /**
   * Lines typed ahead while a command ran, and the half-typed one: dropped
   * when Ctrl-C ends that command, as the terminal's own Ctrl-C flushes what
   * was typed under supervisorctl (a `stop all` typed while watching a tail
   * must not run after it).
   */
  dropTypedAhead(): void {
    if (!this.terminal) return;
    this.queue.length = 0;
    // Emptied without readline's redraw (which would put a prompt under a
    // tail -f's output): what was typed stays on the screen, as the
    // terminal's echo of it does under supervisorctl.
    const state = this.rl as unknown as { line: string; cursor: number };
    state.line = '';
    state.cursor = 0;
  }

  /** Oldest first, as a readline history file stores them. */
  history(): string[] {
    return [...this.historyLines].reverse();
  }

  close(): void {
    this.closing = true;
    this.rl.close();
  }
}
