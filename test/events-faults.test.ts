// Listener faults, run under supervisord and tsv side by side: a listener
// that exits in the middle of an event, one that answers FAIL, one that
// writes a malformed result line, one that never answers. Events must be
// neither lost nor duplicated beyond what Supervisor's own rules say (a
// rejected event comes back first; a full buffer drops its oldest event with
// an error line), so what each listener receives, the serials and the main
// log's warnings and errors must be the same under both daemons. Meanwhile
// an XML-RPC client keeps calling tsv: every call must be answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { sleep } from './helpers/daemon-env';
import { SUPERVISORCTL, oracleSkip, readRecords, startDaemon, waitLogLine, waitRecords, waitUp, type Daemon, type Received } from './helpers/events-env';
import { spawn } from 'node:child_process';
import { cleanEnv } from './helpers/daemon-cli';

const listener = (fault: string, extra = ''): string =>
  `[eventlistener:l]\ncommand={PY} {FAULTY}\nevents=REMOTE_COMMUNICATION\n` +
  `environment=FAULT="${fault}",REC_DIR="{DIR}",REC_OUT="{DIR}/rec.jsonl"\n${extra}`;

/** An XML-RPC client calling getAllProcessInfo back to back until stopped. */
function poller(d: Daemon): { stop(): Promise<{ calls: number; failures: string[]; maxMs: number }> } {
  let running = true;
  const failures: string[] = [];
  let calls = 0;
  let maxMs = 0;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      try {
        await d.rpc.call('supervisor.getAllProcessInfo');
        calls++;
      } catch (e) {
        failures.push((e as Error).message);
      }
      maxMs = Math.max(maxMs, performance.now() - t);
      await sleep(5);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { calls, failures, maxMs };
    },
  };
}

async function waitRunning(d: Daemon, name: string): Promise<void> {
  for (;;) {
    const info = (await d.rpc.call('supervisor.getProcessInfo', [name])) as { state: number };
    if (info.state === 20) return;
    await sleep(50);
  }
}

const send = async (d: Daemon, from: number, to: number): Promise<void> => {
  for (let i = from; i < to; i++) await d.rpc.call('supervisor.sendRemoteCommEvent', ['t', `e${i}`]);
};

const seen = (recs: Received[]): string[] =>
  recs.map((r) => `${r.answer} serial:${r.headers.serial} poolserial:${r.headers.poolserial} ${r.headers.eventname} ${r.payload}`);

const FAULT_LINE = /(event was rejected|bad result line|UNKNOWN state|overflowed|event was processed)/;
const faultLines = (d: Daemon): string[] =>
  d
    .log()
    .split('\n')
    .filter((l) => FAULT_LINE.test(l))
    .map((l) => l.replace(/^\S+ \S+ /, ''));

/** Run `steps` on both daemons at once; compare recordings and fault lines; check tsv served RPC throughout. */
async function differential(body: string, steps: (d: Daemon) => Promise<void>, setup?: (d: Daemon) => void): Promise<{ recs: Received[]; lines: string[] }> {
  const sides = (['supervisord', 'tsv'] as const).map((impl) => {
    const d = startDaemon(impl, body);
    return d;
  });
  try {
    for (const d of sides) setup?.(d);
    await Promise.all(sides.map((d) => waitUp(d)));
    const poll = poller(sides[1] as Daemon);
    await Promise.all(sides.map((d) => steps(d)));
    const served = await poll.stop();
    assert.deepEqual(served.failures, [], 'tsv answered every XML-RPC call');
    assert.ok(served.calls > 10, `tsv answered ${served.calls} calls`);
    const [py, ts] = sides.map((d) => seen(readRecords(d.dir.join('rec.jsonl'))));
    assert.deepEqual(ts, py, 'what the listener received');
    const [lpy, lts] = sides.map(faultLines);
    assert.deepEqual(lts, lpy, 'main log lines about the listener');
    await Promise.all(sides.map((d) => d.stop()));
    return { recs: readRecords((sides[1] as Daemon).dir.join('rec.jsonl')), lines: lts as string[] };
  } finally {
    for (const d of sides) d.cleanup();
  }
}

test('fault: a listener that exits in the middle of an event gets it again after its restart', { skip: oracleSkip, timeout: 60000 }, async () => {
  const { recs } = await differential(listener('exit-once'), async (d) => {
    await waitRunning(d, 'l');
    await send(d, 0, 3);
    await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 4, `${d.impl}: four deliveries`);
    await sleep(300);
  });
  assert.deepEqual(
    recs.map((r) => `${r.answer} ${r.payload}`),
    ['exit type:t\ne0', 'OK type:t\ne0', 'OK type:t\ne1', 'OK type:t\ne2'],
  );
  assert.equal(recs[0]?.headers.serial, recs[1]?.headers.serial);
});

test('fault: FAIL puts the event back first; it comes again with the same serials', { skip: oracleSkip, timeout: 60000 }, async () => {
  const { recs, lines } = await differential(listener('fail-first'), async (d) => {
    await waitRunning(d, 'l');
    await send(d, 0, 3);
    await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 6, `${d.impl}: six deliveries`);
    await sleep(300);
  });
  assert.deepEqual(
    recs.map((r) => `${r.answer} ${r.headers.serial} ${r.payload.slice(7)}`),
    ['FAIL 0 e0', 'OK 0 e0', 'FAIL 1 e1', 'OK 1 e1', 'FAIL 2 e2', 'OK 2 e2'],
  );
  assert.equal(lines.filter((l) => l === 'WARN l: event was rejected').length, 3);
});

test('fault: a malformed RESULT line makes the listener UNKNOWN; the buffer overflows; a restart delivers what is left', { skip: oracleSkip, timeout: 60000 }, async () => {
  const { recs, lines } = await differential(
    listener('garbage', 'buffer_size=3\n'),
    async (d) => {
      await waitRunning(d, 'l');
      await send(d, 0, 1);
      await waitLogLine(d, /has entered the UNKNOWN state/);
      await send(d, 1, 6);
      rmSync(d.dir.join('garbage'), { force: true });
      await d.rpc.call('supervisor.stopProcess', ['l']);
      await d.rpc.call('supervisor.startProcess', ['l']);
      await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 4, `${d.impl}: four deliveries`);
      await sleep(300);
    },
    (d) => writeFileSync(d.dir.join('garbage'), ''),
  );
  assert.deepEqual(
    recs.map((r) => `${r.answer} ${r.payload.slice(7)}`),
    ['garbage e0', 'OK e3', 'OK e4', 'OK e5'],
  );
  assert.deepEqual(lines.slice(0, 2), [
    "WARN l: bad result line: 'RESULT x'",
    'WARN l: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol',
  ]);
  assert.deepEqual(lines.slice(2), [
    'ERRO pool l event buffer overflowed, discarding event 0',
    'ERRO pool l event buffer overflowed, discarding event 1',
    'ERRO pool l event buffer overflowed, discarding event 2',
  ]);
});

test('fault: a listener that never answers holds one event; the rest overflow; killed, its event comes back first', { skip: oracleSkip, timeout: 60000 }, async () => {
  const { recs, lines } = await differential(
    listener('silent', 'buffer_size=3\n'),
    async (d) => {
      await waitRunning(d, 'l');
      await send(d, 0, 1);
      await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 1, `${d.impl}: the first delivery`);
      await send(d, 1, 6);
      rmSync(d.dir.join('silent'), { force: true });
      await d.rpc.call('supervisor.stopProcess', ['l']);
      await d.rpc.call('supervisor.startProcess', ['l']);
      await waitRecords(d.dir.join('rec.jsonl'), (r) => r.length >= 4, `${d.impl}: four deliveries`);
      await sleep(300);
    },
    (d) => writeFileSync(d.dir.join('silent'), ''),
  );
  assert.deepEqual(
    recs.map((r) => `${r.answer} ${r.headers.serial} ${r.payload.slice(7)}`),
    ['none 0 e0', 'OK 0 e0', 'OK 4 e4', 'OK 5 e5'],
  );
  assert.deepEqual(lines, [
    'ERRO pool l event buffer overflowed, discarding event 1',
    'ERRO pool l event buffer overflowed, discarding event 2',
    'ERRO pool l event buffer overflowed, discarding event 3',
  ]);
});

test("debug log: a listener's output is logged before the state changes and warnings it causes, as Supervisor does", { skip: oracleSkip, timeout: 60000 }, async () => {
  // READY, then a line that is no RESULT once the listener is busy with the event its READY let through
  const body =
    `[eventlistener:l]\ncommand=/bin/sh -c 'printf "READY\\n"; read header; sleep 0.3; printf "HELLO WORLD\\nREADY\\n"; exec sleep 100'\n` +
    'events=PROCESS_STATE\n[program:p]\ncommand=sleep 100\nstartsecs=0\n';
  for (const impl of ['supervisord', 'tsv'] as const) {
    const d = startDaemon(impl, body, { loglevel: 'debug' });
    try {
      await waitUp(d);
      await waitLogLine(d, /has entered the UNKNOWN state/);
      const lines = d.log().split('\n');
      const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
      const ready = at(/DEBG 'l' stdout output:$/);
      const hello = lines.findIndex((l, i) => i > ready && /DEBG 'l' stdout output:$/.test(l));
      assert.ok(ready >= 0 && hello > ready, `${impl}: both outputs logged\n${d.log()}`);
      assert.ok(ready < at(/DEBG l: ACKNOWLEDGED -> READY$/), `${impl}: READY logged before the state it makes\n${d.log()}`);
      assert.ok(hello < at(/WARN l: bad result line: 'HELLO WORLD'$/), `${impl}: the bad line logged before its warning\n${d.log()}`);
      assert.ok(hello < at(/WARN l: has entered the UNKNOWN state/), `${impl}: before UNKNOWN\n${d.log()}`);
    } finally {
      await d.stop();
      d.cleanup();
    }
  }
});

test("a waiting stop whose client has gone stops saying 'waiting for NAME to stop', as supervisord's does", { skip: oracleSkip, timeout: 60000 }, async () => {
  const body = `[program:stubborn]\ncommand=/bin/sh -c 'trap "" TERM; exec sleep 100'\nstopwaitsecs=7\nstartsecs=0\n`;
  for (const impl of ['supervisord', 'tsv'] as const) {
    const d = startDaemon(impl, body);
    try {
      await waitUp(d);
      await waitLogLine(d, /success: stubborn entered RUNNING/);
      const client = spawn(SUPERVISORCTL, ['-c', d.conf, 'stop', 'stubborn'], { stdio: 'ignore', env: cleanEnv() });
      await waitLogLine(d, /INFO waiting for stubborn to stop/);
      await sleep(1000);
      client.kill('SIGKILL');
      await waitLogLine(d, /stopped: stubborn \(terminated by SIGKILL\)/, 20000);
      const lines = d.log().split('\n').filter((l) => /INFO waiting for stubborn to stop$/.test(l));
      assert.equal(lines.length, 1, `${impl}:\n${d.log()}`);
    } finally {
      await d.stop();
      d.cleanup();
    }
  }
});
