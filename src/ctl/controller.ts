// The ctl's command interpreter (supervisorctl.py Controller): parses one
// line into a verb and its argument string, runs it, turns failures into
// supervisorctl's messages and keeps the LSB exit status.
import { API_VERSION } from '../rpc/api-version';
import { RpcClient, RpcConnectionError, RpcHttpError } from '../rpc/client';
import { XmlRpcFault } from '../rpc/xmlrpc';
import type { XmlRpcValue } from '../rpc/xmlrpc';
import { Faults } from '../rpc/faults';
import type { CtlOptions } from './options';
import { errorLine } from './python-errors';
import { EndOfInput, LineInput, Interrupted } from './line-input';
import type { Completer } from './line-input';
import { findVerb } from './verbs/index';
import { tsvVersion } from '../cli/version';
import { ExitStatus } from './exit-status';
import { array, toProcessInfo, type ProcessInfo } from './api';
import { loadNative } from '../daemon/native';
import type { UnixConnector } from '../rpc/blocking-http';
import { pyStrip } from '../config/ini';
import { socketAccessHint } from './socket-access-hint';

/** Blocking unix-socket connections from tsv's native helper, when it is at hand (src/rpc/blocking-http.ts). */
function blockingConnector(): UnixConnector | null {
  const native = loadNative();
  return native && typeof native.connectUnix === 'function' ? (path) => native.connectUnix(path) : null;
}

const DEAD_PROGRAM_FAULTS: ReadonlySet<number> = new Set([Faults.SPAWN_ERROR, Faults.ABNORMAL_TERMINATION, Faults.NOT_RUNNING]);

export interface ControllerIO {
  write(text: string | Uint8Array): void;
  writeErr(text: string): void;
  /** Colours for status states: only on a terminal and without NO_COLOR. */
  color: boolean;
}

/** Python's cmd.Cmd.identchars: a verb is the leading run of these. */
const IDENT_RE = /^[A-Za-z0-9_]*/;

export class Controller {
  exitstatus: number = ExitStatus.SUCCESS;
  /** History for the line reader (the shell sets it before the first read). */
  historyToLoad: string[] | undefined;
  /** Running the interactive shell: an uncaught Ctrl-C leaves it with exit 0, as supervisorctl's does. */
  inShell = false;
  /** Calls go through the evented client, so a caller can give up on one that gets no answer (Tab completion). */
  evented = false;
  readonly options: CtlOptions;
  readonly io: ControllerIO;
  private client: RpcClient | null = null;
  private clientKey = '';
  private input: LineInput | null = null;
  private abortCurrent: (() => void) | null = null;
  private completer: Completer | undefined;
  private readonly clients: RpcClient[] = [];

  constructor(options: CtlOptions, io: ControllerIO) {
    this.options = options;
    this.io = io;
  }

  get prompt(): string {
    return `${this.options.prompt}> `;
  }

  output(message: string): void {
    this.io.write(message + '\n');
  }

  setCompleter(c: Completer): void {
    this.completer = c;
  }

  /** The shared line reader (stdin), created on first use. */
  lines(): LineInput {
    if (!this.input) {
      this.input = new LineInput({
        completer: this.completer,
        history: this.historyToLoad,
        onInterrupt: () => this.interrupt(),
      });
    }
    return this.input;
  }

  /**
   * A y/N question (reload, shutdown): true for an answer starting with y.
   * The end of input is what Python's input() raises, EOFError, whose
   * message is empty when the end came from a terminal (Ctrl-D).
   */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.rawInput(question);
    if (answer === null) throw new EndOfInput(this.lines().terminal ? '' : 'EOF when reading a line');
    return answer.toLowerCase().startsWith('y');
  }

  /** raw_input(prompt); null at end of input. */
  rawInput(prompt: string): Promise<string | null> {
    return this.lines().readLine(prompt);
  }

  /**
   * Runs `run` as the current interruptible operation (tail -f, fg): Ctrl-C
   * calls `abort` instead of ending the program.
   */
  async interruptible<T>(abort: () => void, run: () => Promise<T>): Promise<T> {
    const previous = this.abortCurrent;
    this.abortCurrent = abort;
    const onSigint = (): void => this.interrupt();
    // The shell routes Ctrl-C itself (readline event or its own listener).
    const installSignal = !this.inShell;
    if (installSignal) process.on('SIGINT', onSigint);
    try {
      return await run();
    } finally {
      this.abortCurrent = previous;
      if (installSignal) process.removeListener('SIGINT', onSigint);
    }
  }

  /** Ctrl-C: stop the running operation, or fail the pending read. */
  interrupt(): void {
    if (this.abortCurrent) {
      const a = this.abortCurrent;
      this.abortCurrent = null;
      this.input?.dropTypedAhead();
      a();
      return;
    }
    if (this.input && this.input.interruptRead()) return;
    // Nothing to interrupt gracefully (an RPC is under way): end the program
    // the way supervisorctl's KeyboardInterrupt does.
    this.close();
    if (this.inShell) {
      this.io.write('\n');
      process.exit(0);
    }
    process.exit(130);
  }

  rpcClient(): RpcClient {
    const o = this.options;
    const key = JSON.stringify([o.serverurl, o.username, o.password]);
    if (!this.client || key !== this.clientKey) {
      this.client = new RpcClient({
        serverurl: o.serverurl,
        username: o.username,
        password: o.password,
        userAgent: `tsv/${tsvVersion}`,
        // The shell keeps the evented client: Ctrl-C and typing ahead work while a call waits.
        connectUnix: this.inShell || this.evented ? null : blockingConnector(),
      });
      this.clients.push(this.client);
      this.clientKey = key;
    }
    return this.client;
  }

  /** supervisor.<method>(...params) */
  call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.rpcClient().call(`supervisor.${method}`, params);
  }

  /** supervisor.getAllProcessInfo(), typed */
  async allProcessInfo(): Promise<ProcessInfo[]> {
    return array(await this.call('getAllProcessInfo'), 'getAllProcessInfo').map(toProcessInfo);
  }

  setExitstatusFromFault(code: number, ignored?: number): void {
    if (code === ignored || code === Faults.SUCCESS) return;
    this.exitstatus = DEAD_PROGRAM_FAULTS.has(code) ? ExitStatus.NOT_RUNNING : ExitStatus.GENERIC;
  }

  /** supervisorctl's upcheck: is a compatible supervisord answering? */
  async upcheck(): Promise<boolean> {
    try {
      const api = await this.call('getVersion');
      if (api !== API_VERSION) {
        this.output(
          `Sorry, this version of supervisorctl expects to talk to a server with API version ${API_VERSION}, but the remote version is ${String(api)}.`,
        );
        this.exitstatus = ExitStatus.NOT_INSTALLED;
        return false;
      }
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        if (err.faultCode === Faults.UNKNOWN_METHOD) {
          this.output(
            'Sorry, supervisord responded but did not recognize the supervisor namespace commands that supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).',
          );
          this.exitstatus = ExitStatus.UNIMPLEMENTED_FEATURE;
          return false;
        }
        this.exitstatus = ExitStatus.GENERIC;
        throw err;
      }
      if (err instanceof RpcConnectionError) {
        if (err.code === 'ECONNREFUSED') {
          this.output(`${this.options.serverurl} refused connection`);
          this.exitstatus = ExitStatus.INSUFFICIENT_PRIVILEGES;
          return false;
        }
        if (err.code === 'ENOENT') {
          this.output(`${this.options.serverurl} no such file`);
          this.exitstatus = ExitStatus.NOT_RUNNING;
          return false;
        }
        this.exitstatus = ExitStatus.GENERIC;
      }
      throw err;
    }
    return true;
  }

  /**
   * Runs one command line. Resolves true when the shell should stop
   * (quit, exit, EOF).
   */
  async onecmd(rawLine: string): Promise<boolean> {
    let line = pyStrip(rawLine);
    if (!line) return false;
    if (line[0] === '?') line = 'help ' + line.slice(1);
    else if (line[0] === '!') {
      this.default(line);
      return false;
    }
    const verbName = (IDENT_RE.exec(line) as RegExpExecArray)[0];
    const arg = pyStrip(line.slice(verbName.length));
    if (verbName === '') {
      this.default(line);
      return false;
    }
    const verb = findVerb(verbName);
    if (!verb) {
      this.default(line);
      return false;
    }
    try {
      try {
        return (await verb.run(this, arg)) === true;
      } catch (err) {
        if (err instanceof RpcHttpError && err.status === 401) {
          this.output('Server requires authentication');
          if (this.options.interactive) {
            // Ctrl-D at either prompt is an EOFError: an error line, and the shell goes on
            const eof = (): EndOfInput => new EndOfInput(this.lines().terminal ? '' : 'EOF when reading a line');
            const username = await this.rawInput('Username:');
            if (username === null) throw eof();
            const password = await this.lines().readSecret('Password:');
            // getpass's own EOFError has no message, terminal or not
            if (password === null) throw new EndOfInput('');
            this.output('');
            this.options.username = username;
            this.options.password = password;
            return this.onecmd(line);
          }
          this.exitstatus = ExitStatus.GENERIC;
        } else {
          if (!(err instanceof Interrupted)) this.exitstatus = ExitStatus.GENERIC;
          throw err;
        }
      }
      // supervisorctl falls through and runs the action once more after a
      // non-interactive 401; the second failure is reported as an error line.
      return (await verb.run(this, arg)) === true;
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      if (err instanceof RpcConnectionError && err.code === 'EACCES') {
        const hint = socketAccessHint(this.options.serverurl);
        if (hint) this.io.writeErr(`${hint}\n`);
      }
      this.output(errorLine(err));
      this.exitstatus = ExitStatus.GENERIC;
      return false;
    }
  }

  default(line: string): void {
    this.output(`*** Unknown syntax: ${line}`);
    this.exitstatus = ExitStatus.GENERIC;
  }

  close(): void {
    for (const c of this.clients) c.close();
    this.clients.length = 0;
    this.client = null;
    this.input?.close();
    this.input = null;
  }
}
