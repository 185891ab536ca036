// Compiles tsv's native helper (tsv_native.c) into build/native/tsv_native.node
// with the system C compiler and Node's own headers. It is plain C against
// N-API, so one file works for every Node version >= 20 on the same arch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';

function nodeIncludeDir() {
  const candidates = [
    process.env.TSV_NODE_INCLUDE,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

export function buildNative(root, { quiet = false } = {}) {
  const src = join(root, 'src/daemon/native/tsv_native.c');
  const out = join(root, 'build/native/tsv_native.node');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  const inc = nodeIncludeDir();
  const cc = process.env.CC || 'cc';
  if (!inc) {
    if (!quiet) console.warn('tsv: Node headers (node_api.h) not found; the native spawn helper is not built');
    return null;
  }
  mkdirSync(dirname(out), { recursive: true });
  const args = ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=tsv_native', `-I${inc}`, '-o', out, src, '-lpthread'];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    if (!quiet) console.warn(`tsv: building the native spawn helper failed (${cc} ${args.join(' ')})`);
    return null;
  }
  return out;
}
