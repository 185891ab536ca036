// Entry of the ctl's small bundle, where tsv starts: build/tsv-ctl.cjs for
// ./bin/tsv, and an asset of the single executable started by sea-main.ts.
// supervisorctl's command lines (`tsv status`, `tsv ctl ...`, a link named
// supervisorctl) and `tsv --version` run from here; every other command line
// is handed to the full CLI (src/cli/main.ts), which routes exactly as before.
// Starting from ~a fifth of the code is what keeps `tsv status` fast.
import { writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ctlArgsForBareForm } from './ctl-args';
import { versionLine } from './version';
import { runCtl } from '../ctl/cli';
import { outputFlushed } from '../ctl/fd-output';
import { runBundleAsset } from './sea-bundle';

/** In a single executable: the SEA asset holding the full CLI's bundle (and `${asset}.cache`, its V8 code cache). */
declare const TSV_FULL_ASSET: string | undefined;

type Route = { kind: 'ctl'; args: string[]; progname: string } | { kind: 'version' } | { kind: 'full' };

/** What to run for `argv` (the same decisions as main.ts and tsv.ts). */
export function route(argv: readonly string[]): Route {
  // As main.ts's personalityFor: the name the script was invoked under.
  const name = basename(argv[1] ?? '').replace(/\.(c?js|exe)$/, '');
  const args = argv.slice(2);
  if (name === 'supervisorctl') return { kind: 'ctl', args, progname: 'supervisorctl' };
  if (name === 'supervisord' || name === 'echo_supervisord_conf') return { kind: 'full' };
  if (args[0] === 'daemon') return { kind: 'full' };
  if (args[0] === 'ctl') return { kind: 'ctl', args: args.slice(1), progname: 'tsv ctl' };
  const bare = ctlArgsForBareForm(args);
  if (bare) return { kind: 'ctl', args: bare, progname: 'tsv' };
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { kind: 'version' };
  return { kind: 'full' };
}

const r = route(process.argv);
if (r.kind === 'ctl') {
  runCtl(r.args, r.progname).then(
    (code) => {
      process.exitCode = code;
      // Once the output is out there is nothing left to do: leaving now skips
      // closing the kept-alive socket and tearing the heap down (~2 ms of a
      // ~35 ms `tsv status`). Output still queued in a stream (the shell's, or
      // a non-blocking pipe's) is waited for.
      if (outputFlushed()) process.exit(code);
    },
    (err: unknown) => {
      // Last resort only, as in main.ts.
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`tsv: internal error: ${msg}\n`);
      if (process.env.TSV_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 70;
    },
  );
} else if (r.kind === 'version') {
  // A plain write(2), as in tsv.ts: process.stdout would load node:net and streams.
  writeSync(1, versionLine() + '\n');
} else if (typeof TSV_FULL_ASSET === 'string') {
  runBundleAsset(TSV_FULL_ASSET);
} else {
  // Not bundled: the full CLI next to this file.
  require(join(__dirname, 'tsv.cjs'));
}
