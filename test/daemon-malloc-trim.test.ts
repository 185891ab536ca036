// Free malloc pages go back to the system after each full GC (src/daemon/malloc-trim.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimAfterFullGc } from '../src/daemon/malloc-trim';
import { requireNative } from '../src/daemon/native';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

test('a full GC is followed by one trim; young-generation collections alone are not', async () => {
  let trims = 0;
  const stop = trimAfterFullGc(() => ++trims);
  try {
    // garbage that dies young: scavenges only
    let keep = 0;
    for (let i = 0; i < 2_000_000; i++) keep += [i, i + 1].length;
    assert.ok(keep > 0);
    await turn();
    assert.equal(trims, 0, 'trimmed without a full GC');
    fullGc();
    await turn();
    assert.equal(trims, 1);
  } finally {
    stop();
  }
  fullGc();
  await turn();
  assert.equal(trims, 1, 'still trimming once stopped');
});

test('the native trim answers 0 or 1 (1: pages went back; always 0 off glibc)', () => {
  const r = requireNative().trimMemory();
  assert.ok(r === 0 || r === 1, String(r));
});
