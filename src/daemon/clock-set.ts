// Tells of the wall clock being set: an NTP step (a Raspberry Pi has no
// real-time clock and boots behind), `date -s`, a resume from suspend. Node's
// timers count on the monotonic clock, so a timer for a wall-clock time (a
// cron= time, the next TICK_3600) set before a step forward rang late by the
// step. A timerfd cancelled on each set (src/daemon/native/tsv_native.c)
// wakes the daemon then and never otherwise; it is open only while someone
// listens. Off Linux, or without the native helper, nobody is told and such
// timers ring late after a step (docs/differences.md).
import { closeSync } from 'node:fs';
import { loadNative, type ReadableWatch } from './native';

/** How far the wall clock moved against the monotonic one (ms) since the set told of before, or since the watch was opened. */
export type ClockStepListener = (stepMs: number) => void;

const listeners = new Set<ClockStepListener>();
let open: { fd: number; watch: ReadableWatch } | null = null;
let offset = 0;

const wallMinusMonotonic = (): number => Date.now() - performance.now();

function told(): void {
  const native = loadNative();
  if (!open || !native) return;
  const set = native.clockWasSet(open.fd);
  // a timerfd that cannot be armed again stays readable: no watch rather than a busy loop (timers then ring as without one)
  if (set < 0) return closeWatch();
  if (set === 0) return;
  const now = wallMinusMonotonic();
  const step = now - offset;
  offset = now;
  for (const l of [...listeners]) l(step);
}

function openWatch(): void {
  const native = loadNative();
  if (open || !native) return;
  const fd = native.clockSetWatch();
  if (fd < 0) return;
  offset = wallMinusMonotonic();
  open = { fd, watch: native.watchReadable(fd, told, false) };
  open.watch.start();
}

function closeWatch(): void {
  if (!open) return;
  open.watch.close();
  closeSync(open.fd);
  open = null;
}

/** Calls `listener` with the step each time the wall clock is set, until the returned function is called. */
export function onClockSet(listener: ClockStepListener): () => void {
  listeners.add(listener);
  openWatch();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) closeWatch();
  };
}
