// Differential fuzzing against the real Supervisor: generated and mutated
// configs are read by Supervisor 4.2.5 and by tsv. Whenever Supervisor
// accepts one, tsv must accept it with the same values; whenever Supervisor
// refuses one, tsv must refuse it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MAX_NUMPROCS } from '../src/config/load';
import { ConfigError } from '../src/config/errors';
import { toJson } from '../src/config/commands';
import { makeRng, pick, repoRoot } from './helpers/common';
import { generated, mutate } from './helpers/config-gen';
import { compareConfigs, type JsonObject } from './helpers/config-compare';

const CASES = Number(process.env.TSV_FUZZ_ORACLE_CASES ?? 1500);

test(`differential fuzz: ${CASES} configs read by Supervisor and by tsv agree`, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-fuzz-oracle-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d/a.conf'), '[program:inc]\ncommand=/bin/true\n[program:a]\npriority=5\n');
    writeFileSync(join(dir, 'conf.d/b.conf'), '[group:g]\nprograms=inc\n');
    const valid = join(repoRoot(), 'test/fixtures/config/valid');
    const base = readdirSync(valid)
      .filter((n) => n.endsWith('.conf'))
      .map((n) => readFileSync(join(valid, n), 'utf8'));
    const rng = makeRng(Number(process.env.TSV_FUZZ_SEED ?? 7));
    const files: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const f = join(dir, `c${i}.conf`);
      writeFileSync(f, i % 2 === 0 ? generated(rng) : mutate(rng, pick(rng, base)));
      files.push(f);
    }
    const env = { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', X: 'x' };
    // tsv's own answers first: a config tsv refuses for asking for more than
    // MAX_NUMPROCS processes would make Supervisor run forever, so it is not
    // sent to Supervisor (docs/differences.md).
    const ourAnswers = new Map<string, JsonObject | ConfigError>();
    for (const file of files) {
      try {
        ourAnswers.set(file, JSON.parse(JSON.stringify(toJson(loadConfig({ file, env, cwd: dir }).config))) as JsonObject);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`${file}: ${(err as Error).stack}\n${readFileSync(file, 'utf8')}`);
        ourAnswers.set(file, err);
      }
    }
    const tooMany = (f: string): boolean => {
      const a = ourAnswers.get(f);
      return a instanceof ConfigError && a.option === 'numprocs' && a.message.includes(`at most ${MAX_NUMPROCS}`);
    };
    files.splice(0, files.length, ...files.filter((f) => !tooMany(f)));
    const dump = spawnSync('/usr/bin/python3', [join(repoRoot(), 'test/oracle/supervisor_dump.py'), ...files], {
      cwd: dir,
      env,
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    assert.equal(dump.status, 0, dump.stderr);
    const answers = dump.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as JsonObject);
    assert.equal(answers.length, files.length);

    let bothAccept = 0;
    let bothReject = 0;
    const problems: string[] = [];
    files.forEach((file, i) => {
      const sup = answers[i];
      // Supervisor itself crashing (a traceback, not a clean refusal) is a refusal for a user.
      const supRejects = 'error' in sup;
      const answer = ourAnswers.get(file);
      const ours = answer instanceof ConfigError ? null : (answer ?? null);
      const ourError = answer instanceof ConfigError ? answer.render() : '';
      const text = readFileSync(file, 'utf8');
      if (supRejects && ours) {
        problems.push(`Supervisor rejects (${String(sup.error)}) but tsv accepts:\n${text}`);
      } else if (!supRejects && !ours) {
        problems.push(`Supervisor accepts but tsv rejects: ${ourError}\n${text}`);
      } else if (!supRejects && ours) {
        const diffs = compareConfigs(sup, ours);
        if (diffs.length) problems.push(`values differ: ${diffs.slice(0, 5).join('; ')}\n${text}`);
        else bothAccept++;
      } else {
        bothReject++;
      }
    });
    t.diagnostic(`${bothAccept} accepted by both, ${bothReject} refused by both, ${problems.length} disagreements`);
    assert.deepEqual(problems.slice(0, 3), [], `${problems.length} disagreements; the first ones are shown`);
    assert.ok(bothAccept > CASES / 20, `only ${bothAccept} configs accepted by both: the generator probes too little`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
