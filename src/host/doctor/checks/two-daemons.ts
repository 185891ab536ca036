// Two daemons on one config run every program twice, fight over log files,
// and only one of them can own the socket. Usually the second was started by
// hand after the socket of the first was deleted.
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const twoDaemons: Check = {
  id: 'two-daemons',
  title: 'more than one daemon runs on the same config',
  run(ctx) {
    if (!ctx.configFile) return skipped(this.id, 'no config');
    const n = ctx.daemons.length;
    const unknown = ctx.daemonsUnknown.length ? ` (and pid ${ctx.daemonsUnknown.map((d) => d.pid).join(', ')}, whose config this user cannot tell)` : '';
    if (n <= 1) return ok(this.id, (n === 1 ? `one daemon (pid ${ctx.daemons[0].pid})` : 'no daemon runs on this config') + unknown);
    const owner = ctx.probe?.ok ? ctx.probe.pid : null;
    const others = ctx.daemons.filter((d) => d.pid !== owner);
    const list = ctx.daemons.map((d) => `pid ${d.pid}${d.pid === owner ? ' (answers on the socket)' : ''}: ${d.argv.join(' ')}`).join('; ');
    return {
      id: this.id,
      status: 'problem',
      found: `${n} daemons run on ${ctx.configFile}: ${list}`,
      why: 'every program runs twice (double work, port conflicts, interleaved logs), and the ctl controls only the one that owns the socket',
      fix: owner
        ? `stop the other one(s) with their programs: kill ${others.map((d) => d.pid).join(' ')} (not applied by --fix: it stops programs)`
        : `stop all but one: kill ${ctx.daemons.slice(1).map((d) => d.pid).join(' ')}, then restart the service`,
    };
  },
};
