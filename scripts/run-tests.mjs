// Runs every compiled test file with node's own test runner. Files are listed
// explicitly because node 20 and 22 disagree on how a directory argument works.
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
let files = find(join(root, 'build/js/test')).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
// node --test with no files would run everything it finds: a filter that matches nothing is a mistake (a test not built yet)
if (only.length && !files.length) {
  console.error(`run-tests: no built test file matches ${only.join(' ')} (npm run build first?)`);
  process.exit(2);
}
const args = ['--test', '--test-concurrency=1', ...files];
if (process.env.TSV_TEST_REPORTER) args.splice(1, 0, `--test-reporter=${process.env.TSV_TEST_REPORTER}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, TSV_ROOT: root } });
process.exit(r.status ?? 1);
