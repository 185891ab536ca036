// Entry of build/tsv-ctl.cjs, the bundle ./bin/tsv starts: supervisorctl's
// command lines (`tsv status`, `tsv ctl ...`, a link named supervisorctl)
// run from this small bundle; every other command line is handed to the full
// one (build/tsv.cjs, src/cli/main.ts), which routes exactly as before.
// Starting from ~a quarter of the code is what keeps `tsv status` fast.
import { basename, join } from 'node:path';
import { ctlArgsForBareForm } from './ctl-args';
import { runCtl } from '../ctl/cli';

interface CtlCommand {
  args: string[];
  progname: string;
}

/** The ctl's arguments and program name when `argv` is a ctl command line, else null (the same decisions as main.ts and tsv.ts). */
export function ctlCommand(argv: readonly string[]): CtlCommand | null {
  // As main.ts's personalityFor: the name the script was invoked under.
  const name = basename(argv[1] ?? '').replace(/\.(c?js|exe)$/, '');
  const args = argv.slice(2);
  if (name === 'supervisorctl') return { args, progname: 'supervisorctl' };
  if (name === 'supervisord' || name === 'echo_supervisord_conf') return null;
  if (args[0] === 'daemon') return null;
  if (args[0] === 'ctl') return { args: args.slice(1), progname: 'tsv ctl' };
  const bare = ctlArgsForBareForm(args);
  return bare ? { args: bare, progname: 'tsv' } : null;
}

const cmd = ctlCommand(process.argv);
if (cmd) {
  runCtl(cmd.args, cmd.progname).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // Last resort only, as in main.ts.
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`tsv: internal error: ${msg}\n`);
      if (process.env.TSV_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 70;
    },
  );
} else {
  // Not bundled: the full CLI next to this file.
  const full = join(__dirname, 'tsv.cjs');
  require(full);
}
