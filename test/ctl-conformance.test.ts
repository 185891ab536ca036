// `tsv ctl` against Supervisor's own supervisorctl, scenario by scenario, both
// talking to the same real supervisord (see test/helpers/ctl-oracle.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  CTL_SCENARIOS,
  PYTHON_CTL,
  TSV_CTL,
  runScenarioWith,
  startCtlFixture,
  teardownScenario,
  withoutTsvHint,
} from './helpers/ctl-oracle';
import type { CtlFixture } from './helpers/ctl-oracle';

const haveSupervisor = existsSync('/usr/bin/supervisord') && existsSync('/usr/bin/supervisorctl');
// Running a client as nobody needs runuser and a checkout nobody can read.
const canRunAsNobody =
  existsSync('/usr/sbin/runuser') &&
  process.getuid?.() === 0 &&
  spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', '/usr/bin/test', '-r', TSV_CTL.argv[1] as string], { stdio: 'ignore' }).status === 0;

let fx: CtlFixture;

before(async () => {
  if (haveSupervisor) fx = await startCtlFixture();
});

after(async () => {
  await fx?.stop();
});

test('the scenario table covers every verb', () => {
  const verbs = new Set(CTL_SCENARIOS.flatMap((s) => s.args.filter((a) => /^[a-z]+$/.test(a))));
  for (const v of ['add', 'avail', 'clear', 'exit', 'fg', 'help', 'maintail', 'open', 'pid', 'quit', 'reload', 'remove', 'reread', 'restart', 'shutdown', 'signal', 'start', 'status', 'stop', 'tail', 'update', 'version']) {
    assert.ok(verbs.has(v), `no scenario runs ${v}`);
  }
  assert.ok(CTL_SCENARIOS.length >= 40);
});

for (const scenario of CTL_SCENARIOS) {
  const skip = !haveSupervisor ? 'Supervisor is not installed' : scenario.needs === 'nobody' && !canRunAsNobody ? 'cannot run as nobody here' : false;
  test(`ctl: ${scenario.name}`, { skip }, async () => {
    const expected = await runScenarioWith(fx, scenario, PYTHON_CTL);
    const actual = withoutTsvHint(scenario, TSV_CTL, await runScenarioWith(fx, scenario, TSV_CTL));
    await teardownScenario(fx, scenario);
    assert.deepEqual(actual, expected);
  });
}
