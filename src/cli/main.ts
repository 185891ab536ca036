// Entry point of the full CLI (build/tsv.cjs, and the full bundle inside the
// single executable). route() sends supervisorctl's command lines to the ctl
// and answers --version; the name tsv is invoked under picks Supervisor's
// other console scripts (supervisord, echo_supervisord_conf); commander
// routes the rest.
import { runTsv } from './tsv';
import { runPersonality, personalityFor } from './personality';
import { internalError, invokedName, route } from './route';
import { printVersion } from './version';
import { sayExecArgv } from './exec-argv';

// Set by the dist build where this bundle is the executable's main script
// (Node 20.11 on armv7l, without SEA assets); absent in `npm run build`.
declare const TSV_SEA_MAIN: boolean | undefined;

const ctlCli = (): typeof import('../ctl/cli') => require('../ctl/cli') as typeof import('../ctl/cli');
const pidproxy = (): typeof import('../pidproxy/pidproxy') => require('../pidproxy/pidproxy') as typeof import('../pidproxy/pidproxy');
const completion = (): typeof import('./completion') => require('./completion') as typeof import('./completion');
const crashmail = (): typeof import('../crashmail/crashmail') => require('../crashmail/crashmail') as typeof import('../crashmail/crashmail');

async function main(argv: readonly string[]): Promise<number> {
  const r = route(argv);
  if (r.kind === 'ctl') return ctlCli().runCtl(r.args, r.progname);
  if (r.kind === 'version') return printVersion();
  if (r.kind === 'pidproxy') return pidproxy().runPidproxy(r.args, r.progname);
  if (r.kind === 'crashmail') return crashmail().runCrashmail(r.args);
  if (r.kind === 'complete') return completion().runComplete(r.args);
  const personality = personalityFor(invokedName(argv));
  return personality ? runPersonality(personality, argv.slice(2)) : runTsv(r.args);
}

if (typeof TSV_SEA_MAIN !== 'undefined' && TSV_SEA_MAIN) sayExecArgv();
// Every expected failure is reported by its command; internalError is the last resort.
main(process.argv).then((code) => {
  process.exitCode = code;
}, internalError);
