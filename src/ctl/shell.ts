// The interactive shell (supervisorctl's exec_cmdloop): runs `status` first,
// then reads actions at `<prompt>> ` until quit, exit, Ctrl-D or Ctrl-C, with
// completion of actions and process/group names and an optional history file.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Controller } from './controller';
import { Interrupted } from './line-input';
import type { ProcessInfo } from './api';
import { verbNames } from './verbs/index';

const GROUP_ACTIONS = new Set(['add', 'remove', 'update']);
// supervisorctl's, and tsv's own verbs that take process names
const PROCESS_ACTIONS = new Set(['attach', 'clear', 'fg', 'logs', 'pid', 'ps', 'restart', 'signal', 'start', 'status', 'stop', 'tail']);
/** Whether the shell completes names (groups or processes) after this verb. */
export function takesNames(verb: string): boolean {
  return GROUP_ACTIONS.has(verb) || PROCESS_ACTIONS.has(verb);
}

// readline's default word delimiters minus ':', '*' and '-', as supervisorctl sets them.
const DELIMS = ' \t\n`~!@#$%^&()=+[{]}\\|;\'",<>/?';

export function makeCompleter(ctl: Controller): { complete: (line: string) => Promise<[string[], string]>; reset: () => void } {
  let cache: ProcessInfo[] | null = null;
  const infos = async (): Promise<ProcessInfo[]> => {
    cache ??= await ctl.allProcessInfo();
    return cache;
  };
  const complete = async (line: string): Promise<[string[], string]> => {
    let start = line.length;
    while (start > 0 && !DELIMS.includes(line[start - 1] as string)) start--;
    const text = line.slice(start);
    const actions = (): string[] => ['help', ...verbNames(false).filter((v) => v !== 'EOF')].filter((a, i, all) => all.indexOf(a) === i).map((a) => a + ' ');
    let matches: string[] = [];
    const words = line.split(/\s+/).filter(Boolean);
    if (!line.trim() || (words.length === 1 && !line.endsWith(' ')) || words[0] === 'help') {
      matches = actions().filter((a) => a.startsWith(text));
    } else if (GROUP_ACTIONS.has(words[0] as string)) {
      const groups = [...new Set((await infos()).map((i) => i.group))];
      matches = groups.map((g) => g + ' ').filter((g) => g.startsWith(text));
    } else if (PROCESS_ACTIONS.has(words[0] as string)) {
      const names: string[] = [];
      for (const i of await infos()) {
        if (text.includes(':') || i.name !== i.group) {
          names.push(`${i.group}:${i.name}`);
          if (!names.includes(`${i.group}:*`)) names.push(`${i.group}:*`);
        } else {
          names.push(i.name);
        }
      }
      matches = names.map((n) => n + ' ').filter((n) => n.startsWith(text));
    }
    // readline lists them sorted (strcmp order in the C locale; node:readline lists them as given)
    return [matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), text];
  };
  return { complete, reset: () => (cache = null) };
}

function loadHistory(file: string | null): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

function saveHistory(file: string | null, lines: string[]): void {
  if (!file) return;
  try {
    // private when new, as readline's write_history makes it (what was typed may name more than programs)
    writeFileSync(file, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
  } catch {
    // supervisorctl ignores an unwritable history file too.
  }
}

export async function runShell(ctl: Controller): Promise<void> {
  const historyFile = ctl.options.historyFile;
  const loaded = loadHistory(historyFile);
  ctl.historyToLoad = loaded;
  const completer = makeCompleter(ctl);
  ctl.setCompleter(completer.complete);
  const input = ctl.lines();
  ctl.inShell = true;
  // On a terminal readline turns the Ctrl-C key into an event; a SIGINT sent
  // from elsewhere (kill, a wrapper passing it on) is Python's KeyboardInterrupt too.
  const onSigint = (): void => ctl.interrupt();
  process.on('SIGINT', onSigint);
  // A Ctrl-C while an RPC is under way ends the program at once (Python's
  // KeyboardInterrupt); supervisorctl saves its history at exit then too.
  const save = (): void => saveHistory(historyFile, input.terminal ? input.history() : loaded);
  process.on('exit', save);
  const queue = ['status'];
  try {
    for (;;) {
      let line = queue.shift();
      if (line === undefined) {
        const read = await input.readLine(ctl.prompt);
        line = read === null ? 'EOF' : read;
      }
      completer.reset();
      if (await ctl.onecmd(line)) break;
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    ctl.output('');
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('exit', save);
    save();
  }
}
