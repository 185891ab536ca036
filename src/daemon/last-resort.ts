// What the daemon does with an exception nobody caught (a bug in tsv).
//
// Node's default is to print the stack and exit. For a process supervisor
// that is the worst choice: every child is left running unsupervised (its
// output pipes gone, no restarts), and a daemon started again next to them
// starts a second copy of each. supervisord survives exceptions raised in its
// I/O handlers ("uncaptured python exception, closing channel") but dies of
// any other, leaving its children the same way. tsv logs every uncaught
// exception and unhandled promise rejection at CRIT with its stack, and keeps
// supervising: the services stay up, `tsv ctl` still answers, and the log says
// what went wrong. docs/differences.md lists this.
import type { MainLogger } from '../log/mainlog';
import { writeStdio } from '../log/stdio';

/** distinct stacks kept for "again" counting; more are logged in full each time */
const MAX_DISTINCT = 100;

function describe(err: unknown): { text: string; headline: string } {
  if (err instanceof Error) {
    const text = err.stack ?? `${err.name}: ${err.message}`;
    return { text, headline: `${err.name}: ${err.message}` };
  }
  let text: string;
  try {
    text = typeof err === 'string' ? err : `a thrown value that is not an Error: ${String(err)}`;
  } catch {
    text = 'a thrown value that cannot be printed';
  }
  return { text, headline: text.split('\n')[0] };
}

/** Installs the handler for one run of the daemon; returns its removal. */
export function keepRunningOnUncaught(logger: MainLogger): () => void {
  const seen = new Map<string, number>();
  const handler = (err: unknown, origin: NodeJS.UncaughtExceptionOrigin): void => {
    // a throw from inside this handler would end the process at once (exit 7)
    try {
      const what = origin === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception';
      const { text, headline } = describe(err);
      const count = (seen.get(text) ?? 0) + 1;
      if (count > 1) {
        seen.set(text, count);
        logger.critical(`${what} again (${count} times in all): ${headline}`);
        return;
      }
      if (seen.size < MAX_DISTINCT) seen.set(text, 1);
      logger.critical(`${what} in tsv (a bug: please report it); the daemon keeps supervising: ${text}`);
    } catch {
      writeStdio(2, `tsv daemon: uncaught exception: ${String(err)}\n`);
    }
  };
  process.on('uncaughtException', handler);
  return () => {
    process.off('uncaughtException', handler);
  };
}
