// Status lines as supervisorctl prints them, with optional colour for the
// state word (terminal only; the padding is computed on the plain text so
// columns line up either way).
import { styleText } from 'node:util';
import type { ProcessInfo } from './api';
import { makeNamespec } from './api';
import { ljust, pyLen } from './python-text';

type Style = Parameters<typeof styleText>[0];

const STATE_STYLE: Record<string, Style> = {
  RUNNING: 'green',
  STARTING: 'yellow',
  BACKOFF: 'yellow',
  STOPPING: 'yellow',
  STOPPED: 'dim',
  EXITED: 'dim',
  FATAL: ['red', 'bold'],
  UNKNOWN: ['red', 'bold'],
};

export function statusLines(infos: readonly ProcessInfo[], color: boolean): string {
  const namespecs = infos.map((i) => makeNamespec(i.group, i.name));
  const width = Math.max(30, ...namespecs.map(pyLen)) + 3;
  let out = '';
  infos.forEach((info, i) => {
    const state = ljust(info.statename, 10);
    const style = color ? STATE_STYLE[info.statename] : undefined;
    const shown = style ? styleText(style, info.statename) + state.slice(info.statename.length) : state;
    out += ljust(namespecs[i] as string, width) + shown + info.description + '\n';
  });
  return out;
}

/** Whether to colour: stdout is a terminal and NO_COLOR is unset or empty. */
export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
