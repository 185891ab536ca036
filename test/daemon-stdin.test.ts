// A program's stdin as sendProcessStdin fills it: input that does not fit in
// the pipe waits in the daemon and reaches the program whole and in order; a
// program that closes its stdin turns the rest into NO_FILE, as Supervisor
// does; and what a program leaves unread is bounded (tsv's FAILED beyond
// MAX_PENDING_INPUT, where Supervisor would hold any amount).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { TempDir, engineApi, load, sleep, startEngine, waitState, writeConf } from './helpers/daemon-env';
import { ProcessState } from '../src/daemon/states';
import { SupervisorFault } from '../src/daemon/faults';
import { MAX_PENDING_INPUT } from '../src/daemon/child-input';

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SupervisorFault) return `${e.code} ${e.text}`;
    throw e;
  }
  return 'no fault';
}

async function fileReaches(file: string, size: number, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  const now = (): number => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  while (now() < size && Date.now() < deadline) await sleep(20);
  assert.equal(now(), size, `${file}: ${now()} of ${size} bytes`);
}

const BODY = `
[program:slow]
; reads nothing for a while, then everything
command=/bin/sh -c "sleep 0.5; exec cat"
startsecs=0
stdout_logfile=%(here)s/slow.out

[program:deaf]
command=/bin/sleep 100000
startsecs=0

[program:quits]
; reads 100000 bytes, then closes its stdin and stays up
command=/bin/sh -c "head -c 100000 >/dev/null; exec 0<&-; exec /bin/sleep 100000"
startsecs=0
`;

test('sendProcessStdin: input beyond a full pipe waits for the program, whole and in order; its stdin closed is NO_FILE; unread input is bounded', async () => {
  const dir = new TempDir();
  const conf = writeConf(dir, BODY);
  const te = startEngine(load(conf));
  const a = engineApi(te, conf);
  try {
    for (const name of ['slow', 'deaf', 'quits']) await waitState(te.engine, name, ProcessState.RUNNING);

    // 3 MiB in 48 calls while the program is not reading: the pipe takes 64 KiB
    const chunks = Array.from({ length: 48 }, (_, i) => Buffer.from(`${String(i).padStart(4, '0')}:${'x'.repeat(65531)}\n`));
    for (const c of chunks) assert.equal(a.sendProcessStdin('slow', c), true);
    const all = Buffer.concat(chunks);
    await fileReaches(dir.join('slow.out'), all.length);
    assert.ok(readFileSync(dir.join('slow.out')).equals(all), 'the bytes, in order');

    // the program closes its stdin with input still waiting: that input is dropped, and then NO_FILE
    assert.equal(a.sendProcessStdin('quits', Buffer.alloc(300_000, 0x61)), true);
    const deadline = Date.now() + 10000;
    let fault = 'no fault';
    while (fault === 'no fault' && Date.now() < deadline) {
      fault = faultOf(() => a.sendProcessStdin('quits', 'more\n'));
      await sleep(20);
    }
    assert.equal(fault, '20 NO_FILE: quits');

    // a program that never reads: MAX_PENDING_INPUT is held for it, no more
    const big = Buffer.alloc(4 * 1024 * 1024, 0x62);
    let sent = 0;
    for (; sent + big.length <= MAX_PENDING_INPUT; sent += big.length) assert.equal(a.sendProcessStdin('deaf', big), true);
    assert.equal(faultOf(() => a.sendProcessStdin('deaf', big)), '30 FAILED: deaf has not read 15.9 MiB of its input (at most 16.0 MiB is held for it)');
    // what fits still goes
    assert.equal(a.sendProcessStdin('deaf', Buffer.alloc(1000)), true);
    // a new run starts with nothing held
    a.stopProcess('deaf', true);
    await waitState(te.engine, 'deaf', ProcessState.STOPPED);
    await a.startProcess('deaf', true);
    assert.equal(a.sendProcessStdin('deaf', big), true);
  } finally {
    await te.close();
    dir.cleanup();
  }
});
