// The generated service definitions, checked by the tools their init
// systems trust, on this machine: every systemd unit (system and user, with
// awkward paths) passes `systemd-analyze verify`; the LSB and OpenRC scripts
// pass shellcheck; the launchd plists parse with Python's plistlib and carry
// the keys launchd needs (macOS itself is not available here); the tmpfiles
// line is applied by systemd-tmpfiles. Each check has a negative control, so
// it is known to be able to fail. Plus: the quoting round-trips, and the
// --from-supervisor import.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, makeRng } from './helpers/common';
import { hostLayout } from '../src/host/layout';
import { readUnitUser, renderUnit, renderTmpfiles, splitExecLine, unitSetting } from '../src/host/backends/systemd';
import { renderInitD, initDCommand } from '../src/host/backends/sysv';
import { renderOpenrc, openrcCommand } from '../src/host/backends/openrc';
import { renderPlist } from '../src/host/backends/launchd';
import { daemonArgv, type ServiceSpec } from '../src/host/service-spec';
import { shJoin, shSplit, systemdJoin } from '../src/host/quote';
import { planImport } from '../src/host/import-supervisor';
import { packageImportNotes } from '../src/host/import-into-package';
import { stopTimeoutSec } from '../src/host/config-facts';
import { isDefaultDaemon, programFromArgv, tsvArgv, tsvDaemonArgv, type TsvProgram } from '../src/host/tsv-program';
import { configArg, daemonArgs, daemonsFor, type DaemonProcess } from '../src/host/procs';
import { loadConfig } from '../src/config/load';

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('host: generated units, scripts and plists', () => {
  let dir: string;
  // where tsv may live for systemd: a space, %, $ and non-ASCII (it refuses quotes and backslashes in an executable's path)
  let weird: string;
  // where tsv may live for the shell scripts and plists: anything, quotes and backslashes included
  let weirder: string;
  const spec = (over: Partial<ServiceSpec> = {}, base?: string): ServiceSpec => {
    const layout = hostLayout('system', 'linux');
    const at = base ?? weird;
    const tsv = [join(at, 'node'), join(at, 'tsv.cjs')];
    return {
      scope: 'system',
      layout,
      configFile: join(at, 'supervisord.conf'),
      tsv,
      daemon: [...tsv, 'daemon'],
      socket: layout.socket,
      pidfile: layout.pidfile,
      runDir: layout.runDir,
      logDir: layout.logDir,
      mainLog: layout.mainLog,
      stopTimeoutSec: 75,
      daemonUser: null,
      ...over,
    };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsv-templates-'));
    weird = join(dir, 'opt dir/100% $HOME é');
    weirder = join(dir, `opt dir/it's "100%" $HOME\\x`);
    for (const d of [weird, weirder]) {
      mkdirSync(d, { recursive: true });
      symlinkSync(process.execPath, join(d, 'node'));
      writeFileSync(join(d, 'tsv.cjs'), '// stand-in\n');
      writeFileSync(join(d, 'supervisord.conf'), '');
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('the system unit passes systemd-analyze verify, and its ExecStart means what we wrote', { skip: have('systemd-analyze') ? false : 'no systemd-analyze' }, () => {
    const s = spec();
    const unit = renderUnit(s);
    const file = join(dir, 'tsv.service');
    writeFileSync(file, unit);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.doesNotMatch(v.stdout + v.stderr, /tsv\.service/);
    assert.deepEqual(splitExecLine(unitSetting(unit, 'ExecStart') ?? ''), daemonArgv(s));
    for (const want of ['Type=notify', 'NotifyAccess=main', 'KillMode=mixed', 'TimeoutStopSec=75', 'Restart=on-failure', 'RuntimeDirectory=tsv', 'LogsDirectory=tsv', 'WantedBy=multi-user.target']) {
      assert.match(unit, new RegExp(`^${want}$`, 'm'));
    }
    // readiness is the daemon's READY=1: no check process after the start
    assert.equal(unitSetting(unit, 'ExecStartPost'), null);
    assert.match(unitSetting(unit, 'ExecReload') ?? '', / ctl -c .* update$/);
    // a path systemd cannot run is refused at install, not written into a unit
    assert.throws(() => renderUnit(spec({}, weirder)), /systemd cannot run a program whose path contains quotes/);
    // negative control: systemd-analyze does fail on a bad unit
    const bad = join(dir, 'bad.service');
    writeFileSync(bad, unit.replace(/^ExecStart=.*$/m, `ExecStart=${join(dir, 'no-such-program')} daemon`));
    const b = spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' });
    assert.notEqual(b.status, 0);
    assert.match(b.stderr, /no-such-program/);
  });

  test('the user unit passes systemd-analyze verify too (no LogsDirectory, default.target, 0700)', { skip: have('systemd-analyze') ? false : 'no systemd-analyze' }, () => {
    const unit = renderUnit(spec({ scope: 'user', runDir: '/run/user/1000/tsv' }));
    const file = join(dir, 'user', 'tsv.service');
    mkdirSync(join(dir, 'user'));
    writeFileSync(file, unit);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.doesNotMatch(unit, /LogsDirectory/);
    assert.match(unit, /^WantedBy=default\.target$/m);
    assert.match(unit, /^RuntimeDirectoryMode=0700$/m);
  });

  test('the tmpfiles.d line makes /run/tsv (applied by systemd-tmpfiles under a scratch root)', { skip: have('systemd-tmpfiles') ? false : 'no systemd-tmpfiles' }, () => {
    const root = join(dir, 'tmpfiles-root');
    mkdirSync(join(root, 'run'), { recursive: true });
    const conf = join(dir, 'tsv-tmpfiles.conf');
    writeFileSync(conf, renderTmpfiles(spec()));
    const r = spawnSync('systemd-tmpfiles', ['--create', `--root=${root}`, conf], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((statSync(join(root, 'run/tsv')).mode & 0o7777).toString(8), '755');
    assert.equal(statSync(join(root, 'run/tsv')).uid, 0);

    // [supervisord] user=: the owner the unit's RuntimeDirectory= gives it at each start, so a
    // systemd-tmpfiles --create while the daemon runs does not give it back to root
    const line = renderTmpfiles(spec({ daemonUser: 'nobody' }));
    assert.match(line, /^d \/run\/tsv 0755 nobody nogroup -$/m);
    writeFileSync(conf, line);
    // with --root, systemd-tmpfiles reads the names from the root's own files
    mkdirSync(join(root, 'etc'), { recursive: true });
    for (const f of ['passwd', 'group']) copyFileSync(`/etc/${f}`, join(root, 'etc', f));
    const n = spawnSync('systemd-tmpfiles', ['--create', `--root=${root}`, conf], { encoding: 'utf8' });
    assert.equal(n.status, 0, n.stderr);
    const st = statSync(join(root, 'run/tsv'));
    assert.deepEqual([st.uid, st.gid], [65534, 65534]);
  });

  test('the LSB init script and the OpenRC script pass shellcheck (and shellcheck does catch a fault)', { skip: have('shellcheck') ? false : 'no shellcheck' }, () => {
    const plainProgram: TsvProgram = { kind: 'node-script', node: '/usr/local/lib/tsv/node', script: '/usr/local/lib/tsv/tsv.cjs' };
    const plain = spec({ tsv: tsvArgv(plainProgram), daemon: tsvDaemonArgv(plainProgram), configFile: '/etc/tsv/supervisord.conf' });
    for (const [name, text, odd] of [
      ['init-d', renderInitD(plain), false],
      ['openrc', renderOpenrc(plain), false],
      ['init-d-odd-path', renderInitD(spec({}, weirder)), true],
      ['openrc-odd-path', renderOpenrc(spec({}, weirder)), true],
    ] as const) {
      const file = join(dir, `tsv.${name}`);
      writeFileSync(file, text);
      // for the odd path, two infos only say that a quoted '$HOME' stays literal (SC2016) and that
      // '\'' is how a quote is written (SC1003): both are what we mean
      const r = spawnSync('shellcheck', [...(odd ? ['-e', 'SC2016,SC1003'] : []), file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}:\n${r.stdout}`);
      assert.equal(spawnSync('sh', ['-n', file]).status, 0);
      // negative control: a variable nobody sets, unquoted
      writeFileSync(file, text + '\nrm -f $tsv_never_set\n');
      const bad = spawnSync('shellcheck', [file], { encoding: 'utf8' });
      assert.notEqual(bad.status, 0, `${name}: shellcheck missed a fault`);
      assert.match(bad.stdout, /SC2154|SC2086/);
    }
  });

  test('the scripts run the daemon command we wrote, word for word', () => {
    const s = spec({}, weirder);
    assert.deepEqual(initDCommand(renderInitD(s)), daemonArgv(s));
    assert.deepEqual(openrcCommand(renderOpenrc(s)), daemonArgv(s));
  });

  test("the launchd plists parse with plistlib and have what launchd needs (Label = file name, RunAtLoad, KeepAlive, ExitTimeOut, logs)", { skip: existsSync('/usr/bin/python3') ? false : 'no python3' }, () => {
    for (const scope of ['system', 'user'] as const) {
      const s = spec({ scope, layout: hostLayout(scope, 'darwin', { HOME: '/Users/alice' }), runDir: scope === 'system' ? '/var/run/tsv' : '/Users/alice/.local/state/tsv/run', logDir: scope === 'system' ? '/var/log/tsv' : '/Users/alice/Library/Logs/tsv' });
      const file = join(dir, 'tsv.plist');
      writeFileSync(file, renderPlist(s));
      const py = `import plistlib,json,sys,os
p=plistlib.load(open(sys.argv[1],'rb'))
print(json.dumps(p))`;
      const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const p = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.equal(p.Label, 'tsv', 'Label must equal the file name tsv.plist');
      assert.equal(p.RunAtLoad, true);
      assert.deepEqual(p.KeepAlive, { SuccessfulExit: false });
      assert.equal(p.ExitTimeOut, 75);
      assert.equal(p.LaunchOnlyOnce, undefined, 'KeepAlive and LaunchOnlyOnce contradict');
      assert.equal(p.StandardOutPath, `${s.logDir}/launchd.out.log`);
      assert.equal(p.StandardErrorPath, `${s.logDir}/launchd.err.log`);
      const args = p.ProgramArguments as string[];
      assert.deepEqual(args.slice(0, 2), ['/bin/sh', '-c']);
      // the shell line makes the socket directory, then execs exactly the daemon argv
      const line = args[2];
      assert.ok(line.startsWith(`/bin/mkdir -p ${shJoin([s.runDir])} && exec `), line);
      assert.deepEqual(shSplit(line.slice(line.indexOf('exec ') + 5)), daemonArgv(s));
    }
    // negative control: plistlib refuses a broken plist
    writeFileSync(join(dir, 'broken.plist'), renderPlist(spec()).replace('</dict>\n</plist>', '</plist>'));
    assert.notEqual(spawnSync('/usr/bin/python3', ['-c', 'import plistlib,sys; plistlib.load(open(sys.argv[1],"rb"))', join(dir, 'broken.plist')]).status, 0);
  });

  test("the unit's User= as systemd reads it: [Service] only, drop-ins in name order across directories, the first directory's of one name, an empty one resets", () => {
    const etc = join(dir, 'etc-units');
    const lib = join(dir, 'lib-units');
    for (const d of [etc, lib]) mkdirSync(join(d, 'tsv.service.d'), { recursive: true });
    const unit = join(lib, 'tsv.service');
    writeFileSync(unit, '[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/tsv daemon -n\nRuntimeDirectory=tsv\n[Install]\nUser=nobody\n');
    const read = (): ReturnType<typeof readUnitUser> => readUnitUser(unit, [etc, lib]);
    assert.deepEqual(read(), { user: null, from: null, makesDirs: true });
    writeFileSync(join(lib, 'tsv.service.d', '50-tsv-daemon-user.conf'), '[Service]\nUser=libuser\n');
    assert.deepEqual(read(), { user: 'libuser', from: join(lib, 'tsv.service.d', '50-tsv-daemon-user.conf'), makesDirs: true });
    // the same name in /etc hides /lib's
    writeFileSync(join(etc, 'tsv.service.d', '50-tsv-daemon-user.conf'), '# a comment\n[Service]\n  User = svc\n');
    assert.equal(read().user, 'svc');
    // a later name wins, and an empty assignment resets to none
    writeFileSync(join(lib, 'tsv.service.d', '60-reset.conf'), '[Service]\nUser=\n');
    assert.deepEqual(read(), { user: null, from: null, makesDirs: true });
    writeFileSync(join(lib, 'tsv.service.d', '70-other.conf'), '[Unit]\nUser=ignored\n[Service]\n;User=commented\nUser=app\n');
    assert.deepEqual(read(), { user: 'app', from: join(lib, 'tsv.service.d', '70-other.conf'), makesDirs: true });
    writeFileSync(unit, '[Service]\nExecStart=/usr/bin/tsv daemon -n\n');
    assert.equal(read().makesDirs, false);
  });

  test('quoting round-trips: systemd Exec lines and shell words give back the argv (2000 generated argvs)', () => {
    const rng = makeRng(6);
    const alphabet = `ab/._- '"\\$%\`!*?;&|<>()[]{}#~=:,@+é\t`;
    const exeAlphabet = 'ab/._- $%!*?;&|<>()[]{}#~=:,@+é';
    const word = (chars: string): string => Array.from({ length: 1 + Math.floor(rng() * 12) }, () => chars[Math.floor(rng() * chars.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const argv = ['/' + word(exeAlphabet), ...Array.from({ length: Math.floor(rng() * 4) }, () => word(alphabet))];
      assert.deepEqual(splitExecLine(systemdJoin(argv)), argv, systemdJoin(argv));
      assert.deepEqual(shSplit(shJoin(argv)), argv, shJoin(argv));
      // and the real shell agrees
      if (i % 200 === 0) {
        const r = spawnSync('sh', ['-c', `for a in ${shJoin(argv)}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
        assert.deepEqual(r.stdout.split('\0').slice(0, -1), argv);
      }
    }
  });

  test('TimeoutStopSec: groups stop one after another, so it is the sum of each group longest stopwaitsecs plus a margin', () => {
    const conf = join(dir, 'stop.conf');
    writeFileSync(
      conf,
      `[supervisord]\nlogfile=${dir}/x.log\npidfile=${dir}/x.pid\nchildlogdir=${dir}\n[program:a]\ncommand=/bin/true\nstopwaitsecs=40\n[program:b]\ncommand=/bin/true\nstopwaitsecs=25\n[program:c]\ncommand=/bin/true\nstopwaitsecs=5\n[group:g]\nprograms=b,c\n`,
    );
    assert.equal(stopTimeoutSec(loadConfig({ file: conf }).config), 40 + 25 + 10);
  });

  test('--from-supervisor: programs carried over word for word, paths become tsv\'s, conf.d copied', () => {
    const src = join(dir, 'etc-supervisor');
    mkdirSync(join(src, 'conf.d'), { recursive: true });
    writeFileSync(
      join(src, 'supervisord.conf'),
      `[unix_http_server]\nfile=/var/run/supervisor.sock\nchmod=0700\nusername=admin\npassword=s3cret\n\n[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\npidfile=/var/run/supervisord.pid\nchildlogdir=/var/log/supervisor\nminfds=4096\nenvironment=A="1",\n  B="2"\n\n[supervisorctl]\nserverurl=unix:///var/run/supervisor.sock\nusername=admin\npassword=s3cret\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[program:api]\ncommand=/usr/bin/env python3 -m http.server 8000 ; a comment\nautorestart=true\n\n[include]\nfiles = conf.d/*.conf /opt/other/*.ini\n`,
    );
    writeFileSync(join(src, 'conf.d', 'worker.conf'), '[program:worker]\ncommand=/bin/sleep 1000\ndirectory=%(here)s\n');
    const layout = hostLayout('system', 'linux');
    const plan = planImport(join(src, 'supervisord.conf'), layout, 'header');
    assert.match(plan.main, /^file = \/run\/tsv\/tsv\.sock$/m);
    assert.match(plan.main, /^chown = root:tsv$/m);
    assert.match(plan.main, /^username=admin$/m);
    assert.match(plan.main, /^minfds=4096$/m);
    assert.match(plan.main, /^environment=A="1",\n {2}B="2"$/m);
    assert.match(plan.main, /^logfile = \/var\/log\/tsv\/tsv\.log$/m);
    assert.doesNotMatch(plan.main, /supervisor\.sock|\/var\/log\/supervisor/);
    assert.match(plan.main, /^\[program:api\]\ncommand=\/usr\/bin\/env python3 -m http\.server 8000 ; a comment\nautorestart=true$/m);
    assert.match(plan.main, /^files = \/etc\/tsv\/conf\.d\/\*\.conf \/opt\/other\/\*\.ini$/m);
    assert.deepEqual(plan.copies.map((c) => [c.from, c.to]), [[join(src, 'conf.d', 'worker.conf'), '/etc/tsv/conf.d/worker.conf']]);
    // %(here)s keeps meaning the directory it stood in under Supervisor
    assert.equal(plan.copies[0]!.content, `[program:worker]\ncommand=/bin/sleep 1000\ndirectory=${join(src, 'conf.d')}\n`);
    assert.match(plan.notes.join('\n'), new RegExp(`worker\\.conf uses %\\(here\\)s: written out as ${join(src, 'conf.d')}, what it meant there`));
    // on a package host the package's config keeps its own [unix_http_server]: what is left out is said, the login too
    const notes = packageImportNotes(planImport(join(src, 'supervisord.conf'), layout, 'header', { flat: true }), '/etc/tsv/supervisord.conf', join(src, 'supervisord.conf'));
    assert.deepEqual(notes.slice(1), [
      'not carried, as /etc/tsv/supervisord.conf is the package\'s: [supervisord] minfds=4096; environment=A="1", (add them there by hand if the programs need them)',
      `not carried: [include] /opt/other/*.ini, outside ${join(src, 'supervisord.conf')}'s directory (add it to /etc/tsv/supervisord.conf's [include] by hand)`,
      "not carried: the control socket's login (username=admin), as /etc/tsv/supervisord.conf is the package's; its socket is open to root and the tsv group only. To keep the login, add the username= and password= lines to its [unix_http_server] and [supervisorctl] by hand",
    ]);
  });

  test('--from-supervisor: two included directories with a file of the same name each keep it; a pattern given twice is included once; %(here)s in the main file and a look-alike directory', () => {
    const src = join(dir, 'etc-supervisor-two');
    mkdirSync(join(src, 'conf.d'), { recursive: true });
    mkdirSync(join(src, 'extra'), { recursive: true });
    const lookalike = `${src}-apps`;
    mkdirSync(lookalike, { recursive: true });
    writeFileSync(
      join(src, 'supervisord.conf'),
      `[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\n\n[program:top]\ncommand=/bin/sleep 1000\ndirectory=%(here)s\n\n[include]\nfiles = conf.d/*.conf extra/*.conf %(here)s/conf.d/*.conf ${lookalike}/*.conf\n`,
    );
    writeFileSync(join(src, 'conf.d', 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\n');
    writeFileSync(join(src, 'extra', 'web.conf'), '[program:extra_web]\ncommand=/bin/sleep 1000\n');
    writeFileSync(join(lookalike, 'app.conf'), '[program:app]\ncommand=/bin/sleep 1000\n');
    const plan = planImport(join(src, 'supervisord.conf'), hostLayout('system', 'linux'), 'header');
    assert.deepEqual(
      plan.copies.map((c) => [c.from, c.to]),
      [
        [join(src, 'conf.d', 'web.conf'), '/etc/tsv/conf.d/web.conf'],
        [join(src, 'extra', 'web.conf'), '/etc/tsv/conf.d/extra/web.conf'],
      ],
    );
    assert.match(plan.main, new RegExp(`^files = /etc/tsv/conf\\.d/\\*\\.conf /etc/tsv/conf\\.d/extra/\\*\\.conf ${lookalike}/\\*\\.conf$`, 'm'));
    assert.match(plan.main, new RegExp(`^\\[program:top\\]\ncommand=/bin/sleep 1000\ndirectory=${src}$`, 'm'));
    assert.deepEqual(plan.outside, [`${lookalike}/*.conf`]);
    // for the package's config, which includes conf.d/*.conf only: one directory, a second one's files named after it
    const flat = planImport(join(src, 'supervisord.conf'), hostLayout('system', 'linux'), 'header', { flat: true });
    assert.deepEqual(flat.copies.map((c) => c.to), ['/etc/tsv/conf.d/web.conf', '/etc/tsv/conf.d/extra-web.conf']);
    assert.deepEqual(flat.carried, [`[program:top]\ncommand=/bin/sleep 1000\ndirectory=${src}`]);
  });

  test('--from-supervisor: a file supervisord could not run (a mistyped path to another file, bytes that are not UTF-8, a directory) is refused before anything is planned, with the reader\'s error', () => {
    const bad = join(dir, 'not-a-config');
    mkdirSync(bad);
    writeFileSync(join(bad, 'latin1.conf'), Buffer.from('[supervisord]\n; caf\xe9\n', 'latin1'));
    const cases: [string, RegExp][] = [
      ['/etc/passwd', /\/etc\/passwd:1: this line comes before any \[section\] header/],
      [join(bad, 'latin1.conf'), /latin1\.conf:2: the file is not valid UTF-8 text: byte 0xe9/],
      [bad, /could not read config file .*\n.*not a regular file/],
    ];
    for (const [source, why] of cases) {
      const r = spawnSync(process.execPath, [cliPath(), 'install', '--boot', '--dry-run', '--init', 'sysv', '--from-supervisor', source, '-c', join(dir, 'never-written.conf')], {
        encoding: 'utf8',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
      });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '', source);
      assert.ok(r.stderr.startsWith(`tsv install: --from-supervisor: ${source} is not a config supervisord can run; nothing was changed\n  Error: `), r.stderr);
      assert.match(r.stderr, why);
    }
    // a Supervisor config whose log directory is missing here (its package removed) is still imported: tsv's paths replace it
    const gone = join(dir, 'gone-supervisor');
    mkdirSync(gone);
    writeFileSync(join(gone, 'supervisord.conf'), `[supervisord]\nlogfile=${dir}/no-such-dir/supervisord.log\nchildlogdir=${dir}/no-such-dir\n[program:a]\ncommand=/bin/sleep 1000\n`);
    const plan = planImport(join(gone, 'supervisord.conf'), hostLayout('system', 'linux'), 'header');
    assert.match(plan.main, /^\[program:a\]\ncommand=\/bin\/sleep 1000$/m);
  });

  test('--dry-run on this machine, for every init system and scope, prints and changes nothing', () => {
    const home = join(dir, 'home');
    mkdirSync(home);
    const watched = ['/etc/tsv', '/var/lib/tsv', '/var/log/tsv', '/etc/systemd/system/tsv.service', '/etc/init.d/tsv', '/etc/tmpfiles.d/tsv.conf', join(home, '.config')];
    const existed = watched.map((p) => existsSync(p));
    const runs: [string[], RegExp][] = [
      [['--init', 'systemd'], /would write \/etc\/systemd\/system\/tsv\.service/],
      [['--init', 'sysv'], /would write \/etc\/init\.d\/tsv .*\n----- \/etc\/init\.d\/tsv -----\n#!\/bin\/sh/],
      [['--init', 'openrc'], /----- \/etc\/init\.d\/tsv -----\n#!\/sbin\/openrc-run/],
      [['--init', 'launchd'], /would write \/Library\/LaunchDaemons\/tsv\.plist/],
      [['--init', 'systemd', '--user'], /would write .*\/home\/\.config\/systemd\/user\/tsv\.service/],
      [['--init', 'launchd', '--user'], /would write .*\/home\/Library\/LaunchAgents\/tsv\.plist/],
    ];
    for (const [flags, want] of runs) {
      const r = spawnSync(process.execPath, [cliPath(), 'install', '--boot', '--dry-run', ...flags], {
        encoding: 'utf8',
        env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: join(dir, 'runtime'), XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', NODE_EXTRA_CA_CERTS: '' },
      });
      assert.equal(r.status, 0, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, want, flags.join(' '));
      assert.match(r.stdout, /dry run: \d+ change\(s\) listed above; nothing was changed/);
    }
    assert.deepEqual(watched.map((p) => existsSync(p)), existed);
    assert.equal(readFileSync('/etc/group', 'utf8').includes('\ntsv:'), existed[0] ? readFileSync('/etc/group', 'utf8').includes('\ntsv:') : false);
  });

  test('a Node script runs the daemon with V8 flags before the script, and doctor reads that command line back', () => {
    const script: TsvProgram = { kind: 'node-script', node: '/opt/n/bin/node', script: '/opt/tsv/tsv.cjs' };
    const daemon = tsvDaemonArgv(script);
    assert.deepEqual(daemon, ['/opt/n/bin/node', '--v8-pool-size=1', '--max-semi-space-size=1', '--optimize-for-size', '/opt/tsv/tsv.cjs', 'daemon']);
    assert.deepEqual(programFromArgv([...daemon, '-n', '-c', '/etc/tsv/supervisord.conf']), { program: script, rest: ['daemon', '-n', '-c', '/etc/tsv/supervisord.conf'] });
    assert.deepEqual(daemonArgs([...daemon, '-c', '/x.conf']), ['-c', '/x.conf']);
    // a binary carries its flags itself
    assert.deepEqual(tsvDaemonArgv({ kind: 'binary', path: '/usr/bin/tsv' }), ['/usr/bin/tsv', 'daemon']);
    // what this version installs, what earlier ones did, and a --daemon-command
    const tsv = tsvArgv(script);
    assert.equal(isDefaultDaemon(daemon, tsv), true);
    assert.equal(isDefaultDaemon([...tsv, 'daemon'], tsv), true);
    assert.equal(isDefaultDaemon(['/usr/bin/supervisord'], tsv), false);
    assert.equal(isDefaultDaemon(['/opt/n/bin/node', '--inspect', '/opt/tsv/tsv.cjs', 'daemon'], tsv), false);
    // the other daemons doctor must find, and what is not one
    assert.deepEqual(daemonArgs(['/usr/bin/python3', '-u', '/usr/bin/supervisord', '-n']), ['-n']);
    assert.deepEqual(daemonArgs(['/usr/bin/tsv', 'daemon', '-n']), ['-n']);
    assert.equal(daemonArgs(['/usr/bin/python3', '/srv/app.py', 'supervisord']), null);
    assert.equal(daemonArgs(['/usr/bin/tsv', 'status']), null);
    // the binaries as make dist names them, run from where they were copied
    assert.deepEqual(daemonArgs(['/opt/tsv-linux-x64', 'daemon', '-c', '/x.conf']), ['-c', '/x.conf']);
    assert.equal(daemonArgs(['/opt/tsvlike', 'daemon']), null);
    // -c in a cluster of flags (supervisord -nc FILE, a Dockerfile's CMD), after an option's value, or glued
    assert.equal(configArg(['-nc', '/a.conf']), '/a.conf');
    assert.equal(configArg(['-n', '-u', 'nobody', '-c', '/b.conf']), '/b.conf');
    assert.equal(configArg(['-u', '-c', '-c', '/c.conf']), '/c.conf', "the user named '-c'");
    assert.equal(configArg(['-nc/d.conf']), '/d.conf');
    assert.equal(configArg(['--config=/e.conf']), '/e.conf');
    assert.equal(configArg(['-n', '-k']), null);
  });

  test("a daemon whose config cannot be told (a relative -c from a directory closed to the caller) may run only a config whose path ends with that -c", () => {
    const d = (pid: number, configGiven: string | null): DaemonProcess => ({ pid, argv: [], kind: 'supervisord', configFile: null, configGiven });
    const conf = '/nonexistent-tsv/etc/tsv/supervisord.conf';
    const all = [d(1, 'R/sv.conf'), d(2, 'supervisord.conf'), d(3, './tsv/supervisord.conf'), d(4, null), d(5, '../x.conf'), d(6, 'isord.conf')];
    assert.deepEqual(
      daemonsFor(conf, all).unknown.map((p) => p.pid),
      [2, 3, 4, 5],
    );
    assert.deepEqual(daemonsFor(conf, [{ ...d(7, null), configFile: conf }]).on.map((p) => p.pid), [7]);
  });
});
