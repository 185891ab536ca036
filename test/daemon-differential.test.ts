// Differential tests against the real Supervisor 4.2.5: the same config and
// the same lifecycle steps given to /usr/bin/supervisord and to tsv must
// produce the same state transitions, read from both main logs with times,
// pids and paths normalized. Per-process sequences must be identical; the
// daemon-wide sequence too, except the throttled "waiting for ... to die"
// reports whose repetition depends on Supervisor's 1-second poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  haveSupervisord, startSide, stopSides, cleanupSides, waitLog, rewriteConf, normalizeLog, splitBySubject, type Side,
} from './helpers/daemon-oracle';

function compare(sides: Side[]): { py: string[]; ts: string[] } {
  const [py, ts] = sides.map((s) => normalizeLog(s.log(), s.dir.path));
  const a = splitBySubject(py);
  const b = splitBySubject(ts);
  assert.deepEqual([...b.byProcess.keys()].sort(), [...a.byProcess.keys()].sort(), 'same processes mentioned');
  for (const [name, seq] of a.byProcess) assert.deepEqual(b.byProcess.get(name), seq, `transitions of ${name}`);
  const noReports = (l: string[]) => l.filter((x) => !/ waiting for .* to die$/.test(x));
  assert.deepEqual(noReports(b.global), noReports(a.global), 'daemon-wide sequence');
  const firstReport = (l: string[]) => l.find((x) => / waiting for .* to die$/.test(x));
  assert.equal(firstReport(b.global), firstReport(a.global), 'first shutdown report');
  const stops = (l: string[]) => l.filter((x) => / stopped: /.test(x));
  assert.deepEqual(stops(ts), stops(py), 'shutdown order');
  return { py, ts };
}

const skipReason = haveSupervisord() ? false : 'needs /usr/bin/supervisord (apt-get install supervisor)';

test('differential: start, backoff to FATAL, spawn errors, exits, SIGKILL at shutdown, shutdown order', { skip: skipReason }, async () => {
  const body =
    '[program:steady]\ncommand=sleep 100\nstartsecs=1\npriority=10\n' +
    // startsecs well above a loaded machine's stalls: supervisord polls, and a
    // loop late by more than startsecs would call the crasher RUNNING.
    '[program:crash]\ncommand=/bin/sh -c "exit 3"\nstartretries=2\nstartsecs=5\npriority=20\n' +
    '[program:once]\ncommand=/bin/sh -c "sleep 2.5; exit 0"\nstartsecs=1\npriority=30\n' +
    '[program:bad]\ncommand=/bin/sh -c "sleep 2.5; exit 5"\nstartsecs=1\nautorestart=false\npriority=40\n' +
    '[program:missing]\ncommand=/nonexistent/prog\nstartretries=1\npriority=50\n' +
    '[program:lazy]\ncommand=sleep 100\nautostart=false\npriority=60\n' +
    `[program:stubborn]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.1; done"\nstartsecs=1\nstopwaitsecs=1\npriority=70\n`;
  const sides = [startSide('supervisord', body), startSide('tsv', body)];
  try {
    for (const re of [/gave up: crash/, /gave up: missing/, /exited: once/, /exited: bad/, /success: stubborn/, /success: steady/]) {
      await waitLog(sides, re);
    }
    await stopSides(sides);
    const { ts } = compare(sides);
    assert.ok(ts.some((l) => l === "WARN killing 'stubborn' (<PID>) with SIGKILL"));
    assert.ok(ts.some((l) => l === 'INFO gave up: crash entered FATAL state, too many start retries too quickly'));
  } finally {
    cleanupSides(sides);
  }
});

test('differential: HUP reload with a changed config', { skip: skipReason }, async () => {
  const body = '[program:steady]\ncommand=sleep 100\nstartsecs=1\n';
  const sides = [startSide('supervisord', body), startSide('tsv', body)];
  try {
    await waitLog(sides, /success: steady/);
    for (const s of sides) rewriteConf(s, body + '[program:added]\ncommand=sleep 100\nstartsecs=1\n');
    for (const s of sides) s.child.kill('SIGHUP');
    await waitLog(sides, /success: added/);
    await waitLog(sides, /success: steady[^]*success: steady/);
    await stopSides(sides);
    const { ts } = compare(sides);
    assert.ok(ts.includes('WARN received SIGHUP indicating restart request'));
    assert.equal(ts.filter((l) => l.includes('supervisord started with pid')).length, 2);
  } finally {
    cleanupSides(sides);
  }
});

test('differential: autorestart=true restarts after expected exits', { skip: skipReason }, async () => {
  // exits 0 twice after running past startsecs, then stays up: both daemons end in the same place
  const script = 'n=$(cat {DIR}/count 2>/dev/null || echo 0); echo $((n+1)) > {DIR}/count; [ $n -ge 2 ] && exec sleep 100; sleep 1.5; exit 0';
  const body = `[program:loop]\ncommand=/bin/sh -c '${script}'\nstartsecs=1\nautorestart=true\n`;
  const sides = [startSide('supervisord', body), startSide('tsv', body)];
  try {
    await waitLog(sides, /(success: loop[^]*){3}/);
    await stopSides(sides);
    const { ts } = compare(sides);
    assert.equal(ts.filter((l) => l.startsWith('INFO exited: loop (exit status 0; expected)')).length, 2);
  } finally {
    cleanupSides(sides);
  }
});
