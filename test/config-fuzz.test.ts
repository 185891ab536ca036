// Fuzzing the config reader: generated and mutated configs must come back as
// a Config or a ConfigError — never another exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load';
import { ConfigError } from '../src/config/errors';
import { SAMPLE_CONFIG } from '../src/config/sample';
import { makeRng, pick, repoRoot } from './helpers/common';
import { generated, mutate } from './helpers/config-gen';

function corpus(): string[] {
  const texts = [SAMPLE_CONFIG, readFileSync(join(repoRoot(), 'demo/supervisord.conf'), 'utf8')];
  // CI clones the repo with shared/ beside it; the seeds are also in the oracle corpus.
  const seeds = join(repoRoot(), '../shared/fixtures/seed-configs');
  const fixtureDirs = [seeds, join(repoRoot(), 'test/fixtures/config/valid'), join(repoRoot(), 'test/fixtures/config/invalid')];
  for (const dir of fixtureDirs) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.conf'));
    } catch {
      continue;
    }
    for (const n of names) {
      const t = readFileSync(join(dir, n), 'utf8');
      texts.push(t.includes('[supervisord]') ? t : `[supervisord]\n${t}`);
    }
  }
  return texts;
}

test('10,000 generated and mutated configs: a Config or a ConfigError, nothing else, in under 30 s', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-fuzz-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d/a.conf'), '[program:inc]\ncommand=/bin/true\n[program:a]\npriority=5\n');
    writeFileSync(join(dir, 'conf.d/b.conf'), '[group:g]\nprograms=inc\n');
    const rng = makeRng(42);
    const base = corpus();
    const env = { HOME: '/root', PATH: '/usr/bin:/bin', X: 'x' };
    let accepted = 0;
    let rejected = 0;
    const started = Date.now();
    for (let i = 0; i < 10000; i++) {
      const text = i % 3 === 0 ? generated(rng) : mutate(rng, pick(rng, base));
      // A new file each time: rewriting one file in place makes ext4 flush it to disk on every case.
      const file = join(dir, `c${i}.conf`);
      writeFileSync(file, text);
      const t0 = Date.now();
      try {
        loadConfig({ file, env, cwd: dir });
        accepted++;
      } catch (err) {
        if (!(err instanceof ConfigError)) {
          assert.fail(`case ${i}: ${(err as Error)?.stack ?? String(err)}\n--- input ---\n${text}`);
        }
        assert.ok(err.message.length > 0);
        assert.ok(err.file, `case ${i}: error without a file: ${err.message}`);
        rejected++;
      }
      assert.ok(Date.now() - t0 < 2000, `case ${i} took ${Date.now() - t0} ms\n${text}`);
    }
    const elapsed = Date.now() - started;
    t.diagnostic(`${accepted} accepted, ${rejected} rejected in ${elapsed} ms`);
    assert.equal(accepted + rejected, 10000);
    // Both outcomes must be well represented, or the generator is not probing anything.
    assert.ok(accepted > 500, `only ${accepted} accepted`);
    assert.ok(rejected > 500, `only ${rejected} rejected`);
    assert.ok(elapsed < 30000, `10,000 configs took ${elapsed} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
