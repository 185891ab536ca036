// restart --rolling (tsv only): one process at a time, each started (and,
// against a tsv daemon, healthy) before the next is stopped; a process that
// does not come back ends it there (Supervisor issues #456 and #723).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { mainLogLines, oracleSkip, startDaemon, userCtl, waitUp, type Daemon } from './helpers/events-env';

function tsvCtl(d: Daemon, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSV, 'ctl', '-c', d.conf, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 60000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const pidOf = (d: Daemon, name: string): number => Number(/pid (\d+)/.exec(userCtl(d, 'status', name))?.[1] ?? 0);
const at = (lines: string[], re: RegExp): number => lines.findIndex((l) => re.test(l));
const lastAt = (lines: string[], re: RegExp): number => lines.length - 1 - [...lines].reverse().findIndex((l) => re.test(l));

/**
 * numprocs=3, each ready a second after it starts (the file its healthcheck
 * looks for; removed when it is stopped). A `sick-N` file keeps the next run
 * of N from ever being ready; a `broken-N` file makes it exit at once.
 */
const WEB = (dir: TempDir, health: boolean): string =>
  `[program:web]\nprocess_name=web_%(process_num)s\nnumprocs=3\nstartsecs=1\nstartretries=0\nstopwaitsecs=5\n` +
  `command=/bin/sh -c "[ -f ${dir.path}/broken-%(process_num)s ] && exit 1; trap 'rm -f ${dir.path}/ready-%(process_num)s; exit 0' TERM; sleep 1; ` +
  `[ -f ${dir.path}/sick-%(process_num)s ] || touch ${dir.path}/ready-%(process_num)s; while :; do sleep 0.1; done"\n` +
  (health ? `healthcheck=test -f ${dir.path}/ready-%(process_num)s\nhealthcheck_interval=1\nhealthcheck_retries=2\n` : '');

test('restart --rolling against tsv: each process stopped, started and healthy before the next is stopped; status order, each once', { timeout: 60000 }, async () => {
  const dir = new TempDir('tsv-rolling-');
  const d = startDaemon('tsv', WEB(dir, true) + '[program:plain]\ncommand=sleep 100\nstartsecs=0\n');
  try {
    await waitUp(d);
    await until(() => (userCtl(d, 'status').match(/ RUNNING /g) ?? []).length === 4, 'all RUNNING');
    const r = tsvCtl(d, 'restart', '--rolling', 'web:*', 'plain', 'web:web_1');
    assert.equal(r.status, 0, r.out);
    assert.equal(
      r.out,
      'plain: stopped\nplain: started\n' + [0, 1, 2].map((i) => `web:web_${i}: stopped\nweb:web_${i}: started\nweb:web_${i}: healthy\n`).join(''),
    );
    const lines = mainLogLines(d);
    for (const i of [0, 1]) {
      const spawned = lastAt(lines, new RegExp(`^INFO spawned: 'web_${i}' `));
      const healthy = lines.findIndex((l, k) => k > spawned && l.startsWith(`INFO healthy: web_${i} answered `));
      const nextStopped = at(lines, new RegExp(`stopped: web_${i + 1} `));
      assert.ok(spawned >= 0 && healthy > spawned && nextStopped > healthy, `web_${i}: spawned ${spawned}, healthy ${healthy}, next stopped ${nextStopped}\n${lines.join('\n')}`);
    }
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('restart --rolling: a process that does not come back (exits at once, or never answers its health check) ends the restart there; the rest keep running', { timeout: 60000 }, async () => {
  const dir = new TempDir('tsv-rolling-fail-');
  const d = startDaemon('tsv', WEB(dir, true));
  try {
    await waitUp(d);
    await until(() => (userCtl(d, 'status').match(/ RUNNING /g) ?? []).length === 3, 'all RUNNING');
    dir.file('sick-1', '');
    const web2 = pidOf(d, 'web:web_2');
    const sick = tsvCtl(d, 'restart', '--rolling', 'web:*');
    assert.equal(sick.status, 1, sick.out);
    assert.match(
      sick.out,
      /^web:web_0: stopped\nweb:web_0: started\nweb:web_0: healthy\nweb:web_1: stopped\nweb:web_1: started\nweb:web_1: ERROR \(unhealthy: 2 health checks in a row failed: exit status 1\)\nError: rolling restart stopped at web:web_1; not restarted: web:web_2\n$/,
    );
    assert.equal(pidOf(d, 'web:web_2'), web2, 'web_2 untouched');
    // a new run that exits at once
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'web:web_1')), 'web_1 running again');
    dir.file('broken-0', '');
    const broken = tsvCtl(d, 'restart', '--rolling', 'web:*');
    // as supervisorctl's start exits for a spawn error
    assert.equal(broken.status, 7, broken.out);
    assert.equal(broken.out, 'web:web_0: stopped\nweb:web_0: ERROR (spawn error)\nError: rolling restart stopped at web:web_0; not restarted: web:web_1 web:web_2\n');
    assert.equal(pidOf(d, 'web:web_2'), web2, 'web_2 untouched');
    // names that choose nothing
    // exit 1, as `restart nope` exits
    const none = tsvCtl(d, 'restart', '--rolling', 'nope', 'ghost:*');
    assert.equal(none.status, 1, none.out);
    assert.equal(none.out, 'nope: ERROR (no such process)\nghost: ERROR (no such group)\n');
    const plain = tsvCtl(d, 'restart', 'nope');
    assert.equal(plain.status, none.status, plain.out);
    // an option is refused before anything restarts
    const option = tsvCtl(d, 'restart', '--rolling', '--json', 'web:web_2');
    assert.equal(option.status, 2, option.out);
    assert.match(option.out, /^Error: bad argument --json\n/);
    assert.ok(web2 > 0);
    assert.equal(pidOf(d, 'web:web_2'), web2, 'web_2 not restarted');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('restart --rolling against supervisord: one at a time, each RUNNING before the next stops (no health to wait for)', { skip: oracleSkip, timeout: 60000 }, async () => {
  const dir = new TempDir('tsv-rolling-sd-');
  const d = startDaemon('supervisord', WEB(dir, false));
  try {
    await waitUp(d);
    await until(() => (userCtl(d, 'status').match(/ RUNNING /g) ?? []).length === 3, 'all RUNNING');
    const r = tsvCtl(d, 'restart', '--rolling', 'web:*');
    assert.equal(r.status, 0, r.out);
    assert.equal(r.out, [0, 1, 2].map((i) => `web:web_${i}: stopped\nweb:web_${i}: started\n`).join(''));
    const lines = mainLogLines(d);
    for (const i of [0, 1]) {
      const spawned = lastAt(lines, new RegExp(`spawned: 'web_${i}' `));
      const running = lines.findIndex((l, k) => k > spawned && new RegExp(`success: web_${i} entered RUNNING`).test(l));
      const nextStopped = at(lines, new RegExp(`stopped: web_${i + 1} `));
      assert.ok(running > spawned && nextStopped > running, lines.join('\n'));
    }
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});
