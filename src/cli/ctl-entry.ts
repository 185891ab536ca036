// Entry of the ctl's small bundle, where tsv starts: build/tsv-ctl.cjs for
// ./bin/tsv, and an asset of the single executable started by sea-main.ts.
// supervisorctl's command lines (`tsv status`, `tsv ctl ...`, a link named
// supervisorctl), pidproxy, the shell's Tab and `tsv --version` run from here; every other command line
// is handed to the full CLI (src/cli/main.ts). Both decide by route().
// Starting from ~a fifth of the code is what keeps `tsv status` fast.
import { join } from 'node:path';
import { internalError, route } from './route';
import { printVersion } from './version';
import { runCtl } from '../ctl/cli';
import { outputFlushed } from '../ctl/fd-output';
import { runBundleAsset, runBundleFile } from './run-bundle';
import { setMissingV8Flags } from '../daemon/v8-flags';
import { pidproxyMain } from '../pidproxy/pidproxy';
import { runComplete } from './completion';

/** In a single executable: the SEA asset holding the full CLI's bundle (and `${asset}.cache`, its V8 code cache). */
declare const TSV_FULL_ASSET: string | undefined;

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
    internalError,
  );
} else if (r.kind === 'complete') {
  runComplete(r.args).then((code) => {
    process.exitCode = code;
  }, internalError);
} else if (r.kind === 'pidproxy') {
  pidproxyMain(r.args, r.progname);
} else if (r.kind === 'version') {
  printVersion();
} else {
  // The full CLI's code cache was made under the daemon's V8 flags, which V8
  // checks: they are set before it is compiled (harmless to tsv's other commands).
  setMissingV8Flags();
  if (typeof TSV_FULL_ASSET === 'string') runBundleAsset(TSV_FULL_ASSET);
  else runBundleFile(join(__dirname, 'tsv.cjs'));
}
