// The config reader against the real Supervisor: every file of the corpus in
// test/fixtures/config/ is parsed by Supervisor 4.2.5 (test/oracle/supervisor_dump.py,
// one Python start for the whole corpus) and by `tsv config show --json` /
// `tsv config check`. Valid files must give the same values field by field;
// invalid files must be refused by both, with tsv naming the section and
// option the file's header expects and never printing a stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cliPath, repoRoot } from './helpers/common';
import { compareConfigs, type JsonObject } from './helpers/config-compare';

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface InvalidExpectation {
  section: string;
  option: string;
  hint?: string;
}

const MIN_VALID = 45;
const MIN_INVALID = 30;

let work = '';
let env: NodeJS.ProcessEnv = {};
let validFiles: string[] = [];
let invalidFiles: string[] = [];
const oracle = new Map<string, JsonObject>();
const tsvShow = new Map<string, RunResult>();
const tsvCheck = new Map<string, RunResult>();

function confFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((n) => join(dir, n));
}

function runTsv(args: string[]): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { cwd: work, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Runs jobs with at most `limit` at a time (the machine has 2 cores). */
async function inPool<T>(items: T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await job(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function headerValue(file: string, key: string): string | undefined {
  const re = new RegExp(`^;\\s*${key}:\\s*(.+?)\\s*$`, 'm');
  return re.exec(readFileSync(file, 'utf8'))?.[1];
}

function expectation(file: string): InvalidExpectation {
  const section = headerValue(file, 'expect-section');
  const option = headerValue(file, 'expect-option');
  assert.ok(section && option, `${basename(file)} lacks its '; expect-section:' / '; expect-option:' header`);
  // optional: a hint tsv must give (its whole line after 'hint: ')
  return { section, option, hint: headerValue(file, 'expect-hint') };
}

/**
 * What a Supervisor parse warning must show in tsv's output: the words that
 * identify it (tsv may word it differently, but on one line).
 */
function warningTokens(message: string): string[] {
  let m = /^No file matches via include "(.*)"$/.exec(message);
  if (m) return [m[1]];
  m = /^For \[(.*?)\], redirect_stderr=true but stderr_logfile/.exec(message);
  if (m) return [m[1], 'redirect_stderr', 'stderr_logfile'];
  m = /^For \[(.*?)\], AUTO logging used for (\w+) without rollover/.exec(message);
  if (m) return [m[1], m[2], 'AUTO'];
  m = /^For \[(.*?)\], (\w+)=syslog but this is deprecated/.exec(message);
  if (m) return [m[1], m[2], 'syslog'];
  return [message];
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'tsv-config-oracle-'));
  cpSync(join(repoRoot(), 'test/fixtures/config'), work, { recursive: true });
  // The same small environment for both sides, so %(ENV_X)s, ~ and the temp
  // dir agree; HOME is the corpus copy so ~/valid/... paths exist.
  env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: work,
    LANG: 'C.UTF-8',
    TSV_TEST_X: 'hello',
    TSV_TEST_NUM: '42',
  };
  validFiles = confFiles(join(work, 'valid'));
  invalidFiles = confFiles(join(work, 'invalid'));

  const all = [...validFiles, ...invalidFiles];
  const dump = spawnSync('/usr/bin/python3', [join(repoRoot(), 'test/oracle/supervisor_dump.py'), ...all], {
    cwd: work,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(dump.status, 0, `supervisor_dump.py failed: ${dump.stderr}`);
  const lines = dump.stdout.trimEnd().split('\n');
  assert.equal(lines.length, all.length, 'supervisor_dump.py printed one line per file');
  lines.forEach((line, i) => {
    const obj = JSON.parse(line) as JsonObject;
    assert.equal(obj.file, all[i]);
    oracle.set(all[i], obj);
  });

  await inPool(validFiles, 4, async (f) => {
    tsvShow.set(f, await runTsv(['config', 'show', '--json', '-c', f]));
    tsvCheck.set(f, await runTsv(['config', 'check', '-c', f]));
  });
  await inPool(invalidFiles, 4, async (f) => {
    tsvCheck.set(f, await runTsv(['config', 'check', '-c', f]));
  });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the corpus is big enough', () => {
  assert.ok(validFiles.length >= MIN_VALID, `${validFiles.length} valid files, want at least ${MIN_VALID}`);
  assert.ok(invalidFiles.length >= MIN_INVALID, `${invalidFiles.length} invalid files, want at least ${MIN_INVALID}`);
});

test('Supervisor accepts every valid file', () => {
  const rejected = validFiles
    .filter((f) => 'error' in (oracle.get(f) ?? {}))
    .map((f) => `${basename(f)}: ${String(oracle.get(f)?.error)}`);
  assert.deepEqual(rejected, [], 'the corpus itself is wrong: Supervisor rejects these "valid" files');
});

test('Supervisor rejects every invalid file', () => {
  const accepted = invalidFiles.filter((f) => !('error' in (oracle.get(f) ?? {}))).map((f) => basename(f));
  assert.deepEqual(accepted, [], 'the corpus itself is wrong: Supervisor accepts these "invalid" files');
  for (const f of invalidFiles) expectation(f);
});

test('tsv config show --json gives Supervisor\'s values for every valid file', async (t) => {
  for (const f of validFiles) {
    await t.test(basename(f), () => {
      const sup = oracle.get(f);
      assert.ok(sup && !('error' in sup), `Supervisor rejected ${basename(f)}`);
      const r = tsvShow.get(f);
      assert.ok(r);
      assert.equal(r.status, 0, `tsv config show exited ${r.status}: ${r.stderr}`);
      let ours: JsonObject;
      try {
        ours = JSON.parse(r.stdout) as JsonObject;
      } catch {
        assert.fail(`tsv config show --json printed no JSON: ${r.stdout.slice(0, 500)}`);
      }
      const diffs = compareConfigs(sup, ours);
      assert.ok(
        diffs.length === 0,
        `${basename(f)}: first difference at ${diffs[0]}` +
          (diffs.length > 1 ? `\n${diffs.length} differences:\n  ${diffs.slice(0, 30).join('\n  ')}` : ''),
      );
    });
  }
});

test('tsv config check exits 0 on every valid file and shows Supervisor\'s warnings', async (t) => {
  for (const f of validFiles) {
    await t.test(basename(f), () => {
      const r = tsvCheck.get(f);
      assert.ok(r);
      assert.equal(r.status, 0, `tsv config check exited ${r.status}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^ {4}at /m, 'stack trace in stderr');
      const lines = `${r.stdout}\n${r.stderr}`.split('\n');
      const warnings = (oracle.get(f)?.warnings ?? []) as JsonObject[];
      for (const w of warnings) {
        const tokens = warningTokens(String(w.message));
        assert.ok(
          lines.some((line) => tokens.every((tok) => line.includes(tok))),
          `Supervisor warns "${String(w.message)}" but no line of tsv's output has all of ${JSON.stringify(tokens)}:\n${r.stderr}${r.stdout}`,
        );
      }
    });
  }
});

test('the corpus has the warnings the check above relies on', () => {
  const messages = validFiles.flatMap((f) => ((oracle.get(f)?.warnings ?? []) as JsonObject[]).map((w) => String(w.message)));
  for (const kind of [/^No file matches via include/, /redirect_stderr=true but stderr_logfile/, /AUTO logging used for/]) {
    assert.ok(messages.some((m) => kind.test(m)), `no valid file makes Supervisor warn ${kind}`);
  }
});

test('tsv config check refuses every invalid file, naming the section and option', async (t) => {
  for (const f of invalidFiles) {
    await t.test(basename(f), () => {
      const { section, option, hint } = expectation(f);
      const r = tsvCheck.get(f);
      assert.ok(r);
      const sup = String(oracle.get(f)?.error);
      assert.equal(r.status, 2, `tsv config check exited ${r.status} (Supervisor: ${sup})\n${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^ {4}at /m, `stack trace in stderr:\n${r.stderr}`);
      if (section !== '-') {
        assert.ok(r.stderr.includes(section), `stderr does not name section ${section} (Supervisor: ${sup}):\n${r.stderr}`);
      }
      if (option !== '-') {
        assert.ok(r.stderr.includes(option), `stderr does not name option ${option} (Supervisor: ${sup}):\n${r.stderr}`);
      }
      if (hint) assert.ok(r.stderr.includes(`hint: ${hint}\n`), `stderr does not hint '${hint}':\n${r.stderr}`);
    });
  }
});

// A container with a read-only root (/tmp too), or a TMPDIR the daemon cannot
// write: Supervisor's default childlogdir is tempfile.gettempdir(), the first
// directory of TMPDIR, TEMP, TMP, /tmp, /var/tmp, /usr/tmp where a file can be
// made; tsv must put AUTO logs where it does instead of failing the start.
test('the default childlogdir with /tmp read-only, and with TMPDIR read-only: Supervisor\'s choice', { skip: process.getuid?.() === 0 ? false : 'needs root for a mount namespace' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tsv-tempdir-'));
  try {
    const conf = join(work, 'supervisord.conf');
    writeFileSync(conf, '[supervisord]\n');
    mkdirSync(join(work, 'ro'));
    const pick = `/usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)[\\"supervisord\\"][\\"childlogdir\\"])"`;
    const both = `/usr/bin/python3 ${join(repoRoot(), 'test/oracle/supervisor_dump.py')} ${conf} | ${pick}; ${process.execPath} ${cliPath()} config show --json -c ${conf} | ${pick}`;
    // in a mount namespace of its own: nothing outside sees the read-only mounts
    const script = [
      'set -e',
      `mount --bind ${work}/ro ${work}/ro && mount -o remount,bind,ro ${work}/ro`,
      `TMPDIR=${work}/ro sh -c '${both}'`,
      'mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp',
      `env -u TMPDIR -u TEMP -u TMP sh -c '${both}'`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const dirs = r.stdout.split('\n').filter(Boolean);
    // Supervisor, tsv; then the same with /tmp read-only
    assert.deepEqual(dirs, ['/tmp', '/tmp', '/var/tmp', '/var/tmp']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
