// `tsv selftest native` and `tsv selftest pty`: hidden checks that this
// binary's native addons extract and load and that a pseudo-terminal works,
// for the dist tests and for diagnosing a host (noexec /tmp, odd permissions).
import { loadEmbeddedAddon, nativeAddonStatus, type NativeAddonName } from './assets';
import { isSingleExecutable } from './sea';
import { versionLine } from '../cli/version';
import { PtyUnavailableError, spawnPty } from '../pty/load';

const USAGE = 'usage: tsv selftest native | tsv selftest pty [--input TEXT] [--] [COMMAND [ARG...]]\n';

function checkNative(): number {
  const sea = isSingleExecutable();
  process.stdout.write(`${versionLine()}, ${sea ? 'single executable' : 'not a single executable'}\n`);
  let bad = 0;
  for (const name of ['pty', 'tsv_native'] as NativeAddonName[]) {
    const st = nativeAddonStatus(name);
    if (!st.path) {
      process.stdout.write(`${name}: unavailable: ${st.error}\n`);
      if (sea) bad++;
      continue;
    }
    try {
      loadEmbeddedAddon(name);
      process.stdout.write(`${name}: ${st.path}\n`);
    } catch (e) {
      process.stdout.write(`${name}: unavailable: ${(e as Error).message}\n`);
      bad++;
    }
  }
  return bad ? 1 : 0;
}

/** Runs COMMAND (default `tty`) on a pseudo-terminal, copies its output to stdout and exits with its status. */
function checkPty(args: string[]): Promise<number> {
  let input: string | null = null;
  let i = 0;
  for (; i < args.length; i++) {
    if (args[i] === '--input') input = (args[++i] ?? '').replace(/\\n/g, '\n');
    else if (args[i] === '--') {
      i++;
      break;
    } else break;
  }
  const cmd = args.slice(i);
  if (cmd.length === 0) cmd.push('tty');
  let pty;
  try {
    pty = spawnPty(cmd[0], cmd.slice(1));
  } catch (e) {
    const msg = e instanceof PtyUnavailableError ? e.message : `cannot start ${cmd[0]} on a pty: ${(e as Error).message}`;
    process.stderr.write(`tsv: ${msg}\n`);
    return Promise.resolve(1);
  }
  const child = pty;
  return new Promise((resolve) => {
    child.onData((d) => process.stdout.write(d));
    child.onExit(({ exitCode, signal }) => resolve(signal ? 128 + signal : exitCode));
    if (input !== null) child.write(input);
  });
}

export async function runSelftest(args: string[]): Promise<number> {
  if (args[0] === 'native') return checkNative();
  if (args[0] === 'pty') return checkPty(args.slice(1));
  process.stderr.write(USAGE);
  return 2;
}
