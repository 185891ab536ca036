// [supervisorctl] serverurl names neither this config's socket nor its port:
// file= was moved (out of /tmp, as socket-under-tmp advises) and serverurl
// was not, or a [supervisorctl] section has no serverurl and the ctl goes to
// Supervisor's default http://localhost:9001. The daemon runs and every ctl
// command fails with "no such file" or "refused connection", or controls
// another daemon.
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Check } from '../types';
import { ok, skipped } from '../types';

/** The same file by two names (/var/run is /run): compared through the real path of its directory. */
function samePath(a: string, b: string): boolean {
  if (a === b) return true;
  const real = (p: string): string => {
    try {
      return join(realpathSync(dirname(p)), basename(p));
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}

const LOCAL = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
/** port=*:9001, port=:9001, 0.0.0.0 or :: listen on every interface, the local ones too */
const EVERY = new Set(['', '*', '0.0.0.0', '::', '[::]']);

export const serverurlElsewhere: Check = {
  id: 'serverurl-elsewhere',
  title: "[supervisorctl] serverurl leads elsewhere than this config's socket or port",
  run(ctx) {
    const facts = ctx.facts;
    if (!facts || !ctx.config) return skipped(this.id, 'no readable config');
    if (!facts.unix && facts.inet.length === 0) return ok(this.id, 'no [unix_http_server] or [inet_http_server] to lead to');
    const url = facts.serverurl;
    const inet = facts.inet[0];
    const own = facts.unix ? `unix://${facts.unix.file}` : `http://${inet && !EVERY.has(inet.host) ? (inet.host.includes(':') ? `[${inet.host}]` : inet.host) : '127.0.0.1'}:${inet?.port}`;
    if (!ctx.config.supervisorctl.present) {
      return {
        id: this.id,
        status: 'problem',
        found: `${ctx.configFile} has no [supervisorctl] section`,
        why: 'tsv ctl and supervisorctl refuse this config ("Error: .ini file does not include supervisorctl section", exit 2), so `tsv status` and every other verb fail while the daemon runs',
        fix: `add\n  [supervisorctl]\n  serverurl = ${own}\nto the config`,
      };
    }
    if (!url) return ok(this.id, 'no serverurl to follow');
    let here: boolean;
    if (url.startsWith('unix://')) {
      here = facts.unix !== null && samePath(url.slice(7), facts.unix.file);
    } else {
      let u: URL | null;
      try {
        u = new URL(url);
      } catch {
        u = null;
      }
      const port = u ? Number(u.port || (u.protocol === 'https:' ? 443 : 80)) : NaN;
      // a port on another host may be this daemon's behind a forward: only a local one is known not to be
      here = !u || !LOCAL.has(u.hostname) || facts.inet.some((s) => s.port === port && (EVERY.has(s.host) || LOCAL.has(s.host) || s.host === u.hostname));
    }
    if (here) return ok(this.id, `${url} is this config's`);
    const servers = [...(facts.unix ? [`[unix_http_server] file=${facts.unix.file}`] : []), ...facts.inet.map((s) => `[${s.section}] port=${s.host}:${s.port}`)];
    const probe = ctx.probe;
    const what = probe?.ok
      ? `another daemon answers there (pid ${probe.pid ?? '?'}): the ctl controls it, not this config's`
      : `the ctl reaches nothing there (${probe ? probe.message : 'not asked'}), whether or not this config's daemon runs`;
    return {
      id: this.id,
      status: 'problem',
      found: `[supervisorctl] serverurl=${url}${ctx.config.supervisorctl.serverurl === 'http://localhost:9001' ? ' (also what the ctl uses when [supervisorctl] has no serverurl)' : ''}, but the daemon serves ${servers.join(' and ')}`,
      why: `tsv ctl, supervisorctl and scripts that read this config go to serverurl: ${what}`,
      fix: `set serverurl = ${own} in [supervisorctl]`,
    };
  },
};
