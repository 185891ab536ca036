// After each full garbage collection, glibc is asked to give back the whole
// free pages its malloc arenas hold (malloc_trim). V8's GC threads allocate
// from arenas of their own, and what they free stays resident: with 1000
// programs, 6-8 MiB in the Node 24 binary. A full GC is when V8 has just
// freed what it can, and it comes after activity (V8's memory reducer runs a
// few once the daemon goes quiet), so this adds no wake-up of its own.
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { requireNative } from './native';

/** what a 'gc' entry carries beyond PerformanceEntry (Node 16+) */
interface GcEntry {
  readonly detail?: { readonly kind?: number } | null;
}

function isMajorGc(e: PerformanceEntry): boolean {
  return (e as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** Starts trimming after full GCs; returns what stops it. */
export function trimAfterFullGc(trim: () => number = () => requireNative().trimMemory()): () => void {
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMajorGc)) trim();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
