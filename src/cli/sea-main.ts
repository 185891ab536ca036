// The single executable's main script (scripts/dist.mjs): it starts the ctl's
// bundle, which runs supervisorctl's command lines and `--version` itself and
// hands every other one to the full CLI.
import { runBundleAsset } from './run-bundle';
import { sayExecArgv } from './exec-argv';

declare const TSV_CTL_ASSET: string;

sayExecArgv();
runBundleAsset(TSV_CTL_ASSET);
