// Following a log over HTTP (tail -f, maintail -f, fg): GET /logtail/... or
// /mainlogtail and copy the chunked body to stdout until the server closes it
// or the user presses Ctrl-C. Problems go to stderr in the words of
// Supervisor's http_client (`<url> Cannot read, status code 401`).
import type { IncomingMessage } from 'node:http';
import type { Controller } from '../controller';
import { RpcHttpError } from '../../rpc/client';
import { pythonException } from '../python-errors';
import { onBrokenPipe } from '../../cli/output-errors';

export interface Follow {
  /** Settles when the stream ends (or failed to open, reported on stderr). */
  done: Promise<void>;
  stop(): void;
}

export function follow(ctl: Controller, path: string): Follow {
  const url = ctl.options.serverurl + path;
  let res: IncomingMessage | null = null;
  let stopped = false;
  const done = (async (): Promise<void> => {
    try {
      // supervisorctl sends a name as it is, UTF-8 included, which node:http refuses to send
      // (and sends é as one byte): both daemons unquote the path, so %XX is the same request.
      // Printable ASCII stays as it is, so `%` or `?` in a name reach them as they do from supervisorctl.
      res = await ctl.rpcClient().stream(path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)));
    } catch (err) {
      if (stopped) return;
      if (err instanceof RpcHttpError) {
        ctl.io.writeErr(`${url} Cannot read, status code ${err.status}\n`);
      } else {
        const { cls, message } = pythonException(err);
        ctl.io.writeErr(`${url} Cannot connect, error: <class '${cls}'> (${message})\n`);
      }
      return;
    }
    if (stopped) {
      res.destroy();
      return;
    }
    const stream = res;
    // a reader that goes away (`| head -1`) breaks supervisorctl's write: its http_client says so, and the ctl ends with status 0
    onBrokenPipe(`${url} Cannot connect, error: <class 'BrokenPipeError'> ([Errno 32] Broken pipe)\n`);
    try {
      await new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => ctl.io.write(chunk));
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
    } finally {
      onBrokenPipe(null);
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      res?.destroy();
    },
  };
}

/** _tailf: banner, then follow `path` until it ends or Ctrl-C (which prints an empty line). */
export async function tailFollow(ctl: Controller, path: string): Promise<void> {
  ctl.output('==> Press Ctrl-C to exit <==');
  const f = follow(ctl, path);
  let interrupted = false;
  let wake: () => void = () => {};
  const interruptedP = new Promise<void>((resolve) => (wake = resolve));
  await ctl.interruptible(
    () => {
      interrupted = true;
      f.stop();
      wake();
    },
    () => Promise.race([f.done, interruptedP]),
  );
  // in the shell readline holds the terminal raw: the key was not echoed as the terminal echoes it under supervisorctl
  if (interrupted) ctl.output(ctl.inShell && ctl.lines().terminal ? '^C' : '');
}

/** between attempts to reach a daemon that went away (`tsv logs`, `tsv events -f`; client side: the daemon never polls) */
export const RECONNECT_MS = 500;

/** RECONNECT_MS; `setWake` is given the function that ends it sooner (Ctrl-C). */
export function reconnectPause(setWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, RECONNECT_MS);
    setWake(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
