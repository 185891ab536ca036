// `tsv doctor [--fix] [--json]`: run every check, apply the safe fixes when
// asked, check again, and report. Exit 0 when healthy, 1 when problems
// remain (usage errors exit 2 from the command line).
import { gather, type DoctorContext, type DoctorOptions } from './context';
import { CHECKS } from './checks';
import type { Finding } from './types';
import type { Output } from '../types';

export interface DoctorRunOptions extends DoctorOptions {
  fix: boolean;
  json: boolean;
}

export interface FixRecord {
  id: string;
  done?: string;
  error?: string;
}

export async function runChecks(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const c of CHECKS) {
    try {
      out.push(await c.run(ctx));
    } catch (err) {
      out.push({ id: c.id, status: 'skipped', found: `the check itself failed: ${(err as Error).message}` });
    }
  }
  return out;
}

function title(id: string): string {
  return CHECKS.find((c) => c.id === id)?.title ?? id;
}

function human(ctx: DoctorContext, findings: Finding[], fixes: FixRecord[], fixMode: boolean): string {
  const lines: string[] = [];
  const where = ctx.manifest ? `${ctx.manifest.init} service ${ctx.manifest.service}, installed ${ctx.manifest.installedAt}` : ctx.init ? `${ctx.init}, no install manifest` : 'no init system detected';
  lines.push(`tsv doctor: ${ctx.configFile ?? '(no config)'} (${where}; you are ${ctx.caller.name})`);
  if (fixes.length) {
    lines.push('');
    for (const f of fixes) lines.push(f.done ? `fixed    ${f.id.padEnd(31)} ${f.done}` : `FAILED   ${f.id.padEnd(31)} ${f.error}`);
    lines.push('', 'after the fixes:');
  }
  lines.push('');
  for (const f of findings) {
    const tag = f.status === 'problem' ? 'PROBLEM' : f.status === 'ok' ? 'ok' : f.status;
    lines.push(`${tag.padEnd(8)} ${f.id.padEnd(31)} ${f.found}`);
    if (f.status === 'problem' || f.status === 'info') {
      if (f.why) lines.push(`${' '.repeat(9)}why: ${f.why}`);
      if (f.fix) lines.push(`${' '.repeat(9)}fix: ${f.fix}${f.apply ? (fixMode ? '' : '   [tsv doctor --fix does this]') : ''}`);
    }
  }
  const problems = findings.filter((f) => f.status === 'problem');
  const fixable = problems.filter((f) => f.apply).length;
  lines.push('');
  if (problems.length === 0) lines.push('healthy: no problems found');
  else lines.push(`${problems.length} problem(s): ${problems.map((p) => p.id).join(', ')}${fixable && !fixMode ? ` (${fixable} fixable with --fix)` : ''}`);
  return lines.join('\n') + '\n';
}

function json(ctx: DoctorContext, findings: Finding[], fixes: FixRecord[]): string {
  return (
    JSON.stringify(
      {
        config: ctx.configFile,
        init: ctx.init,
        installed: Boolean(ctx.manifest),
        user: ctx.caller.name,
        healthy: !findings.some((f) => f.status === 'problem'),
        checks: findings.map((f) => ({ id: f.id, title: title(f.id), status: f.status, found: f.found, why: f.why ?? null, fix: f.fix ?? null, fixable: Boolean(f.apply) })),
        fixes,
      },
      null,
      2,
    ) + '\n'
  );
}

export async function doctor(opts: DoctorRunOptions, output: Output): Promise<number> {
  let ctx = await gather(opts);
  let findings = await runChecks(ctx);
  const fixes: FixRecord[] = [];
  if (opts.fix) {
    const tried = new Set<string>();
    const key = (f: Finding): string => `${f.id}\0${f.subject ?? f.found}`;
    // A fix can make another one possible (a stale socket removed, then the
    // service can start; the config refused for the next missing log
    // directory once one is made), so rounds follow re-checks while they find
    // what was not tried yet; one finding is never tried twice.
    for (let round = 0; round < 8; round++) {
      const todo = findings.filter((f) => f.status === 'problem' && f.apply && !tried.has(key(f)));
      if (todo.length === 0) break;
      for (const f of todo) {
        tried.add(key(f));
        try {
          fixes.push({ id: f.id, done: await (f.apply as NonNullable<Finding['apply']>)(ctx) });
        } catch (err) {
          fixes.push({ id: f.id, error: (err as Error).message + ((err as { detail?: string }).detail ? `: ${(err as { detail?: string }).detail}` : '') });
        }
      }
      ctx = await gather(opts);
      findings = await runChecks(ctx);
    }
  }
  output.out(opts.json ? json(ctx, findings, fixes) : human(ctx, findings, fixes, opts.fix));
  return findings.some((f) => f.status === 'problem') ? 1 : 0;
}
