// restart_when_binary_changed, restart_directory_monitor, restart_file_pattern
// and the restart_signal_when_* options (tsv only; ochinchina's supervisord's
// names, PM2's `watch`): a program is restarted (or signalled) when what it
// runs changes on disk. supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { repoRoot } from './helpers/common';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir, sleep } from './helpers/daemon-env';
import { assertSupervisordIgnores, logLineMs, mainLogLines, oracleSkip, startDaemon, userCtl, waitUp } from './helpers/events-env';
import { SETTLE_MS, TreeWatch } from '../src/daemon/change-watch';

const pidOf = (status: string): number => Number(/pid (\d+)/.exec(status)?.[1] ?? 0);
const count = (lines: string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;

test('restart_when_binary_changed: a program whose executable is replaced (a deploy renames a new version over it) is restarted once the writes settle; another file in its directory is not a change; a stopped program stays stopped', async () => {
  const dir = new TempDir('tsv-binwatch-');
  const app = dir.file('app.sh', '#!/bin/sh\necho v1\nexec sleep 100\n', 0o755);
  const d = startDaemon('tsv', `[program:app]\ncommand=${app}\nstartsecs=0\nrestart_when_binary_changed=true\nstdout_logfile={DIR}/app.log\n`);
  try {
    await waitUp(d);
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'app')), 'app RUNNING');
    const first = pidOf(userCtl(d, 'status', 'app'));
    dir.file('other.sh', 'x');
    await sleep(SETTLE_MS + 500);
    assert.equal(pidOf(userCtl(d, 'status', 'app')), first, 'a file beside it is not it');
    // the deploy: the new version written beside it, renamed over it
    dir.file('app.sh.new', '#!/bin/sh\necho v2\nexec sleep 100\n', 0o755);
    renameSync(dir.join('app.sh.new'), app);
    await until(() => readFileSync(d.dir.join('app.log'), 'utf8') === 'v1\nv2\n', 'the new version to run', 10000);
    const lines = mainLogLines(d);
    assert.ok(lines.includes(`INFO restarting app: ${app} changed (restart_when_binary_changed)`), lines.join('\n'));
    assert.equal(count(lines, /spawned: 'app'/), 2);
    assert.notEqual(pidOf(userCtl(d, 'status', 'app')), first);
    // stopped, then replaced: it stays stopped
    userCtl(d, 'stop', 'app');
    dir.file('app.sh.new', '#!/bin/sh\necho v3\nexec sleep 100\n', 0o755);
    renameSync(dir.join('app.sh.new'), app);
    await sleep(SETTLE_MS + 500);
    assert.match(userCtl(d, 'status', 'app'), / STOPPED /);
    assert.equal(count(mainLogLines(d), /spawned: 'app'/), 2);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('restart_directory_monitor with restart_file_pattern: matching files anywhere under the directory restart the program once per burst of writes; other files, node_modules and the daemon\'s own logs there do not; a FATAL program is started; a signal instead of a restart', async () => {
  const dir = new TempDir('tsv-treewatch-');
  mkdirSync(dir.join('src/deep'), { recursive: true });
  mkdirSync(dir.join('node_modules/lib'), { recursive: true });
  mkdirSync(dir.join('logs'));
  const broken = dir.file('broken.sh', '#!/bin/sh\nexit 3\n', 0o755);
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=sleep 100\nstartsecs=0\nrestart_directory_monitor=${dir.path}\nrestart_file_pattern=*.py, *.html\nstdout_logfile=${dir.join('logs/web.log')}\n` +
      // '*' over a tree that holds its own log, which it writes all the time
      `[program:chatty]\ncommand=/bin/sh -c "while :; do echo chat-${'x'.repeat(95)}; sleep 0.05; done"\nstartsecs=0\nrestart_directory_monitor=${dir.join('logs')}\nstdout_logfile=${dir.join('logs/chatty.log')}\nstdout_logfile_maxbytes=1KB\nstdout_logfile_backups=2\n` +
      `[program:broken]\ncommand=${broken}\nstartsecs=1\nstartretries=0\nrestart_directory_monitor=${dir.path}\nrestart_file_pattern=broken.sh\n` +
      `[program:nginx]\ncommand=/bin/sh -c "trap 'echo reload' HUP; while :; do sleep 0.1; done"\nstartsecs=0\nrestart_directory_monitor=${dir.join('src')}\nrestart_file_pattern=*.conf\nrestart_signal_when_file_changed=HUP\nstdout_logfile={DIR}/nginx.log\n`,
  );
  try {
    await waitUp(d);
    await until(() => / FATAL /.test(userCtl(d, 'status', 'broken')), 'broken FATAL');
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'web')) && / RUNNING /.test(userCtl(d, 'status', 'nginx')), 'web and nginx RUNNING');
    const web = pidOf(userCtl(d, 'status', 'web'));
    const nginx = pidOf(userCtl(d, 'status', 'nginx'));
    // not matching, or under node_modules, or the daemon's logs (chatty's rotates too): nothing
    dir.file('README.md', 'x');
    dir.file('node_modules/lib/index.py', 'x');
    await sleep(SETTLE_MS + 700);
    assert.equal(pidOf(userCtl(d, 'status', 'web')), web);
    assert.equal(count(mainLogLines(d), /spawned: 'chatty'/), 1, mainLogLines(d).join('\n'));
    assert.ok(existsSync(dir.join('logs/chatty.log.2')), 'chatty rotated its log (2 KB a second, at 1 KB) twice or more meanwhile');
    // a burst of writes, deep down: one restart
    for (let i = 0; i < 5; i++) {
      dir.file('src/deep/views.py', `v${i}`);
      await sleep(100);
    }
    dir.file('src/page.html', 'x');
    await until(() => count(mainLogLines(d), /spawned: 'web'/) === 2, 'web restarted', 10000);
    assert.ok(mainLogLines(d).includes(`INFO restarting web: ${dir.join('src/page.html')} changed (restart_directory_monitor)`), mainLogLines(d).join('\n'));
    await sleep(SETTLE_MS + 300);
    assert.equal(count(mainLogLines(d), /spawned: 'web'/), 2, 'one restart for the burst');
    // a directory made after the start, then a file in it
    mkdirSync(dir.join('src/new'));
    await sleep(200);
    dir.file('src/new/app.py', 'x');
    await until(() => count(mainLogLines(d), /spawned: 'web'/) === 3, 'web restarted for a file in a new directory', 10000);
    // the signal: the same process gets it
    dir.file('src/site.conf', 'x');
    await until(() => readFileSync(d.dir.join('nginx.log'), 'utf8').includes('reload'), 'nginx to get SIGHUP', 10000);
    assert.equal(pidOf(userCtl(d, 'status', 'nginx')), nginx);
    assert.ok(mainLogLines(d).includes(`INFO sending nginx SIGHUP: ${dir.join('src/site.conf')} changed (restart_directory_monitor)`));
    // the fix for the program that gave up
    writeFileSync(broken, '#!/bin/sh\nexec sleep 100\n');
    chmodSync(broken, 0o755);
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'broken')), 'broken RUNNING after its fix', 10000);
    assert.ok(mainLogLines(d).includes(`INFO starting broken, which had given up: ${broken} changed (restart_directory_monitor)`), mainLogLines(d).join('\n'));
    assert.equal(count(mainLogLines(d), /spawned: 'chatty'/), 1);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('a numprocs program is restarted for a change one process at a time, each once the one before is up again; a deploy that breaks it stops at the first process and the rest keep running; the fix brings all back', { timeout: 90000 }, async () => {
  const dir = new TempDir('tsv-treewatch-roll-');
  mkdirSync(dir.join('src'));
  dir.file('src/version.txt', 'good\n');
  const app = dir.file('app.sh', `#!/bin/sh\n[ "$(cat ${dir.join('src/version.txt')})" = broken ] && exit 1\nexec sleep 100\n`, 0o755);
  const d = startDaemon(
    'tsv',
    `[program:web]\ncommand=${app}\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=3\nstartsecs=1\nstartretries=1\n` +
      `restart_directory_monitor=${dir.join('src')}\nrestart_file_pattern=*.txt\n`,
  );
  const pids = (): number[] => [0, 1, 2].map((i) => pidOf(userCtl(d, 'status', `web:web_${i}`)));
  const from = (n: number): string[] => mainLogLines(d).slice(n);
  try {
    await waitUp(d);
    await until(() => count(mainLogLines(d), /success: web_/) === 3, 'the pool RUNNING', 15000);
    const first = pids();
    let mark = mainLogLines(d).length;
    dir.file('src/version.txt', 'good, new\n');
    await until(() => count(from(mark), /success: web_/) === 3, 'the pool restarted', 30000);
    const roll = from(mark).filter((l) => /^(INFO|WARN) (restarting|stopped|spawned|success)/.test(l)).map((l) => l.replace(/ with pid \d+| \(terminated by SIGTERM\)|, process has stayed.*/g, ''));
    const what = `${dir.join('src/version.txt')} changed (restart_directory_monitor)`;
    assert.deepEqual(roll, [
      `INFO restarting web_0: ${what}`, 'WARN stopped: web_0', "INFO spawned: 'web_0'", 'INFO success: web_0 entered RUNNING state',
      `INFO restarting web_1 (web_0 is up again): ${what}`, 'WARN stopped: web_1', "INFO spawned: 'web_1'", 'INFO success: web_1 entered RUNNING state',
      `INFO restarting web_2 (web_1 is up again): ${what}`, 'WARN stopped: web_2', "INFO spawned: 'web_2'", 'INFO success: web_2 entered RUNNING state',
    ], mainLogLines(d).join('\n'));
    const second = pids();
    assert.ok(second.every((p, i) => p > 0 && p !== first[i]), `${first} -> ${second}`);

    // a broken deploy: web_0 does not come back, web_1 and web_2 keep serving
    mark = mainLogLines(d).length;
    dir.file('src/version.txt', 'broken');
    await until(() => / FATAL /.test(userCtl(d, 'status', 'web:web_0')), 'web_0 FATAL', 20000);
    await until(() => from(mark).some((l) => l.startsWith('WARN not restarting')), 'the roll to stop', 5000);
    assert.ok(
      from(mark).includes('WARN not restarting web_1, web_2: web_0 did not come back up (BACKOFF); they keep running what they started with until their next restart'),
      mainLogLines(d).join('\n'),
    );
    await sleep(SETTLE_MS + 500);
    assert.deepEqual(pids().slice(1), second.slice(1));

    // the fix: web_0, which gave up, is started; the others roll
    mark = mainLogLines(d).length;
    dir.file('src/version.txt', 'good again');
    await until(() => [0, 1, 2].every((i) => / RUNNING /.test(userCtl(d, 'status', `web:web_${i}`))) && count(from(mark), /success: web_/) === 3, 'all back', 30000);
    const third = pids();
    assert.ok(third.every((p, i) => p > 0 && p !== second[i]), `${second} -> ${third}`);
    assert.ok(from(mark).includes(`INFO starting web_0, which had given up: ${what}`), mainLogLines(d).join('\n'));
    assert.ok(from(mark).includes(`INFO restarting web_1: ${what}`), mainLogLines(d).join('\n'));
    assert.ok(from(mark).includes(`INFO restarting web_2 (web_1 is up again): ${what}`), mainLogLines(d).join('\n'));
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

/** `n` directories, each with a .py file: a tree two levels deep */
function tree(root: string, n: number): void {
  for (let i = 0; i < n; i++) {
    mkdirSync(join(root, `a${i % 20}`, `b${i}`), { recursive: true });
    writeFileSync(join(root, `a${i % 20}`, `b${i}`, 'm.py'), '');
  }
}

test('a tree watch reads its directories without holding up the loop: at first only the root is watched, the rest as they are read; a directory moved in is read the same way, and a matching file deep inside it is a change', async () => {
  const dir = new TempDir('tsv-treewatch-walk-');
  const outside = `${dir.path}-new`;
  const changes: string[] = [];
  try {
    tree(dir.path, 300);
    const big = new TreeWatch(dir.path, ['*.py'], () => false, (p) => changes.push(p), (p, e) => assert.fail(`${p}: ${e.code}`));
    try {
      assert.equal(big.watching, 1, 'the constructor reads nothing');
      let turns = 0;
      const counter = setInterval(() => turns++, 0);
      await big.walked();
      clearInterval(counter);
      assert.equal(big.watching, 1 + 20 + 300);
      assert.ok(turns > 0, 'the loop ran while the tree was read');
      // a tree prepared elsewhere and moved in: read, watched, and its matching file is the change
      mkdirSync(join(outside, 'x', 'y'), { recursive: true });
      writeFileSync(join(outside, 'x', 'y', 'deep.py'), '');
      renameSync(outside, dir.join('moved'));
      await until(() => changes.length === 1, 'the change', 5000);
      assert.equal(changes[0], dir.join('moved', 'x', 'y', 'deep.py'));
      assert.equal(big.watching, 1 + 20 + 300 + 3);
      writeFileSync(dir.join('moved', 'x', 'y', 'later.py'), '');
      await until(() => changes.length === 2, 'a change in the moved tree', 5000);
    } finally {
      big.close();
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
    dir.cleanup();
  }
});

const inotifyLimit = '/proc/sys/fs/inotify/max_user_watches';
const limitSkip = ((): string | false => {
  try {
    accessSync(inotifyLimit, constants.W_OK);
    return process.getuid?.() === 0 ? false : 'needs root';
  } catch {
    return `${inotifyLimit} cannot be written here`;
  }
})();

test('a tree larger than the inotify watches left: one report (ENOSPC), and the walk stops asking', { skip: limitSkip }, () => {
  const dir = new TempDir('tsv-treewatch-enospc-');
  chmodSync(dir.path, 0o755);
  tree(dir.path, 300);
  // bundled into the temp dir: the checkout may lie where nobody cannot read it
  buildSync({ entryPoints: [join(repoRoot(), 'src', 'daemon', 'change-watch.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: dir.join('change-watch.js'), logLevel: 'silent' });
  const script = dir.file(
    'watch.js',
    `const { TreeWatch } = require('./change-watch.js');
const troubles = [];
const w = new TreeWatch(${JSON.stringify(dir.path)}, ['*.py'], () => false, () => {}, (p, e) => troubles.push(e.code));
w.walked().then(() => { console.log(JSON.stringify({ watching: w.watching, troubles })); w.close(); });
`,
  );
  const before = readFileSync(inotifyLimit, 'utf8').trim();
  try {
    // the limit is per user: nobody has no watches yet, so it gets exactly 100
    writeFileSync(inotifyLimit, '100');
    const r = spawnSync(process.execPath, [script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { watching: 100, troubles: ['ENOSPC'] });
  } finally {
    writeFileSync(inotifyLimit, before);
    dir.cleanup();
  }
});

test('a file that never stops changing restarts the program at most every 10 s, naming the file, instead of never', { timeout: 60000 }, async () => {
  const dir = new TempDir('tsv-treewatch-busy-');
  const d = startDaemon('tsv', `[program:db]\ncommand=sleep 100\nstartsecs=0\nrestart_directory_monitor=${dir.path}\n`);
  const writer = setInterval(() => dir.file('data.db', String(Date.now())), 200);
  try {
    await waitUp(d);
    await until(() => count(mainLogLines(d), /spawned: 'db'/) === 2, 'the restart', 15000);
    // by the daemon's own clock: a wait measured from here, after a slow start, came out short once on a loaded machine
    const spawns = d.log().split('\n').filter((l) => l.includes("spawned: 'db'")).map(logLineMs);
    const took = (spawns[1] as number) - (spawns[0] as number);
    assert.ok(took >= 8000, `restarted ${took} ms after its start`);
    assert.ok(mainLogLines(d).includes(`INFO restarting db: ${dir.join('data.db')} changed (restart_directory_monitor)`));
  } finally {
    clearInterval(writer);
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('supervisord ignores the restart_* watch options', { skip: oracleSkip }, async () => {
  const dir = new TempDir('tsv-treewatch-sd-');
  try {
    await assertSupervisordIgnores(`restart_when_binary_changed=true\nrestart_directory_monitor=${dir.path}\nrestart_file_pattern=*.py\nrestart_signal_when_file_changed=HUP\n`);
  } finally {
    dir.cleanup();
  }
});

test('the restart_* watch options in the config: errors name file and line; a warning for settings with nothing to apply to and for restart_cmd_*; config show', () => {
  const dir = new TempDir('tsv-treewatch-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const missing = run(`restart_directory_monitor=${dir.join('nope')}\n`, 'check');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /x\.conf:4: \[program:x\] restart_directory_monitor: \S+nope is not an existing directory/);
    const badSignal = run(`restart_directory_monitor=${dir.path}\nrestart_signal_when_file_changed=RELOAD\n`, 'check');
    assert.equal(badSignal.status, 2);
    assert.match(badSignal.stderr, /x\.conf:5: \[program:x\] restart_signal_when_file_changed: value 'RELOAD' is not a valid signal name/);
    const badBool = run('restart_when_binary_changed=sometimes\n', 'check');
    assert.equal(badBool.status, 2);
    assert.match(badBool.stderr, /x\.conf:4: \[program:x\] restart_when_binary_changed: not a valid boolean value: 'sometimes'/);
    const lonely = run('restart_file_pattern=*.py\nrestart_signal_when_binary_changed=HUP\nrestart_cmd_when_file_changed=nginx -s reload\n', 'check');
    assert.equal(lonely.status, 0, lonely.stderr);
    assert.match(lonely.stderr, /x\.conf:4: \[program:x\] restart_file_pattern: For \[program:x\], restart_file_pattern is set but there is no restart_directory_monitor=, so it has no effect\n/);
    assert.match(lonely.stderr, /x\.conf:5: \[program:x\] restart_signal_when_binary_changed: For \[program:x\], restart_signal_when_binary_changed is set but restart_when_binary_changed is not true, so it has no effect\n/);
    assert.match(lonely.stderr, /x\.conf:6: \[program:x\] restart_cmd_when_file_changed: For \[program:x\], restart_cmd_when_file_changed is not supported by tsv and has no effect: the program is restarted instead \(or sent restart_signal_when_file_changed= if set\)\n/);
    const quiet = run(`restart_when_binary_changed=true\nrestart_signal_when_binary_changed=usr2\nrestart_directory_monitor=${dir.path}/\nrestart_file_pattern=*.py,*.html\n`, 'check');
    assert.equal(quiet.stderr, '');
    const shown = run(`restart_directory_monitor=${dir.path}\nrestart_file_pattern=*.py, *.html\nrestart_signal_when_file_changed=hup\n`, 'show');
    assert.match(shown.stdout, new RegExp(`\\n  restart_directory_monitor +${dir.path}  \\(\\S+x\\.conf:4\\)\\n`));
    assert.match(shown.stdout, /\n  restart_file_pattern +\*\.py, \*\.html  \(\S+x\.conf:5\)\n/);
    assert.match(shown.stdout, /\n  restart_signal_when_file_changed +HUP  \(\S+x\.conf:6\)\n/);
    assert.match(shown.stdout, /\n  restart_when_binary_changed +false  \(default\)\n/);
  } finally {
    dir.cleanup();
  }
});
