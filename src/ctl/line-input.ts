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

type ReadlineInternals = {
  _ttyWrite: (s: string, key?: unknown) => void;
  _refreshLine: () => void;
  _moveCursor: (dx: number) => void;
  _writeToOutput: (s: string) => void;
  line: string;
  cursor: number;
};

/**
 * Line editing on TERM=dumb. node:readline falls back there to a handler
 * that only appends keys (no completion, arrows or history, and Backspace
 * taken for a character), because it draws the line with cursor escapes a
 * dumb terminal cannot show; GNU readline, Python's, edits there with what
 * such a terminal has: backspace to move left, rewriting characters to move
 * right, blanks to erase. This keeps node's full key handling and draws as
 * readline does, updating only what changed from what is shown. One
 * character is taken as one column; a line longer than the terminal is
 * not scrolled as readline's horizontal mode would.
 */
class DumbTerminalLine {
  /** what is on the terminal's current line, from its first column */
  private shown: string[] = [];
  private col = 0;
  private readonly write: (s: string) => void;

  constructor(private readonly rl: Readline.Interface) {
    const inner = rl as unknown as ReadlineInternals;
    const full = (readline().Interface.prototype as unknown as ReadlineInternals)._ttyWrite;
    this.write = inner._writeToOutput.bind(rl);
    inner._ttyWrite = full;
    inner._refreshLine = () => this.draw();
    inner._moveCursor = (dx: number) => {
      inner.cursor = Math.max(0, Math.min(inner.line.length, inner.cursor + dx));
      this.draw();
    };
    // readline's own writes (a character typed at the end, the Enter, a
    // completion list) move the terminal's cursor as well
    inner._writeToOutput = (s: string) => {
      this.write(s);
      this.wrote(s);
    };
  }

  /** A new read starts at the first column, as Python's input() takes it to. */
  fresh(): void {
    this.shown = [];
    this.col = 0;
  }

  private wrote(s: string): void {
    const lineEnd = Math.max(s.lastIndexOf('\n'), s.lastIndexOf('\r'));
    if (lineEnd >= 0) {
      this.shown = [];
      this.col = 0;
      s = s.slice(lineEnd + 1);
    }
    for (const ch of s) this.shown[this.col++] = ch;
  }

  private draw(): void {
    const inner = this.rl as unknown as ReadlineInternals & { getPrompt(): string };
    const prompt = [...inner.getPrompt()];
    const want = [...prompt, ...inner.line];
    const to = prompt.length + [...inner.line.slice(0, inner.cursor)].length;
    const old = this.shown;
    let same = 0;
    while (same < old.length && same < want.length && old[same] === want[same]) same++;
    // left by backspacing, right by writing again what is already there
    const move = (from: number, at: number): string => (from > at ? '\b'.repeat(from - at) : want.slice(from, at).join(''));
    let out: string;
    if (same === want.length && same === old.length) {
      out = move(this.col, to);
    } else {
      out = move(this.col, same) + want.slice(same).join('');
      let at = want.length;
      if (old.length > want.length) {
        out += ' '.repeat(old.length - want.length);
        at = old.length;
      }
      out += '\b'.repeat(at - to);
    }
    this.shown = want;
    this.col = to;
    if (out) this.write(out);
  }
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
  private dumb: DumbTerminalLine | null = null;

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
    this.dumb = this.terminal && (!process.env.TERM || process.env.TERM === 'dumb') ? new DumbTerminalLine(rl) : null;
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
      if (!this.queue.length && !this.eof) {
        this.dumb?.fresh();
        this.rl.prompt();
      }
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
    // the half-typed line is dropped but stays on the screen, as with
    // supervisorctl (readline's Ctrl-U would redraw an empty prompt)
    if (this.terminal) this.forgetLine();
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
    // without readline's redraw, which would put a prompt under a tail -f's
    // output: what was typed stays on the screen, as the terminal's echo of
    // it does under supervisorctl
    this.forgetLine();
  }

  private forgetLine(): void {
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
