// glibc's free arena pages go back to the system once V8's full collections
// have stopped for a moment (src/daemon/malloc-trim.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimWhenQuiet } from '../src/daemon/malloc-trim';
import { requireNative } from '../src/daemon/native';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// Each file runs in a process of its own; these tests end within ~4 s of
// their first full collection, before V8's memory reducer (8 s after a full
// collection) would add one of its own. A wait of QUIET/8 leaves the event
// loop 7/8 of QUIET to be late before a trim could fire early.
const QUIET = 400;

test('a full collection is followed by one trim once the quiet has passed; young-generation collections alone are not', async () => {
  let trims = 0;
  const stop = trimWhenQuiet(() => ++trims, QUIET);
  try {
    // garbage that dies young: scavenges only
    let keep = 0;
    for (let i = 0; i < 2_000_000; i++) keep += [i, i + 1].length;
    assert.ok(keep > 0);
    await wait(QUIET * 2);
    assert.equal(trims, 0, 'trimmed without a full collection');
    fullGc();
    await wait(QUIET / 8);
    assert.equal(trims, 0, 'trimmed before the quiet had passed');
    await wait(QUIET * 2);
    assert.equal(trims, 1);
  } finally {
    stop();
  }
});

test('full collections in a row push the trim back: one trim, after the last of them', async () => {
  let trims = 0;
  let trimmedAt = 0;
  const stop = trimWhenQuiet(() => {
    trimmedAt = performance.now();
    return ++trims;
  }, QUIET);
  try {
    let lastGc = 0;
    for (let i = 0; i < 5; i++) {
      fullGc();
      lastGc = performance.now();
      await wait(QUIET / 8);
      assert.equal(trims, 0, `trimmed during the collections (after ${i + 1})`);
    }
    await wait(QUIET * 2);
    assert.equal(trims, 1);
    assert.ok(trimmedAt - lastGc >= QUIET * 0.9, `trimmed ${(trimmedAt - lastGc).toFixed(0)} ms after the last collection`);
  } finally {
    stop();
  }
});

test('stopped: a pending trim is dropped and later collections trim nothing', async () => {
  let trims = 0;
  const stop = trimWhenQuiet(() => ++trims, QUIET);
  fullGc();
  await wait(QUIET / 8);
  stop();
  fullGc();
  await wait(QUIET * 3);
  assert.equal(trims, 0);
});

test('the native trim answers 0 or 1 (1: pages went back; always 0 off glibc)', () => {
  const r = requireNative().trimMemory();
  assert.ok(r === 0 || r === 1, String(r));
});
