// The single executable's main script (scripts/dist.mjs): it starts the ctl's
// bundle, which runs supervisorctl's command lines and `--version` itself and
// hands every other one to the full CLI.
import { runBundleAsset } from './run-bundle';

declare const TSV_CTL_ASSET: string;

// the Node options and V8 flags the build gave the binary (a preload cannot
// show them: the binary refuses NODE_OPTIONS)
if (process.env.TSV_DEBUG) process.stderr.write(`tsv: execArgv ${JSON.stringify(process.execArgv)}\n`);
runBundleAsset(TSV_CTL_ASSET);
