// Differential conformance of the server: the ctl engineer's scenario table
// (test/helpers/ctl-oracle.ts) run twice, once by a reference client against
// the real supervisord and once by a client under test against tsv's daemon,
// each daemon with the same config in a directory of its own. stdout, stderr
// and the exit code must agree after the oracle's normalization (pids,
// uptimes, dates, the directory, the program name).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CTL_SCENARIOS,
  ROOT,
  TSV_CTL,
  normalize,
  runScenarioWith,
  settle,
  startCtlFixture,
  teardownScenario,
  withoutTsvHint,
  type CtlClient,
  type CtlFixture,
  type CtlScenario,
  type RunResult,
} from './ctl-oracle';

export const TSV_DAEMON = [process.execPath, join(ROOT, 'build/tsv.cjs'), 'daemon'];

export interface DifferentialSide {
  client: CtlClient;
  daemon: 'supervisord' | 'tsv';
}

export interface Difference {
  scenario: string;
  expected: RunResult;
  actual: RunResult;
}

/** Scenarios whose outcome differs on purpose, with the reason (docs/differences.md). */
export const INTENDED: Record<string, string> = {};

/**
 * Runs where Supervisor itself went the other way of a race: such a run says
 * nothing about tsv. Each check sees both results and supervisord's main log.
 */
const ORACLE_GLITCHES: Record<string, (expected: RunResult, actual: RunResult, refLog: string) => boolean> = {
  // Its once-a-second loop can find a program that already exited "RUNNING"
  // (startsecs elapsed before the exit was reaped) and restart it: the crash
  // program then runs once more than the config allows.
  'tail group member': (_e, _a, log) => /success: crash entered RUNNING state/.test(log),
};

/**
 * Registers one node:test per scenario: `reference` against supervisord,
 * `candidate` against tsv. Returns the list of differences found (filled as
 * the tests run) for a summary.
 */
export function defineDifferential(label: string, reference: DifferentialSide, candidate: DifferentialSide): Difference[] {
  const differences: Difference[] = [];
  const haveSupervisor = existsSync('/usr/bin/supervisord') && existsSync('/usr/bin/supervisorctl');
  let ref: CtlFixture | undefined;
  let cand: CtlFixture | undefined;
  const fixtureFor = (side: DifferentialSide): Promise<CtlFixture> =>
    startCtlFixture(side.daemon === 'tsv' ? { daemon: TSV_DAEMON } : {});

  before(async () => {
    if (!haveSupervisor) return;
    [ref, cand] = await Promise.all([fixtureFor(reference), fixtureFor(candidate)]);
  });
  after(async () => {
    await Promise.all([ref?.stop(), cand?.stop()]);
    const passed = CTL_SCENARIOS.length - differences.length;
    process.stdout.write(`# ${label}: ${passed}/${CTL_SCENARIOS.length} scenarios identical\n`);
    for (const d of differences) process.stdout.write(`#   differs: ${d.scenario}\n`);
    // TSV_DIFF_DUMP=file: every difference in full, for investigation
    if (process.env.TSV_DIFF_DUMP) writeFileSync(process.env.TSV_DIFF_DUMP, JSON.stringify(differences, null, 2));
  });

  // TSV_SCENARIOS=regex: run only the matching scenarios (investigation)
  const only = process.env.TSV_SCENARIOS ? new RegExp(process.env.TSV_SCENARIOS) : null;
  for (const scenario of CTL_SCENARIOS) {
    if (only && !only.test(scenario.name)) continue;
    const skip = !haveSupervisor ? 'Supervisor is not installed' : skipReason(scenario);
    test(`${label}: ${scenario.name}`, { skip }, async (t) => {
      const [expected, actual] = (
        await Promise.all([runOn(ref as CtlFixture, scenario, reference.client), runOn(cand as CtlFixture, scenario, candidate.client)])
      ).map((r, i) => withoutTsvHint(scenario, i === 0 ? reference.client : candidate.client, r)) as [RunResult, RunResult];
      if (JSON.stringify(expected) !== JSON.stringify(actual)) {
        const glitch = ORACLE_GLITCHES[scenario.name];
        if (glitch?.(expected, actual, mainLog(ref as CtlFixture))) {
          t.diagnostic('supervisord glitched (see its main log); not a tsv difference');
          return;
        }
        differences.push({ scenario: scenario.name, expected, actual });
      }
      if (INTENDED[scenario.name]) return;
      assert.deepEqual(actual, expected);
    });
  }
  return differences;
}

function mainLog(fx: CtlFixture): string {
  try {
    return readFileSync(join(fx.dir, 'supervisord.log'), 'utf8');
  } catch {
    return '';
  }
}

async function runOn(fx: CtlFixture, scenario: CtlScenario, client: CtlClient): Promise<RunResult> {
  const r = await runScenarioWith(fx, scenario, client);
  // as between the two runs of the ctl suite: the daemon settles (quick has exited) before the teardown
  if (fx.daemon.exitCode === null && fx.daemon.signalCode === null) await settle(fx.rpc).catch(() => undefined);
  await teardownScenario(fx, scenario);
  const norm = (t: string): string => crossDaemon(t, fx);
  return { stdout: norm(mainLogFollowed(r.stdout, fx, client)), stderr: norm(r.stderr), code: r.code };
}

const BANNER = '==> Press Ctrl-C to exit <==\n';

/**
 * maintail -f prints each daemon's own main log, whose lines differ in
 * timing and order between two daemons: what must agree is that the text
 * after the banner is a piece of that daemon's main log. Replaced by a marker
 * when it is (and left alone, to show up as a difference, when it is not).
 */
function mainLogFollowed(stdout: string, fx: CtlFixture, client: CtlClient): string {
  if (!stdout.startsWith(BANNER)) return stdout;
  const followed = stdout.slice(BANNER.length).replace(/\n$/, '');
  const log = normalize(mainLog(fx), fx, client);
  return followed.length > 0 && log.includes(followed) ? `${BANNER}<a piece of the main log>\n` : stdout;
}

/**
 * What legitimately differs between two daemons (beyond what the oracle
 * normalizes for two clients of one daemon): each fixture has its own ports,
 * `pid` prints bare process ids, and the main log (maintail) has its own
 * timestamps.
 */
function crossDaemon(text: string, fx: CtlFixture): string {
  return text
    .split(`:${fx.closedPort}`)
    .join(':CLOSEDPORT')
    .split(`:${fx.port}`)
    .join(':PORT')
    .replace(/^[1-9]\d*$/gm, 'PID')
    .replace(/with pid \d+/g, 'with pid PID')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/g, 'TIMESTAMP');
}

let nobodyCanRun: boolean | undefined;

function skipReason(s: CtlScenario): string | false {
  if (s.needs !== 'nobody') return false;
  // runuser, root, and a build that nobody can read (for tsv ctl)
  nobodyCanRun ??=
    existsSync('/usr/sbin/runuser') &&
    process.getuid?.() === 0 &&
    spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', '/usr/bin/test', '-r', TSV_CTL.argv[1] as string], { stdio: 'ignore' }).status === 0;
  return nobodyCanRun ? false : 'cannot run as nobody here';
}
