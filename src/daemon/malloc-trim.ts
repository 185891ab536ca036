// glibc keeps what V8's worker threads free in their own malloc arenas, and
// it stays resident: with 1000 programs, ~7.6 of the 7.9 MiB those arenas
// held were free (malloc_info, Node 24). Once V8's full collections have
// stopped for a moment, the daemon asks glibc to give those pages back
// (malloc_trim). Full collections follow activity (V8's memory reducer runs a
// few after it), so a daemon at rest is not woken by this; during a burst of
// collections the wait restarts with each, so trimming, which walks every
// arena under its lock, never runs in the middle of the work.
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { requireNative } from './native';

/** what a 'gc' entry carries beyond PerformanceEntry */
interface GcEntry {
  readonly detail?: { readonly kind?: number } | null;
}

function isMajorGc(e: PerformanceEntry): boolean {
  return (e as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** the quiet after the last full collection before the trim */
const TRIM_QUIET_MS = 1000;

/** Starts trimming after full collections; returns what stops it. */
export function trimWhenQuiet(trim: () => number = () => requireNative().trimMemory(), quietMs = TRIM_QUIET_MS): () => void {
  let timer: NodeJS.Timeout | null = null;
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some(isMajorGc)) return;
    if (timer) timer.refresh();
    else
      timer = setTimeout(() => {
        timer = null;
        trim();
      }, quietMs).unref();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
