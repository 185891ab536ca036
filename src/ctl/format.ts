// Status lines as supervisorctl prints them, with optional colour for the
// state word (terminal only; the padding is computed on the plain text so
// columns line up either way).
import type { ProcessInfo } from './api';
import { makeNamespec } from './api';
import { ljust, pyLen } from './python-text';

// SGR codes written directly: util.styleText decides by itself (from CI and
// TERM variables) whether to colour, and useColor() below is the one decision.
type Style = [open: string, close: string];
const GREEN: Style = ['\x1b[32m', '\x1b[39m'];
const YELLOW: Style = ['\x1b[33m', '\x1b[39m'];
const DIM: Style = ['\x1b[2m', '\x1b[22m'];
const RED_BOLD: Style = ['\x1b[31m\x1b[1m', '\x1b[22m\x1b[39m'];

const STATE_STYLE: Record<string, Style> = {
  RUNNING: GREEN,
  STARTING: YELLOW,
  BACKOFF: YELLOW,
  STOPPING: YELLOW,
  STOPPED: DIM,
  EXITED: DIM,
  FATAL: RED_BOLD,
  UNKNOWN: RED_BOLD,
};

export function statusLines(infos: readonly ProcessInfo[], color: boolean): string {
  const namespecs = infos.map((i) => makeNamespec(i.group, i.name));
  const width = Math.max(30, ...namespecs.map(pyLen)) + 3;
  let out = '';
  infos.forEach((info, i) => {
    out += ljust(namespecs[i] as string, width) + stateColumn(info.statename, 10, color) + info.description + '\n';
  });
  return out;
}

/** The state word padded to width, coloured (when color) without the padding. */
export function stateColumn(statename: string, width: number, color: boolean): string {
  const state = ljust(statename, width);
  const style = color ? STATE_STYLE[statename] : undefined;
  return style ? style[0] + statename + style[1] + state.slice(statename.length) : state;
}

/** Whether to colour: stdout is a terminal and NO_COLOR is unset or empty. */
export function useColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  // no TERM at all is a terminal of unknown kind, which GNU readline takes for dumb
  return isTTY && !env.NO_COLOR && Boolean(env.TERM) && env.TERM !== 'dumb';
}
