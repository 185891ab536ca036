// Build: one bundle for the CLI (what bin/tsv and `make dist` run), and a
// file-for-file transpile of src/ and test/ into build/js for node --test.
import { build } from 'esbuild';
import { copyFileSync, readdirSync, statSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function filesUnder(dir, keep) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}
const tsFiles = (dir) => filesUnder(dir, (name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));

const define = { TSV_VERSION: JSON.stringify(pkg.version) };

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(root, 'build/tsv.cjs'),
  external: ['node-pty'],
  define,
  logLevel: 'warning',
  legalComments: 'none',
});

// The ctl's own small bundle (src/cli/ctl-entry.ts): ./bin/tsv starts here, so
// `tsv status` compiles a quarter of the code; any other command line goes on
// to build/tsv.cjs.
await build({
  entryPoints: [join(root, 'src/cli/ctl-entry.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(root, 'build/tsv-ctl.cjs'),
  external: ['node-pty'],
  define,
  logLevel: 'warning',
  legalComments: 'none',
});
// ... and its V8 code cache (build/tsv-ctl.cjs.cache), which bin/tsv uses.
const { makeCtlCodeCache, makeDaemonCodeCache } = await import('./code-cache.mjs');
makeCtlCodeCache(join(root, 'build/tsv-ctl.cjs'));

const entries = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'test')), ...tsFiles(join(root, 'bench'))];
await build({
  entryPoints: entries,
  outbase: root,
  outdir: join(root, 'build/js'),
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define,
  logLevel: 'warning',
  sourcemap: 'inline',
});
mkdirSync(join(root, 'build/js'), { recursive: true });
writeFileSync(join(root, 'build/js/package.json'), '{"type":"commonjs"}\n');
// The transpiled files require src's JSON (src/daemon/v8-flags.json) where it was.
for (const p of filesUnder(join(root, 'src'), (name) => name.endsWith('.json'))) {
  const to = join(root, 'build/js', p.slice(root.length + 1));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(p, to);
}

// tsv's native spawn helper (src/daemon/native): built when a C compiler and Node's headers are present.
const { buildNative } = await import('../src/daemon/native/build-native.mjs');
buildNative(root);

// The full CLI's V8 code cache (build/tsv.cjs.cache), made by running the
// daemon, which cannot start without the native helper built just above.
makeDaemonCodeCache(join(root, 'build/tsv.cjs'));
