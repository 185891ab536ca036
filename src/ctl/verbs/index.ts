// Every supervisorctl action, by name.
import type { Verb } from './types';
import { add } from './add';
import { attach } from './attach';
import { avail } from './avail';
import { clear } from './clear';
import { events } from './events';
import { fg } from './fg';
import { help } from './help';
import { logs } from './logs';
import { maintail } from './maintail';
import { open } from './open';
import { pid } from './pid';
import { ps } from './ps';
import { eof, exit, quit } from './quit';
import { reload } from './reload';
import { remove } from './remove';
import { reread } from './reread';
import { restart } from './restart';
import { shutdown } from './shutdown';
import { signal } from './signal';
import { start } from './start';
import { status } from './status';
import { stop } from './stop';
import { tail } from './tail';
import { update } from './update';
import { version } from './version';

let registry: Map<string, Verb> | null = null;

function verbs(): Map<string, Verb> {
  // Built on first use: the modules import each other (help lists them all).
  registry ??= new Map(
    [add, attach, avail, clear, eof, events, exit, fg, help, logs, maintail, open, pid, ps, quit, reload, remove, reread, restart, shutdown, signal, start, status, stop, tail, update, version].map(
      (v) => [v.name, v],
    ),
  );
  return registry;
}

export function findVerb(name: string): Verb | undefined {
  return verbs().get(name);
}

/** Sorted action names; `listedOnly` keeps the ones `help` shows. */
export function verbNames(listedOnly = false): string[] {
  return [...verbs().values()]
    .filter((v) => !listedOnly || v.listed)
    .map((v) => v.name)
    .sort();
}
