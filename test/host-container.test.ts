// The nspawn helper's own promise: a machine it kills is gone, with every
// process in it. A booted machine whose init outlived nspawn went on running
// its daemons on the host, and the next run's tests counted them as their own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Container, containerSupport } from './helpers/host-container';

const support = containerSupport();

/** Host pids of the processes in a pid namespace. */
function pidsIn(ns: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) === ns) pids.push(Number(name));
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return pids;
}

describe('host: the container helper', { skip: support ?? false }, () => {
  for (const init of ['systemd', 'none'] as const) {
    test(`kill() takes down the machine (${init === 'systemd' ? 'booted' : 'not booted'}) and everything it runs`, async () => {
      const c = await Container.create('base', { init });
      try {
        await c.start();
        const ns = readlinkSync(`/proc/${c.leader}/ns/pid`);
        c.must('setsid sleep 7777 </dev/null >/dev/null 2>&1 &');
        const before = pidsIn(ns);
        assert.ok(before.length >= 2, `the machine's init and the sleep run: ${before}`);
        c.kill();
        // reaping is the kernel's and the host init's, not instant
        let left = pidsIn(ns);
        for (let i = 0; i < 50 && left.length > 0; i++) {
          await sleep(100);
          left = pidsIn(ns);
        }
        assert.deepEqual(left, [], `processes of the killed machine still run on the host: ${left}`);
      } finally {
        await c.destroy();
      }
    });
  }
});
