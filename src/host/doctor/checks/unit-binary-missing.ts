// The service definition runs a program that is not there any more: tsv was
// moved or reinstalled elsewhere, or node was upgraded under an nvm path
// (PM2 #2006, #5911). The next start fails with status 203/EXEC. The fix
// rewrites the definition for the tsv running doctor, and does not restart.
import { existsSync } from 'node:fs';
import { executable } from '../../../os/access';
import { Executor } from '../../executor';
import { CollectingRunner } from '../../runner';
import { describeProgram, isDefaultDaemon, programFiles, programFromArgv, runningProgram, tsvArgv, tsvDaemonArgv } from '../../tsv-program';
import type { Check } from '../types';
import { ok, skipped } from '../types';

function missing(argv: readonly string[]): string[] {
  const parsed = programFromArgv(argv);
  if (!parsed) return [];
  const out: string[] = [];
  for (const f of programFiles(parsed.program)) {
    if (!existsSync(f.path)) out.push(`${f.path} does not exist`);
    else if (f.need === 'exec' && !executable(f.path)) out.push(`${f.path} is not executable`);
  }
  return out;
}

export const unitBinaryMissing: Check = {
  id: 'unit-binary-missing',
  title: 'the service runs a program that no longer exists',
  run(ctx) {
    const { backend, spec, manifest } = ctx;
    if (!backend || !spec) return skipped(this.id, 'no init system detected and no install manifest');
    const cmd = backend.installedCommand(spec);
    if (!cmd) return skipped(this.id, 'no service installed');
    const problems = [...missing(cmd), ...(manifest ? missing(manifest.tsv) : [])].filter((v, i, a) => a.indexOf(v) === i);
    const parsed = programFromArgv(cmd);
    const path = backend.inEffect(spec) ?? backend.definitionPath(spec);
    if (problems.length === 0) return ok(this.id, `${path} runs ${parsed ? describeProgram(parsed.program) : cmd[0]}, which exists`);
    // a package's unit runs the package's binary: the package manager puts it back
    const packaged = !manifest && path !== backend.definitionPath(spec);
    const me = runningProgram();
    const meOk = programFiles(me).every((f) => existsSync(f.path));
    const customDaemon = manifest ? !isDefaultDaemon(manifest.daemon, manifest.tsv) : true;
    const canFix = Boolean(manifest) && meOk && (!customDaemon || missing(manifest?.daemon ?? []).length === 0) && ctx.caller.uid === 0;
    return {
      id: this.id,
      status: 'problem',
      found: `${path}: ${problems.join('; ')}`,
      why: 'the service cannot start: the next boot or restart fails (systemd: status=203/EXEC)',
      fix: packaged
        ? 'reinstall the tsv package (apt-get install --reinstall tsv, or dnf reinstall tsv)'
        : `reinstall from where tsv is now: ${tsvArgv(me).join(' ')} install --boot (doctor --fix rewrites the definition for this tsv and does not restart the running daemon)`,
      apply: canFix
        ? () => {
            const m = manifest!;
            const newTsv = tsvArgv(me);
            const newDaemon = customDaemon ? m.daemon : tsvDaemonArgv(me);
            const newSpec = { ...spec, tsv: newTsv, daemon: newDaemon };
            const lines: string[] = [];
            const ex = new Executor(false, { out: (t) => lines.push(t.trimEnd()), err: (t) => lines.push(t.trimEnd()) }, m, ctx.layout.manifest);
            m.tsv = newTsv;
            m.daemon = newDaemon;
            for (const f of backend.files(newSpec)) ex.writeFile(f, true);
            const r = new CollectingRunner();
            backend.reload(r, newSpec);
            return `rewrote ${backend.definitionPath(spec)} to run ${newTsv.join(' ')}${r.log.length ? ` (${r.log.join('; ')})` : ''}`;
          }
        : undefined,
    };
  },
};
