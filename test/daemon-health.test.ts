// healthcheck (tsv only): a running program that stops answering its HTTP or
// TCP check is restarted, and one that answers counts as up for what depends
// on it (depends_on). Supervisor has no such thing (superlance's httpok, an
// event listener, looks once a minute); supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir, sleep } from './helpers/daemon-env';
import { PY, metrics, logCount, logIndex, logLineMs, mainLogLines, oracleSkip, shutdownMs, startDaemon, userCtl, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { freePort } from './helpers/common';
import { withTestUser } from './helpers/test-user';
import { HTTP_SERVER, tlsServer } from './helpers/health-server';
import { SELF_RESTART_MAX_WAIT, selfRestartWait } from '../src/daemon/restart-pace';

/** Listens on port $1 after $2 seconds, and accepts connections; with $3 = hold, never answers what it accepted. */
const LISTENER = `import socket, sys, time
time.sleep(float(sys.argv[2]))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c) if len(sys.argv) > 3 else c.close()
`;


test('healthcheck over HTTP: healthy, then 500s restart the program after healthcheck_retries in a row, then healthy again; a stop ends the looks', async () => {
  const port = await freePort();
  const dir = new TempDir('tsv-health-');
  const server = dir.file('server.py', HTTP_SERVER);
  const sick = dir.join('sick');
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=${PY} ${server} ${port} ${sick}\nstartsecs=1\nhealthcheck=http://127.0.0.1:${port}/health\nhealthcheck_interval=1\nhealthcheck_retries=2\n`,
  );
  try {
    await waitUp(d);
    await until(() => logIndex(d, new RegExp(`healthy: web answered http://127.0.0.1:${port}/health \\(200 OK\\)`)) >= 0, 'web healthy');
    const pid = Number(userCtl(d, 'pid', 'web').trim());
    assert.match(await metrics(d), /tsv_program_healthy\{group="web",name="web"\} 1/);

    writeFileSync(sick, '');
    await until(() => logCount(d, /restarting web: 2 health checks in a row failed \(healthcheck\)/) === 1, 'the restart', 20000);
    rmSync(sick);
    await until(() => logCount(d, /healthy: web answered/) === 2, 'web healthy again', 20000);
    const lines = mainLogLines(d);
    const restart = logIndex(d, /restarting web/);
    assert.deepEqual(
      lines.slice(restart - 2, restart + 3).map((l) => l.replace(/pid \d+/, 'pid N').replace(/^(\S+ \S+)/, '$1')),
      [
        `WARN unhealthy: web did not answer http://127.0.0.1:${port}/health (500 Internal Server Error), 1 of 2 (healthcheck)`,
        `WARN unhealthy: web did not answer http://127.0.0.1:${port}/health (500 Internal Server Error), 2 of 2 (healthcheck)`,
        'WARN restarting web: 2 health checks in a row failed (healthcheck)',
        'WARN stopped: web (terminated by SIGTERM)',
        "INFO spawned: 'web' with pid N",
      ],
    );
    assert.notEqual(Number(userCtl(d, 'pid', 'web').trim()), pid);
    const m = await metrics(d);
    assert.match(m, /tsv_program_healthy\{group="web",name="web"\} 1/);
    assert.match(m, new RegExp(`tsv_program_health_failures_total\\{group="web",name="web"\\} ${logCount(d, /unhealthy: web/)}\n`));
    assert.match(m, /tsv_program_exits_total\{group="web",name="web",expected="true"\} 1/);

    // stopped: no looks, no restart, whatever the server would say
    assert.equal(userCtl(d, 'stop', 'web'), 'web: stopped\n');
    writeFileSync(sick, '');
    const looks = logCount(d, /healthy: web|unhealthy: web/);
    await sleep(2500);
    assert.equal(logCount(d, /healthy: web|unhealthy: web/), looks);
    assert.match(userCtl(d, 'status', 'web'), /^web +STOPPED /);
    assert.match(await metrics(d), /tsv_program_healthy\{group="web",name="web"\} 0/);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('healthcheck over HTTPS: a self-signed certificate is accepted and the host name is sent (SNI); 500s over TLS restart the program; a port that speaks plain HTTP fails each look with the TLS reason', async () => {
  const [port, plainPort] = [await freePort(), await freePort()];
  const dir = new TempDir('tsv-health-tls-');
  const { command, sick, sni } = tlsServer(dir.path, port);
  const plain = dir.file('plain.py', HTTP_SERVER); // the same server without TLS
  const d = startDaemon(
    'tsv',
    `[program:secure]\ncommand=${command}\nstartsecs=1\nhealthcheck=https://localhost:${port}/health\nhealthcheck_interval=1\nhealthcheck_retries=2\n` +
      `[program:plain]\ncommand=${PY} ${plain} ${plainPort} ${sick}-never\nstartsecs=1\nhealthcheck=https://127.0.0.1:${plainPort}/\nhealthcheck_interval=1\nhealthcheck_retries=100\n`,
  );
  try {
    await waitUp(d);
    await until(() => logIndex(d, new RegExp(`healthy: secure answered https://localhost:${port}/health \\(200 OK\\)`)) >= 0, 'secure healthy');
    assert.equal(readFileSync(sni, 'utf8'), 'localhost');
    await until(() => logCount(d, /unhealthy: plain/) >= 1, 'plain to fail a look');
    assert.ok(
      mainLogLines(d).includes(`WARN unhealthy: plain did not answer https://127.0.0.1:${plainPort}/ (EPROTO: TLS wrong version number, as from a port that speaks plain HTTP), 1 of 100 (healthcheck)`),
      d.log(),
    );

    writeFileSync(sick, '');
    await until(() => logCount(d, /restarting secure: 2 health checks in a row failed \(healthcheck\)/) === 1, 'the restart', 20000);
    assert.ok(mainLogLines(d).includes(`WARN unhealthy: secure did not answer https://localhost:${port}/health (500 Internal Server Error), 2 of 2 (healthcheck)`), d.log());
    rmSync(sick);
    await until(() => logCount(d, /healthy: secure answered/) === 2, 'secure healthy again', 20000);
    assert.match(userCtl(d, 'status', 'plain'), /^plain +RUNNING .*unhealthy \(\d+ of 100 looks failed\)/);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('healthcheck_start_period: failed looks while a program warms up do not count (one INFO line, no WARN, no event, not in /metrics) until its first answer, after which they do; each run has its own; looks after a start period that ended unanswered count', async () => {
  const [warmPort, coldPort] = [await freePort(), await freePort()];
  const dir = new TempDir('tsv-health-start-');
  const server = dir.file('server.py', HTTP_SERVER);
  const [warmSick, coldSick] = [dir.join('warm-sick'), dir.join('cold-sick')];
  writeFileSync(warmSick, '');
  writeFileSync(coldSick, '');
  const look = 'startsecs=0\nhealthcheck_interval=1\nhealthcheck_retries=2\n';
  const d = startDaemon(
    'tsv',
    `[program:warm]\ncommand=${PY} ${server} ${warmPort} ${warmSick}\nhealthcheck=http://127.0.0.1:${warmPort}/\nhealthcheck_start_period=60\n${look}` +
      `[program:cold]\ncommand=${PY} ${server} ${coldPort} ${coldSick}\nhealthcheck=http://127.0.0.1:${coldPort}/\nhealthcheck_start_period=2\nautostart=false\n${look}`,
  );
  const events = (): string => spawnSync(process.execPath, [TSV, '-c', d.conf, 'events', '-n', '200', 'PROCESS_HEALTH'], { encoding: 'utf8', env: cleanEnv() }).stdout;
  try {
    await waitUp(d);
    const pid = Number(userCtl(d, 'pid', 'warm').trim());
    await until(() => logCount(d, /not answering yet: warm/) >= 1, 'the first failed look');
    await sleep(3500); // four more looks that fail
    assert.equal(Number(userCtl(d, 'pid', 'warm').trim()), pid, 'not restarted');
    // one line: the first look (refused before the server listens, or its 500), the others at debug level
    const said = mainLogLines(d).filter((l) => / warm /.test(l) && /answer/.test(l));
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(
      said[0] as string,
      new RegExp(`^INFO not answering yet: warm did not answer http://127\\.0\\.0\\.1:${warmPort}/ \\((ECONNREFUSED|500 Internal Server Error)\\); failed looks count after 60 s from RUNNING or its first answer \\(healthcheck_start_period\\)$`),
    );
    assert.match(userCtl(d, 'status', 'warm'), /^warm +RUNNING +pid \d+, uptime [\d:]+\n$/);
    assert.match(await metrics(d), /tsv_program_health_failures_total\{group="warm",name="warm"\} 0\n/);
    assert.equal(events(), '');

    // the first answer ends the start period: failed looks count from then on
    rmSync(warmSick);
    await until(() => logCount(d, /healthy: warm answered/) === 1, 'warm healthy');
    writeFileSync(warmSick, '');
    await until(() => logCount(d, /restarting warm: 2 health checks in a row failed/) === 1, 'the restart', 20000);
    assert.equal(logCount(d, /unhealthy: warm did not answer .*, [12] of 2 \(healthcheck\)/), 2);
    assert.deepEqual(events().split('\n').filter((l) => l.includes('PROCESS_HEALTH')).map((l) => l.replace(/^\S+ \S+ /, '').replace(/pid:\d+/, 'pid:N')), [
      'PROCESS_HEALTH_HEALTHY processname:warm groupname:warm pid:N failures:0 retries:2',
      'PROCESS_HEALTH_UNHEALTHY processname:warm groupname:warm pid:N failures:1 retries:2',
      'PROCESS_HEALTH_UNHEALTHY processname:warm groupname:warm pid:N failures:2 retries:2',
    ]);
    // the next run warms up again
    await until(() => logCount(d, /not answering yet: warm/) === 2, 'the new run in its start period');
    assert.match(await metrics(d), /tsv_program_health_failures_total\{group="warm",name="warm"\} 2\n/);

    // a start period that ends without an answer: the looks after it count
    assert.equal(userCtl(d, 'start', 'cold'), 'cold: started\n');
    await until(() => logCount(d, /restarting cold: 2 health checks in a row failed/) === 1, 'cold restarted', 20000);
    const lines = d.log().split('\n');
    const at = (re: RegExp): number => {
      const l = lines.find((x) => re.test(x)) as string;
      const [date, time] = l.split(' ');
      return Date.parse(`${date}T${(time as string).replace(',', '.')}Z`);
    };
    const warming = lines.filter((l) => /not answering yet: cold/.test(l) || /unhealthy: cold/.test(l)).map((l) => l.replace(/^\S+ \S+ /, '').replace(/ \(.*/, ''));
    assert.deepEqual(warming.slice(0, 1), ['INFO not answering yet: cold did not answer http://127.0.0.1:' + coldPort + '/']);
    const firstCounted = at(/unhealthy: cold did not answer .*, 1 of 2/);
    assert.ok(firstCounted - at(/success: cold entered RUNNING|spawned: 'cold'/) >= 1900, d.log());
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('healthcheck over TCP with depends_on: what depends on a program starts once it accepts connections, at launch and on start', async () => {
  const port = await freePort();
  const dir = new TempDir('tsv-health-tcp-');
  const listener = dir.file('listener.py', LISTENER);
  const body = (autostart: boolean): string =>
    `[program:db]\ncommand=${PY} ${listener} ${port} 2\nstartsecs=0\nautostart=${autostart}\nhealthcheck=tcp://127.0.0.1:${port}\nhealthcheck_interval=1\nhealthcheck_retries=10\n` +
    `[program:api]\ncommand=/bin/sleep 300\nstartsecs=0\nautostart=${autostart}\ndepends_on=db\n`;
  const d = startDaemon('tsv', body(true));
  try {
    await waitUp(d);
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'api')), 'api to start');
    assert.ok(logIndex(d, /unhealthy: db did not answer tcp:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\), 1 of 10/) >= 0, d.log());
    assert.ok(logIndex(d, /spawned: 'api'/) > logIndex(d, /healthy: db answered tcp:\/\/127\.0\.0\.1:\d+ \(connected\)/), d.log());
    assert.ok(mainLogLines(d).includes('INFO waiting for db to be RUNNING and healthy before starting api (depends_on)'), d.log());

    // start pulls db in and answers once db accepts connections, ~2 s after it runs
    assert.match(userCtl(d, 'stop', 'all'), /api: stopped\ndb: stopped\n/);
    const t0 = Date.now();
    assert.equal(userCtl(d, 'start', 'api'), 'api: started\n');
    assert.ok(Date.now() - t0 >= 1900, `api answered ${Date.now() - t0} ms after the start, before db listened`);
    assert.equal(logCount(d, /healthy: db answered/), 2);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('healthcheck: a look that gets no answer fails after healthcheck_timeout; one under way is dropped by a stop and does not hold up a shutdown', async () => {
  const port = await freePort();
  const dir = new TempDir('tsv-health-timeout-');
  const listener = dir.file('listener.py', LISTENER);
  const d = startDaemon(
    'tsv',
    `[program:mute]\ncommand=${PY} ${listener} ${port} 0 hold\nstartsecs=1\nhealthcheck=http://127.0.0.1:${port}/\nhealthcheck_interval=1\nhealthcheck_timeout=1\nhealthcheck_retries=100\n` +
      // slow's check goes to another program, which outlives slow's stop and holds the connection
      `[program:holder]\ncommand=${PY} ${listener} ${port + 1} 0 hold\nstartsecs=0\n` +
      `[program:slow]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=http://127.0.0.1:${port + 1}/\nhealthcheck_timeout=60\n`,
  );
  try {
    await waitUp(d);
    await until(() => logIndex(d, /unhealthy: mute did not answer http:\/\/127\.0\.0\.1:\d+\/ \(no answer within 1 s\), 1 of 100/) >= 0, 'the timeout');
    // slow's look waits up to 60 s on a connection holder keeps open; slow's stop drops it
    const looking = (): boolean => spawnSync('ss', ['-Htn', 'state', 'established', 'dst', `127.0.0.1:${port + 1}`], { encoding: 'utf8' }).stdout.trim() !== '';
    await until(looking, "slow's look to be under way");
    assert.equal(userCtl(d, 'stop', 'slow'), 'slow: stopped\n');
    await until(() => !looking(), "slow's look to be dropped", 3000);
    assert.equal(userCtl(d, 'start', 'slow'), 'slow: started\n');
    await until(looking, "slow's look to be under way again");
    // the daemon exits long before that look's 60 s
    const ms = await shutdownMs(d);
    assert.ok(ms < 5000, `shutdown took ${ms} ms`);
  } finally {
    d.cleanup();
    dir.cleanup();
  }
});

/** The daemon's children that are zombies (a healthcheck command not reaped would be one). */
function zombiesOf(d: Daemon): string[] {
  const r = spawnSync('ps', ['--ppid', String(d.child.pid), '-o', 'pid=,stat=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /^\s*\d+\s+Z/.test(l));
}

const running = (pattern: string): boolean => spawnSync('pgrep', ['-f', pattern]).status === 0;

test('healthcheck as a command: exit 0 is healthy; a non-zero exit gives the first line it printed (stderr too) and restarts after the retries; status shows the verdict; a missing command fails each look; one past healthcheck_timeout, or under way when the program stops, is killed with its process group; every run is reaped', async () => {
  const dir = new TempDir('tsv-health-cmd-');
  const sick = dir.join('sick');
  // the check's grandchild (sleep 7301, in the background) and child (sleep 7302) share its process group
  const d = startDaemon(
    'tsv',
    `[program:app]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/sh -c 'echo "db: no response" >&2; echo second line; test ! -e ${sick}'\nhealthcheck_interval=1\nhealthcheck_retries=2\n` +
      '[program:lost]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=tsv-no-such-check --quick\nhealthcheck_interval=1\nhealthcheck_retries=100\n' +
      "[program:stuck]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/sh -c 'sleep 7301 & sleep 7302'\nhealthcheck_interval=1\nhealthcheck_timeout=1\nhealthcheck_retries=100\n" +
      // a look that would take a minute: the program's stop drops it, its process group killed
      "[program:slow]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/sh -c 'sleep 7303 & sleep 7304'\nhealthcheck_interval=1\nhealthcheck_timeout=60\n",
  );
  try {
    await waitUp(d);
    await until(() => logIndex(d, /healthy: app answered \/bin\/sh -c .* \(exit status 0: db: no response\)$/m) >= 0, 'app healthy');
    assert.match(mainLogLines(d).join('\n'), /WARN unhealthy: lost did not answer tsv-no-such-check --quick \(can't find command 'tsv-no-such-check'\), 1 of 100 \(healthcheck\)/);
    // the status line says it too (here through Supervisor's own supervisorctl): Supervisor's description, then the looks' verdict
    assert.match(userCtl(d, 'status', 'app'), /^app +RUNNING +pid \d+, uptime \d+:\d\d:\d\d, healthy\n$/);
    assert.match(userCtl(d, 'status', 'lost'), /^lost +RUNNING +pid \d+, uptime \d+:\d\d:\d\d, unhealthy \(\d+ of 100 looks failed\)\n$/);

    writeFileSync(sick, '');
    await until(() => logCount(d, /restarting app: 2 health checks in a row failed \(healthcheck\)/) === 1, 'the restart', 20000);
    rmSync(sick);
    const restart = logIndex(d, /restarting app/);
    assert.deepEqual(
      mainLogLines(d)
        .slice(0, restart)
        .filter((l) => /unhealthy: app/.test(l))
        .slice(-2),
      [1, 2].map((n) => `WARN unhealthy: app did not answer /bin/sh -c 'echo "db: no response" >&2; echo second line; test ! -e ${sick}' (exit status 1: db: no response), ${n} of 2 (healthcheck)`),
    );
    await until(() => logCount(d, /healthy: app answered/) === 2, 'app healthy again', 20000);

    // stuck: a timed-out look is killed with its process group (the background sleep 7301 too), before the
    // next look begins an interval later
    await until(() => logCount(d, /unhealthy: stuck did not answer .* \(no answer within 1 s\), 1 of 100/) === 1, 'a timeout of stuck', 20000);
    const looks = logCount(d, /unhealthy: stuck/);
    await until(() => logCount(d, /unhealthy: stuck/) > looks, 'the next timeout', 5000);
    await until(() => !running('sleep 730[12]'), 'the timed-out look and its background child to be gone', 800);
    await until(() => running('sleep 730[34]'), "slow's look under way", 5000);
    assert.equal(userCtl(d, 'stop', 'slow'), 'slow: stopped\n');
    await until(() => !running('sleep 730[34]'), "slow's look and its background child to be gone after its stop", 1000);
    // reaped: a look the reaper missed would stay a zombie for good
    await until(() => zombiesOf(d).length === 0, 'no zombie child', 1000);
    const ms = await shutdownMs(d);
    assert.ok(ms < 5000, `shutdown took ${ms} ms`);
    await until(() => !running('sleep 730[12]'), 'no look left after the shutdown', 3000);
  } finally {
    d.cleanup();
    dir.cleanup();
  }
});

test('healthcheck as a command runs as the program does: user= with its supplementary groups, directory, umask, environment; stdin at end of file', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to create a test user and switch to it');
    return;
  }
  await withTestUser('tsvh', 2, async (user) => {
    const dir = new TempDir('tsv-health-as-');
    chmodSync(dir.path, 0o777);
    const out = dir.join('look.out');
    // cat returns at once only if stdin is at end of file (else the look times out after 5 s, and the test with it)
    const look = dir.file('look.sh', `#!/bin/sh\n{ id; pwd; umask; echo "$GREETING $SUPERVISOR_PROCESS_NAME"; cat; echo done; } > ${out}\n`);
    chmodSync(look, 0o755);
    const d = startDaemon(
      'tsv',
      `[program:app]\ncommand=/bin/sleep 300\nstartsecs=0\nuser=${user.name}\ndirectory=/tmp\numask=027\nenvironment=GREETING="hello there"\n` +
        `healthcheck=${look}\nhealthcheck_interval=60\n`,
    );
    try {
      await waitUp(d);
      await until(() => logIndex(d, /healthy: app answered/) >= 0, 'the look to answer', 4000);
      assert.deepEqual(readFileSync(out, 'utf8').split('\n'), [user.id, '/tmp', '0027', 'hello there app', 'done', '']);
      assert.equal(statSync(out).uid, Number(user.id.match(/^uid=(\d+)/)?.[1]));
    } finally {
      await d.stop();
      d.cleanup();
      dir.cleanup();
    }
  });
});

test('healthcheck pacing: no wait for the first restart, then the interval, doubling, never more than 5 minutes', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => selfRestartWait(n, 10)), [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  assert.deepEqual([1, 2, 3, 4].map((n) => selfRestartWait(n, 1)), [0, 1, 2, 4]);
  assert.equal(selfRestartWait(2, 600), SELF_RESTART_MAX_WAIT);
  assert.equal(SELF_RESTART_MAX_WAIT, 300);
});

/** Milliseconds since the epoch of a main-log line ("2026-11-25 15:02:54,867 …"). */

test('healthcheck: restarts that do not make it answer are paced (the next start waits the interval, doubling, up to 5 min, after the stop); an answer ends the pacing; a stop during the wait calls the start off', async () => {
  const dir = new TempDir('tsv-health-pace-');
  const well = dir.join('well');
  const d = startDaemon('tsv', `[program:app]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/sh -c 'test -e ${well}'\nhealthcheck_interval=1\nhealthcheck_retries=1\n`);
  const restarts = (): number => logCount(d, /restarting app/);
  const spawns = (): number => logCount(d, /spawned: 'app'/);
  try {
    await waitUp(d);
    // the third restart waits 2 s after its stop: stopped then, the start does not come
    await until(() => logCount(d, /stopped: app \(terminated by SIGTERM\)/) === 3, 'the third restart\'s stop', 20000);
    assert.match(userCtl(d, 'status', 'app'), /^app +STOPPED +[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M, starting again in 0:00:0[12] \(healthcheck\)\n$/);
    assert.equal(userCtl(d, 'stop', 'app'), 'app: stopped\n');
    assert.match(userCtl(d, 'status', 'app'), /^app +STOPPED +[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M\n$/);
    const said = mainLogLines(d).filter((l) => /restarting app/.test(l));
    assert.deepEqual(said, [
      'WARN restarting app: 1 health check in a row failed (healthcheck)',
      'WARN restarting app: 1 health check in a row failed, and none was answered since its last restart: it starts again 1 s after it stops (healthcheck)',
      'WARN restarting app: 1 health check in a row failed, and none was answered since its last restart: it starts again 2 s after it stops (healthcheck)',
    ]);
    // from each restart's stop to the next spawn: at once, then 1 s
    const lines = d.log().split('\n');
    const gaps: number[] = [];
    lines.forEach((l, i) => {
      if (!/stopped: app \(terminated by SIGTERM\)/.test(l)) return;
      const next = lines.slice(i).find((m) => /spawned: 'app'/.test(m));
      if (next) gaps.push(logLineMs(next) - logLineMs(l));
    });
    assert.equal(gaps.length, 2, lines.join('\n'));
    assert.ok(gaps[0] < 500, `first restart waited ${gaps[0]} ms`);
    assert.ok(gaps[1] >= 990 && gaps[1] < 2000, `second restart waited ${gaps[1]} ms`);
    assert.match(mainLogLines(d).join('\n'), /INFO stopped: app \(its restart for its healthcheck was due\)/);
    const before = spawns();
    await sleep(2500);
    assert.equal(spawns(), before);
    assert.match(userCtl(d, 'status', 'app'), /^app +STOPPED/);

    // a start is at once; two failing runs make the pacing begin again (a stop ended it) …
    assert.equal(userCtl(d, 'start', 'app'), 'app: started\n');
    await until(() => restarts() >= 5, 'two more restarts', 10000);
    assert.match(mainLogLines(d).filter((l) => /restarting app/.test(l))[4], /starts again 1 s after it stops/);
    // … and a run that answers ends it: the next failure restarts at once
    writeFileSync(well, '');
    await until(() => logCount(d, /healthy: app answered/) === 1, 'app to answer', 10000);
    rmSync(well);
    await until(() => restarts() >= 6, 'the restart after the answer', 10000);
    assert.equal(mainLogLines(d).filter((l) => /restarting app/.test(l))[5], 'WARN restarting app: 1 health check in a row failed (healthcheck)');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

for (const impl of ['supervisord', 'tsv'] as Impl[]) {
  test(`healthcheck under ${impl}: ${impl === 'tsv' ? 'a program that answers 500 is restarted' : 'ignored'}`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const port = await freePort();
    const dir = new TempDir('tsv-health-diff-');
    const server = dir.file('server.py', HTTP_SERVER);
    const sick = dir.file('sick', '');
    const d = startDaemon(
      impl,
      `[program:web]\ncommand=${PY} ${server} ${port} ${sick}\nstartsecs=0\nhealthcheck=http://127.0.0.1:${port}/\nhealthcheck_interval=1\nhealthcheck_retries=1\n`,
    );
    try {
      await waitUp(d);
      await sleep(3000);
      const spawns = logCount(d, /spawned: 'web'/);
      if (impl === 'supervisord') assert.equal(spawns, 1);
      else assert.ok(spawns >= 2, `${spawns} spawns`);
    } finally {
      await d.stop();
      d.cleanup();
      dir.cleanup();
    }
  });
}

test('healthcheck in the config: http://, https:// and tcp:// with a host (and a port for tcp), or a command split as command= is; settings of 1 or more; errors name file, line and option', () => {
  const dir = new TempDir('tsv-health-conf-');
  try {
    const check = (lines: string): string => {
      const f = dir.file('bad.conf', `[supervisord]\n[program:x]\ncommand=/bin/true\n${lines}`);
      const r = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', f], { encoding: 'utf8', env: cleanEnv() });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      return r.stdout + r.stderr;
    };
    assert.match(check('healthcheck=ftp://127.0.0.1/\n'), /bad\.conf:4: \[program:x\] healthcheck: healthcheck=ftp:\/\/127\.0\.0\.1\/: ftp is not a kind of check tsv knows \(http, https, tcp or a command\)/);
    assert.match(check('healthcheck=tcp://127.0.0.1\n'), /a tcp check needs a port/);
    assert.match(
      check('[eventlistener:l]\ncommand=/bin/cat\nevents=PROCESS_HEALTHY\n'),
      /bad\.conf:6: \[eventlistener:l\] events: Unknown event type PROCESS_HEALTHY in \[eventlistener:l\] events\n  hint: known types: EVENT, .*, PROCESS_GROUP_REMOVED; tsv only \(healthcheck=, max_memory_restart=\): PROCESS_HEALTH, PROCESS_HEALTH_HEALTHY, PROCESS_HEALTH_UNHEALTHY, PROCESS_MEMORY_RESTART\n/,
    );
    assert.match(
      check('healthcheck=127.0.0.1:80\n'),
      /healthcheck=127\.0\.0\.1:80: not a URL: the scheme is missing \(tcp:\/\/127\.0\.0\.1:80 or http:\/\/127\.0\.0\.1:80\)\n  hint: e\.g\. healthcheck=http:\/\/127\.0\.0\.1:8080\/health, healthcheck=tcp:\/\/127\.0\.0\.1:5432 or healthcheck=pg_isready -q/,
    );
    assert.match(check('healthcheck=localhost:8080/health\n'), /not a URL: the scheme is missing/);
    assert.match(check("healthcheck=/bin/sh -c 'unclosed\n"), /bad\.conf:4: \[program:x\] healthcheck: healthcheck=\/bin\/sh -c 'unclosed: the command cannot be split into words: No closing quotation/);
    assert.match(check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_interval=0\n'), /bad\.conf:5: \[program:x\] healthcheck_interval: healthcheck_interval=0: the seconds between looks must be 1 or more/);
    // a longer wait than a timer can hold would fire at once: looks back to back, a look timed out as it starts
    assert.match(
      check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_interval=2147484\n'),
      /bad\.conf:5: \[program:x\] healthcheck_interval: healthcheck_interval=2147484: the seconds between looks must be 2147483 or less \(24\.8 days, the longest a timer waits\)\n  hint: e\.g\. healthcheck_interval=10/,
    );
    assert.match(check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_timeout=3000000\n'), /healthcheck_timeout=3000000: the seconds a look may take must be 2147483 or less/);
    const longest = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', dir.file('ok.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nhealthcheck=tcp://127.0.0.1:1\nhealthcheck_interval=2147483\nhealthcheck_retries=3000000\n')], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(longest.status, 0, longest.stdout + longest.stderr);
    assert.match(check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_retries=-1\n'), /healthcheck_retries=-1/);
    assert.match(check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_timeout=x\n'), /healthcheck_timeout/);
    assert.match(
      check('healthcheck=tcp://127.0.0.1:1\nhealthcheck_start_period=-5\n'),
      /bad\.conf:5: \[program:x\] healthcheck_start_period: healthcheck_start_period=-5: the seconds in which failed looks do not count must be 0 or more\n  hint: e\.g\. healthcheck_start_period=60 for a program that takes a minute to warm up/,
    );
    const ok = dir.file('ok.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nhealthcheck=http://[::1]:8080/health?deep=1\n');
    const r = spawnSync(process.execPath, [TSV, 'config', 'show', '--json', '-c', ok], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /"kind": "http"[\s\S]*"host": "::1"[\s\S]*"port": 8080[\s\S]*"path": "\/health\?deep=1"[\s\S]*"interval": 10[\s\S]*"timeout": 5[\s\S]*"retries": 3/);
    const orphan = dir.file('orphan.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nhealth_check=http://127.0.0.1/\nhealthcheck_retries=5\n');
    const ro = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', orphan], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(ro.status, 0, ro.stdout + ro.stderr);
    assert.match(ro.stderr, /orphan\.conf:5: \[program:x\] healthcheck_retries: For \[program:x\], healthcheck_retries is set but there is no healthcheck=, so it has no effect\n/);
    const listens = dir.file('listens.conf', '[supervisord]\n[eventlistener:l]\ncommand=/bin/cat\nevents=PROCESS_HEALTH_UNHEALTHY,process_state\n');
    const rl = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', listens], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(rl.status, 0, rl.stdout + rl.stderr);
    const tlsConf = dir.file('tls.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nhealthcheck=https://example.test/ready\n');
    const rt = spawnSync(process.execPath, [TSV, 'config', 'show', '--json', '-c', tlsConf], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(rt.status, 0, rt.stderr);
    const tlsShown = (JSON.parse(rt.stdout) as { groups: { processes: { healthcheck: Record<string, unknown> }[] }[] }).groups[0].processes[0].healthcheck;
    assert.deepEqual(
      { kind: tlsShown.kind, tls: tlsShown.tls, host: tlsShown.host, port: tlsShown.port, path: tlsShown.path },
      { kind: 'http', tls: true, host: 'example.test', port: 443, path: '/ready' },
    );
    assert.match(r.stdout, /"tls": false/);
    const tlsText = spawnSync(process.execPath, [TSV, 'config', 'show', '-c', tlsConf], { encoding: 'utf8', env: cleanEnv() });
    assert.match(tlsText.stdout, /\n  healthcheck +https:\/\/example\.test\/ready  \[https, port 443 unless given, certificate not verified; every 10 s, 5 s timeout, restart after 3 failed\]/);
    const warm = dir.file('warm.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nhealthcheck=tcp://127.0.0.1:5432\nhealthcheck_start_period=60\n');
    const rw = spawnSync(process.execPath, [TSV, 'config', 'show', '-c', warm], { encoding: 'utf8', env: cleanEnv() });
    assert.match(rw.stdout, /\n  healthcheck +tcp:\/\/127\.0\.0\.1:5432  \[tcp; every 10 s, 5 s timeout, restart after 3 failed, not counting those in the first 60 s\]/);
    assert.match(r.stdout, /"startPeriod": 0/);
    // read for each process, as command= is: %(process_num)s gives each its own port; a warning about the settings said once
    const each = dir.file(
      'each.conf',
      '[supervisord]\n[program:x]\ncommand=/bin/true\nnumprocs=2\nprocess_name=x%(process_num)s\nhealthcheck=http://127.0.0.1:80%(process_num)02d/\n[program:y]\ncommand=/bin/true\nnumprocs=2\nprocess_name=y%(process_num)s\nhealthcheck_retries=5\n',
    );
    const re = spawnSync(process.execPath, [TSV, 'config', 'show', '-c', each], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(re.status, 0, re.stderr);
    assert.match(re.stdout, /\n  healthcheck +http:\/\/127\.0\.0\.1:8000\/  [\s\S]*\n  healthcheck +http:\/\/127\.0\.0\.1:8001\/  /);
    assert.equal(re.stderr.match(/healthcheck_retries is set but there is no healthcheck=/g)?.length, 1, re.stderr);
    const cmd = dir.file('cmd.conf', `[supervisord]\n[program:x]\ncommand=/bin/true\nhealthcheck=pg_isready -q -h "/run/my db"\n`);
    const rc = spawnSync(process.execPath, [TSV, 'config', 'show', '--json', '-c', cmd], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(rc.status, 0, rc.stderr);
    const shown = (JSON.parse(rc.stdout) as { groups: { processes: { healthcheck: { kind: string; argv: string[] } }[] }[] }).groups[0].processes[0].healthcheck;
    assert.equal(shown.kind, 'command');
    assert.deepEqual(shown.argv, ['pg_isready', '-q', '-h', '/run/my db']);
    const text = spawnSync(process.execPath, [TSV, 'config', 'show', '-c', cmd], { encoding: 'utf8', env: cleanEnv() });
    assert.match(text.stdout, /\n  healthcheck +pg_isready -q -h "\/run\/my db"  \[a command; every 10 s, 5 s timeout, restart after 3 failed\]  \(.*cmd\.conf:4\)\n/);
  } finally {
    dir.cleanup();
  }
});
