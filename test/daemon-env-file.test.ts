// environment_file (tsv only): a program's variables read from files at each
// spawn, in systemd's EnvironmentFile= format (Supervisor's issue #242);
// supervisord ignores the key, which the differential case shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir, load, sleep } from './helpers/daemon-env';
import { mainLogLines, oracleSkip, startDaemon, userCtl, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { withTestUser } from './helpers/test-user';
import { EnvFileError, parseEnvFile, readEnvFiles } from '../src/daemon/env-file';
import { processConfigsEqual } from '../src/daemon/supervisor';

test('environment_file format: systemd\'s NAME=VALUE lines, quotes, escapes, continuations and comments; what is no assignment is skipped with file and line', () => {
  const text = [
    '# a comment',
    '; also one',
    '',
    'PLAIN=hello world   ',
    'export EXPORTED=yes',
    `SQ='a "b" $HOME \\n'`,
    'DQ="x \\"y\\" \\$z \\\\ \\q"',
    'CONT=one\\',
    'two',
    'MULTI="line1',
    'line2"',
    '  SPACED = v1  ',
    'HASH=a#b ; c',
    'KEPT="trailing  "',
    'if [ -f /etc/x ]; then',
    '1BAD=no',
    'EMPTY=',
    'PLAIN=again',
    'OPEN="never closed',
    'AFTER=not read',
  ].join('\n');
  const r = parseEnvFile(text, '/etc/default/app');
  assert.deepEqual(r.vars, {
    PLAIN: 'again',
    EXPORTED: 'yes',
    SQ: 'a "b" $HOME \\n',
    DQ: 'x "y" $z \\ \\q',
    CONT: 'onetwo',
    MULTI: 'line1\nline2',
    SPACED: 'v1',
    HASH: 'a#b ; c',
    KEPT: 'trailing  ',
    EMPTY: '',
    // as in systemd: an unclosed quote takes the rest of the file
    OPEN: 'never closed\nAFTER=not read',
  });
  assert.deepEqual(r.warnings, [
    '/etc/default/app, line 15: no NAME=VALUE, skipped',
    '/etc/default/app, line 16: "1BAD" is no variable name (letters, digits and _, not a digit first), skipped',
    '/etc/default/app, line 19: OPEN\'s value opens a double quote that does not close: it takes the rest of the file, as in systemd',
  ]);
  // CRLF files (written on Windows) give the same values
  assert.deepEqual(parseEnvFile('A=1\r\nB="2"\r\n', 'f').vars, { A: '1', B: '2' });
  assert.deepEqual(parseEnvFile("A=1\nB='open\nC=2\n", 'f'), {
    vars: { A: '1', B: 'open\nC=2\n' },
    warnings: ["f, line 2: B's value opens a single quote that does not close: it takes the rest of the file, as in systemd"],
  });
  // warnings count lines as an editor does, whichever line ends the file uses
  for (const eol of ['\n', '\r\n', '\r']) {
    assert.deepEqual(parseEnvFile(['A=1', '# c', 'junk', 'B=2', '1X=3', ''].join(eol), 'f').warnings, [
      'f, line 3: no NAME=VALUE, skipped',
      'f, line 5: "1X" is no variable name (letters, digits and _, not a digit first), skipped',
    ], JSON.stringify(eol));
  }
  // a value that is not UTF-8 refuses the file (systemd refuses to start the unit), naming file, line and variable
  assert.throws(
    () => parseEnvFile(Buffer.from('A=1\n# x\nB="caf\xe9"\n', 'latin1'), '/etc/default/app'),
    (e: unknown) => e instanceof EnvFileError && e.message === 'environment file /etc/default/app, line 3: the value of B is not UTF-8 (systemd refuses such a file too)',
  );
});

test('environment_file reading: a file is read whole up to 1 MiB; a larger one, or a device that never ends (/dev/zero), is refused without being read whole; /dev/null is empty; a directory is an error', () => {
  const dir = new TempDir('tsv-envfile-read-');
  try {
    const big = dir.file('big.env', `${'# padding\n'.repeat(104856)}LAST=end\n`);
    const size = readFileSync(big).length;
    assert.ok(size > 1_000_000 && size <= 1 << 20, String(size));
    assert.deepEqual(readEnvFiles([{ path: big, optional: false }]).vars, { LAST: 'end' });
    writeFileSync(big, 'x'.repeat((1 << 20) + 1));
    const refused = (path: string): string => {
      try {
        readEnvFiles([{ path, optional: false }]);
      } catch (e) {
        assert.ok(e instanceof EnvFileError, String(e));
        return e.message;
      }
      return 'read';
    };
    assert.equal(refused(big), `environment file ${big} is more than a variables file (at most 1048576 bytes)`);
    const t0 = Date.now();
    assert.equal(refused('/dev/zero'), 'environment file /dev/zero is more than a variables file (at most 1048576 bytes)');
    assert.ok(Date.now() - t0 < 2000, 'read /dev/zero for long');
    assert.deepEqual(readEnvFiles([{ path: '/dev/null', optional: false }]), { vars: {}, warnings: [] });
    assert.equal(refused(dir.path), `can't read environment file ${dir.path}: EISDIR`);
    // a FIFO: refused at once, where an open would wait for a writer (and the daemon with it)
    const fifo = dir.join('env.fifo');
    execFileSync('mkfifo', [fifo]);
    assert.equal(refused(fifo), `environment file ${fifo} is a FIFO, not a file: the daemon would wait on it`);
  } finally {
    dir.cleanup();
  }
});

/** The child's environment as it wrote it at its start (env -0 into {DIR}/env-N). */
function childEnvOf(d: Daemon, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readFileSync(d.dir.join(`env-${n}`), 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

const spawns = (d: Daemon): number => mainLogLines(d).filter((l) => /spawned: 'app'/.test(l)).length;

test('environment_file: read at each spawn over environment=, later files over earlier; a missing file fails the spawn unless written -/path; warnings said once', async () => {
  const dir = new TempDir('tsv-envfile-');
  const main = dir.file('main.env', 'PLAIN=from file\nFIRST=1\nbroken line\n');
  const second = dir.file('second.env', 'FIRST=2\n');
  const d = startDaemon(
    'tsv',
    '[program:app]\n' +
      // each run writes its environment to a file of its own, whole before it has its name (the test reads it once it is there)
      `command=/bin/sh -c 'n=$(ls {DIR} | grep -c "^env-"); env -0 > {DIR}/part-$n && mv {DIR}/part-$n {DIR}/env-$n; exec sleep 300'\n` +
      'startsecs=0\nautorestart=true\nstartretries=0\n' +
      // the health check sees the variables of the run it looks at
      `healthcheck=/bin/sh -c 'echo "$PLAIN" > {DIR}/check-env'\nhealthcheck_interval=1\n` +
      'environment=PLAIN="from config",ONLY_CONF=c\n' +
      `environment_file=${main}, ${second}, -${dir.join('not-there.env')}\n`,
  );
  try {
    await waitUp(d);
    await until(() => existsSync(d.dir.join('env-0')), 'the first run');
    const first = childEnvOf(d, 0);
    await until(() => d.dir.read('check-env') === 'from file\n', "the health check to see the run's variables", 5000);
    assert.equal(first.PLAIN, 'from file');
    assert.equal(first.FIRST, '2');
    assert.equal(first.ONLY_CONF, 'c');
    assert.equal(first.SUPERVISOR_PROCESS_NAME, 'app');
    const warned = (): string[] => mainLogLines(d).filter((l) => /environment_file of 'app'/.test(l));
    assert.deepEqual(warned(), [`WARN environment_file of 'app': ${main}, line 3: no NAME=VALUE, skipped`]);

    // a changed file counts from the next start; the same warning is not said again
    writeFileSync(main, 'PLAIN=changed\nFIRST=1\nbroken line\n');
    process.kill(Number(userCtl(d, 'pid', 'app').trim()), 'SIGKILL');
    await until(() => existsSync(d.dir.join('env-1')), 'the restart');
    assert.equal(childEnvOf(d, 1).PLAIN, 'changed');
    await until(() => d.dir.read('check-env') === 'changed\n', "the health check to see the new run's variables", 5000);
    assert.equal(childEnvOf(d, 1).FIRST, '2');
    assert.equal(warned().length, 1);

    // a file that must be there and is not: a spawn error, FATAL after the retries, with the reason in status
    assert.equal(userCtl(d, 'stop', 'app'), 'app: stopped\n');
    spawnSync('rm', [second]);
    assert.equal(userCtl(d, 'start', 'app'), 'app: ERROR (spawn error)\n');
    await until(() => / FATAL /.test(userCtl(d, 'status', 'app')), 'app FATAL');
    assert.equal(userCtl(d, 'status', 'app'), `${'app'.padEnd(33)}FATAL     can't read environment file ${second}: ENOENT (a - before the path makes a missing file no error)\n`);
    assert.ok(mainLogLines(d).includes(`INFO spawnerr: can't read environment file ${second}: ENOENT (a - before the path makes a missing file no error)`), d.log());
    assert.equal(spawns(d), 2, 'no process was started without its file');
    writeFileSync(second, 'FIRST=3\n');
    assert.equal(userCtl(d, 'start', 'app'), 'app: started\n');
    await until(() => existsSync(d.dir.join('env-2')), 'the start once the file is back');
    assert.equal(childEnvOf(d, 2).FIRST, '3');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('environment_file is read by the daemon before it switches user: a file only root may read gives a user= program its secret', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  await withTestUser('tsvenv', 0, async (user) => {
    const dir = new TempDir('tsv-envfile-root-');
    const secret = dir.file('secret.env', 'DB_PASSWORD=s3cret\n');
    chmodSync(secret, 0o600);
    chmodSync(dir.path, 0o755);
    const out = dir.join('seen');
    writeFileSync(out, '');
    chmodSync(out, 0o666);
    const d = startDaemon(
      'tsv',
      `[program:app]\ncommand=/bin/sh -c 'echo "$(id -un) $DB_PASSWORD $(cat ${secret} 2>/dev/null || echo unreadable)" > ${out}; exec sleep 300'\n` +
        `user=${user.name}\nstartsecs=0\nenvironment_file=${secret}\n`,
    );
    try {
      await waitUp(d);
      await until(() => readFileSync(out, 'utf8') !== '', 'the program to write');
      assert.equal(readFileSync(out, 'utf8'), `${user.name} s3cret unreadable\n`);
    } finally {
      await d.stop();
      d.cleanup();
      dir.cleanup();
    }
  });
});

for (const impl of ['supervisord', 'tsv'] as Impl[]) {
  test(`environment_file under ${impl}: ${impl === 'tsv' ? 'read' : 'ignored'}`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const d = startDaemon(impl, `[program:app]\ncommand=/bin/sh -c 'echo "[$FROM_FILE]" > {DIR}/seen; exec sleep 300'\nstartsecs=0\nenvironment_file={DIR}/app.env\n`);
    try {
      writeFileSync(d.dir.join('app.env'), 'FROM_FILE=yes\n');
      await waitUp(d);
      await until(() => existsSync(d.dir.join('seen')), 'the program to write');
      await sleep(100);
      assert.equal(readFileSync(d.dir.join('seen'), 'utf8'), impl === 'tsv' ? '[yes]\n' : '[]\n');
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('environment_file in the config: absolute paths only, with file, line and a hint; %(here)s expands; a change counts for update; config show lists it', () => {
  const dir = new TempDir('tsv-envfile-conf-');
  try {
    const bad = dir.file('bad.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nenvironment_file=app.env\n');
    const r = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', bad], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.status, 2);
    const said = r.stderr + r.stdout;
    assert.ok(said.includes(`${bad}:4`), said);
    assert.match(said, /\[program:x\]/);
    assert.match(said, /environment_file names app\.env, which is not an absolute path/);
    assert.match(said, /%\(here\)s is the directory of this config file/);

    const conf = (v: string): string => dir.file('c.conf', `[supervisord]\n[program:x]\ncommand=/bin/true\n${v}`);
    const a = load(conf('')).groups[0]?.processes[0];
    const b = load(conf('environment_file=%(here)s/app.env, -/etc/default/x\n')).groups[0]?.processes[0];
    assert.ok(a && b);
    assert.deepEqual(a.environment_file, []);
    assert.deepEqual(b.environment_file, [
      { path: dir.join('app.env'), optional: false },
      { path: '/etc/default/x', optional: true },
    ]);
    assert.equal(processConfigsEqual(a, b), false);
    const show = spawnSync(process.execPath, [TSV, 'config', 'show', '-c', dir.join('c.conf')], { encoding: 'utf8', env: cleanEnv() });
    assert.match(show.stdout, new RegExp(`environment_file +${dir.join('app.env').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, -/etc/default/x +\\(`));
  } finally {
    dir.cleanup();
  }
});
