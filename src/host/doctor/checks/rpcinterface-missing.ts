// A control socket or port but no [rpcinterface:supervisor] section with
// Supervisor's main factory: the daemon then serves system.* only (as
// supervisord does), and every `supervisorctl`/`tsv ctl` verb ends with
// "Sorry, supervisord responded but did not recognize the supervisor
// namespace commands …", a classic of hand-written and trimmed configs.
import { MAIN_RPC_FACTORY, mainRpcNamespaces } from '../../../config/load';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const rpcinterfaceMissing: Check = {
  id: 'rpcinterface-missing',
  title: 'a control socket without [rpcinterface:supervisor]: the ctl cannot control the daemon',
  run(ctx) {
    if (!ctx.config || !ctx.facts) return skipped(this.id, 'no readable config');
    if (!ctx.facts.unix && ctx.facts.inet.length === 0) return ok(this.id, 'no [unix_http_server] or [inet_http_server]: no remote control configured');
    const main = mainRpcNamespaces(ctx.config);
    if (main.includes('supervisor')) return ok(this.id, '[rpcinterface:supervisor] serves the supervisor.* API');
    return {
      id: this.id,
      status: 'problem',
      found: main.length
        ? `the main API is served only as ${main.map((n) => `${n}.*`).join(', ')} ([rpcinterface:${main.join('], [rpcinterface:')}]), not as supervisor.*`
        : 'no [rpcinterface:supervisor] section: the sockets answer system.* only',
      why: 'supervisorctl, tsv ctl, Ansible\'s supervisorctl module and every XML-RPC client call supervisor.*: each verb fails with "did not recognize the supervisor namespace commands"',
      fix: `add\n  [rpcinterface:supervisor]\n  supervisor.rpcinterface_factory = ${MAIN_RPC_FACTORY}\nto the config, then restart the daemon (the API is set up at start; reread/update do not add it)`,
    };
  },
};
