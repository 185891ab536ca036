// `tsv wait-ready -c FILE`: the readiness check the init scripts run (and
// the ExecStartPost of systemd units written before the unit became
// Type=notify). Exit 0 once the control socket answers; 1 when
// the timeout passes or the daemon (--pid) exits first.
import { loadConfig } from '../config/load';
import { ConfigError } from '../config/errors';
import { findConfigFile } from '../config/search';
import { configFacts } from './config-facts';
import { waitReady } from './probe';
import { UsageError, type Output } from './types';

export interface WaitReadyOptions {
  configuration?: string;
  timeoutSec: number;
  pid?: number;
  quiet: boolean;
}

export async function waitReadyCommand(opts: WaitReadyOptions, output: Output): Promise<number> {
  const file = opts.configuration ?? findConfigFile();
  if (!file) throw new UsageError('no config file found; pass -c FILE');
  let serverurl: string | null;
  let username: string | null = null;
  let password: string | null = null;
  try {
    const config = loadConfig({ file }).config;
    serverurl = configFacts(config).serverurl;
    username = config.supervisorctl.username;
    password = config.supervisorctl.password;
  } catch (err) {
    if (err instanceof ConfigError) {
      if (!opts.quiet) output.err(err.render());
      return 1;
    }
    throw err;
  }
  if (!serverurl) {
    if (!opts.quiet) output.err(`${file} has no [unix_http_server] and no [supervisorctl] serverurl: nothing to wait for\n`);
    return 1;
  }
  const r = await waitReady({ serverurl, username, password }, { timeoutMs: opts.timeoutSec * 1000, pid: opts.pid ?? null });
  if (r.ok) {
    if (!opts.quiet) output.out(`ready: ${serverurl} answers (${r.state}${r.pid ? `, pid ${r.pid}` : ''})\n`);
    return 0;
  }
  if (!opts.quiet) output.err(r.code === 'EXITED' ? `not ready: ${r.message}\n` : `not ready after ${opts.timeoutSec}s: ${r.message}\n`);
  return 1;
}
