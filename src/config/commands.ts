// `tsv config check` and `tsv config show`.
import { loadConfig } from './load';
import { coerceCLocaleIfLoaded } from '../daemon/native';
import { ConfigError } from './errors';
import { EMPTY_CONFIG_FLAG, configSearchPaths, findConfigFile } from './search';
import type { Config, ConfigWarning, EnvironmentFile, HealthCheckConfig, HookConfig, MemoryLimitConfig, ProcessConfig, ValueSource } from './model';
import { byteSizeText } from './datatypes';
import { rlimitText, type RlimitConfig } from './rlimits';
import { namespec } from './model';

export interface ConfigCommandOptions {
  file?: string;
  json?: boolean;
}

/** Render a warning as `warning: file:line: [section] option: message`. */
export function renderWarning(w: ConfigWarning): string {
  const where: string[] = [];
  if (w.file) where.push(w.line ? `${w.file}:${w.line}` : w.file);
  const what = [w.section ? `[${w.section}]` : '', w.option ?? ''].filter(Boolean).join(' ');
  if (what) where.push(what);
  return `warning: ${where.length ? where.join(': ') + ': ' : ''}${w.message}\n${w.hint ? `  hint: ${w.hint}\n` : ''}`;
}

/** Load the config named by -c or found on the search path; print the error and return null on failure. */
export function loadOrReport(file: string | undefined): Config | null {
  coerceCLocaleIfLoaded();
  if (file === '') {
    // as the daemon says it: an empty -c is no search of the default paths
    process.stderr.write(`Error: ${EMPTY_CONFIG_FLAG}\n`);
    return null;
  }
  const chosen = file ?? findConfigFile();
  if (!chosen) {
    process.stderr.write(
      `Error: No config file found at default paths (${configSearchPaths().join(', ')}); use the -c option to specify a config file at a different path\n` +
        '  hint: `tsv config sample > supervisord.conf` writes one that works as-is\n',
    );
    return null;
  }
  try {
    return loadConfig({ file: chosen }).config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.render());
      return null;
    }
    throw err;
  }
}

export function configCheck(opts: ConfigCommandOptions): number {
  const config = loadOrReport(opts.file);
  if (!config) return 2;
  // the daemon starts with such a file, but it is for supervisorctl too
  const refused = config.warnings.find((w) => w.refusedBy);
  if (refused) {
    const { message, file, line, section, option, hint } = refused;
    process.stderr.write(new ConfigError(message, { file, line, section, option, hint }).render());
    return 2;
  }
  for (const w of config.warnings) process.stderr.write(renderWarning(w));
  const processes = config.groups.reduce((n, g) => n + g.processes.length, 0);
  const plural = (n: number, s: string): string => `${n} ${s}${n === 1 ? '' : 's'}`;
  const warn = config.warnings.length ? `, ${plural(config.warnings.length, 'warning')}` : '';
  process.stdout.write(`ok: ${config.file}: ${plural(config.groups.length, 'group')}, ${plural(processes, 'process')}`.replace(/processs/, 'processes') + `${warn}\n`);
  return 0;
}

function sourceText(s: ValueSource | undefined): string {
  if (!s || s.kind === 'default') return 'default';
  if (s.kind === 'cli') return 'command line';
  return `${s.file}:${s.line}`;
}

function valueText(v: unknown): string {
  if (v === null) return 'none';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const OCTAL_KEYS = new Set(['umask', 'chmod']);

/** healthcheck= and the three settings it carries, in words (`--json` has the fields). */
function healthText(h: HealthCheckConfig): string {
  const what = h.kind === 'command' ? 'a command' : h.kind === 'http' && h.tls ? 'https, port 443 unless given, certificate not verified' : h.kind;
  const grace = h.startPeriod ? `, not counting those in the first ${h.startPeriod} s` : '';
  return `${h.target}  [${what}; every ${h.interval} s, ${h.timeout} s timeout, restart after ${h.retries} failed${grace}]`;
}

function showValue(key: string, v: unknown): string {
  if (OCTAL_KEYS.has(key) && typeof v === 'number') return '0' + v.toString(8).padStart(3, '0');
  if (key === 'healthcheck' && v !== null) return healthText(v as HealthCheckConfig);
  if (key === 'max_memory_restart' && v !== null) {
    const m = v as MemoryLimitConfig;
    return `${byteSizeText(m.bytes)}  [restarted when its processes hold more resident memory; looked at every ${m.interval} s]`;
  }
  if (key === 'rlimits') {
    const limits = v as RlimitConfig[];
    return limits.length ? limits.map(rlimitText).join(', ') : 'none';
  }
  if (key === 'restart_file_pattern') return (v as string[]).join(', ');
  if ((key === 'pre_start_hook' || key === 'pre_stop_hook') && v !== null) {
    const h = v as HookConfig;
    const then = key === 'pre_stop_hook' ? 'then stopsignal' : h.ignoreFailure ? 'a failure is ignored (-)' : 'a failure fails the start';
    return `${h.ignoreFailure ? '-' : ''}${h.command}  [up to ${h.timeout} s; ${then}]`;
  }
  if (key === 'environment_file') {
    const files = v as EnvironmentFile[];
    return files.length ? files.map((f) => `${f.optional ? '-' : ''}${f.path}`).join(', ') : 'none';
  }
  return valueText(v);
}

function processLines(p: ProcessConfig): string {
  const skip = new Set(['sources', 'name', 'group', 'section', 'program']);
  const keys = Object.keys(p).filter((k) => !skip.has(k));
  const width = Math.max(...keys.map((k) => k.length));
  let out = `[${namespec(p.group, p.name)}] from [${p.section}]\n`;
  for (const k of keys) {
    const v = (p as unknown as Record<string, unknown>)[k];
    out += `  ${k.padEnd(width)}  ${showValue(k, v)}  (${sourceText(p.sources[k])})\n`;
  }
  return out;
}

export function configShow(opts: ConfigCommandOptions): number {
  const config = loadOrReport(opts.file);
  if (!config) return 2;
  if (opts.json) {
    process.stdout.write(JSON.stringify(toJson(config), null, 2) + '\n');
    return 0;
  }
  for (const w of config.warnings) process.stderr.write(renderWarning(w));
  let out = `# ${config.file}\n`;
  if (config.included.length) out += `# included: ${config.included.join(', ')}\n`;
  out += '\n[supervisord]\n';
  const sd = config.supervisord as unknown as Record<string, unknown>;
  const sdKeys = Object.keys(sd).filter((k) => k !== 'sources');
  const w = Math.max(...sdKeys.map((k) => k.length));
  for (const k of sdKeys) out += `  ${k.padEnd(w)}  ${showValue(k, sd[k])}  (${sourceText(config.supervisord.sources[k])})\n`;
  for (const s of config.servers) {
    out += `\n[${s.section}]\n`;
    for (const [k, v] of Object.entries(s)) {
      if (k === 'section') continue;
      out += `  ${k}  ${showValue(k, k === 'password' && v ? '********' : v)}\n`;
    }
  }
  for (const g of config.groups) {
    out += `\n## group ${g.name} (${g.kind}, priority ${g.priority}`;
    if (g.events) out += `, events ${g.events.join(',')}, buffer_size ${g.buffer_size}`;
    if (g.socket) out += `, socket ${g.socket.url}`;
    out += `)\n`;
    for (const p of g.processes) out += processLines(p);
  }
  process.stdout.write(out);
  return 0;
}

/** The JSON of docs/config-show-json.md. */
export function toJson(config: Config): Record<string, unknown> {
  return {
    file: config.file,
    included: config.included,
    warnings: config.warnings,
    infos: config.infos,
    supervisord: config.supervisord,
    servers: config.servers,
    supervisorctl: config.supervisorctl,
    groups: config.groups.map((g) => ({ ...g, socket: g.socket ? g.socket.url : undefined })),
    plugins: config.plugins,
  };
}
