// Small helpers shared by tests.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository root, from build/js/test/... or from the env run-tests sets. */
export function repoRoot(): string {
  return process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');
}

export function cliPath(): string {
  return join(repoRoot(), 'build/tsv.cjs');
}

/** A seeded PRNG (mulberry32), so generated inputs are the same on every run. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** A TCP port on 127.0.0.1 that nothing listens on (free when this returns; a test binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/**
 * A port nothing listens on, and that stays so while tests run in parallel:
 * below the kernel's ephemeral range, where freePort() (port 0) never lands,
 * so another test's daemon cannot be given it minutes later.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const refused = await new Promise<boolean>((res) => {
      const c = connect({ port, host: '127.0.0.1' });
      c.once('connect', () => {
        c.destroy();
        res(false);
      });
      c.once('error', (e: NodeJS.ErrnoException) => res(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
}

/** Runs `body` with the process's time zone set to `tz` (Node rereads TZ when it is assigned), then puts it back. */
export function inZone<T>(tz: string, body: () => T): T {
  const before = process.env.TZ;
  process.env.TZ = tz;
  try {
    return body();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

/** TCP ports the process listens on (a debugger's, say). */
export function listeningTcp(pid: number): string[] {
  const mine = new Set(readdirSync(`/proc/${pid}/fd`).map((f) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${f}`);
    } catch {
      return '';
    }
  }));
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && mine.has(`socket:[${f[9]}]`))
    .map((f) => f[1] as string);
}
