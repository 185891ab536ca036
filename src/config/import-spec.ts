// The `module:callable` specs a config names for Supervisor's Python plugins
// (rpcinterface and ctlplugin factories, an event listener's result_handler):
// pkg_resources' syntax, and, within Supervisor's own package, whether the
// callable exists, so that a misspelt one is refused where Supervisor's
// import would fail. Shared by the daemon's loader and the ctl, which each
// read the sections their Supervisor counterpart reads.

export const MAIN_RPC_FACTORY = 'supervisor.rpcinterface:make_main_rpcinterface';
export const DEFAULT_RESULT_HANDLER = 'supervisor.dispatchers:default_handler';
export const DEFAULT_CTL_FACTORY = 'supervisor.supervisorctl:DefaultControllerPlugin';

/** Modules of Supervisor's package, and the callables of it a config can name. */
const SUPERVISOR_MODULES = new Set(
  ['', '.childutils', '.compat', '.confecho', '.datatypes', '.dispatchers', '.events', '.http', '.http_client', '.loggers',
    '.medusa', '.options', '.pidproxy', '.poller', '.process', '.rpcinterface', '.socket_manager', '.states',
    '.supervisorctl', '.supervisord', '.templating', '.web', '.xmlrpc'].map((m) => `supervisor${m}`),
);
const SUPERVISOR_SPECS = new Set(['supervisor.rpcinterface:SupervisorNamespaceRPCInterface', MAIN_RPC_FACTORY, DEFAULT_CTL_FACTORY, DEFAULT_RESULT_HANDLER]);

/** What the spec's option is for: the standard spec a hint names. */
export type SpecOption = 'supervisor.rpcinterface_factory' | 'supervisor.ctl_factory' | 'result_handler';

const STANDARD: Record<SpecOption, string> = {
  'supervisor.rpcinterface_factory': MAIN_RPC_FACTORY,
  'supervisor.ctl_factory': DEFAULT_CTL_FACTORY,
  result_handler: DEFAULT_RESULT_HANDLER,
};

/** Why Supervisor would refuse `spec` in `[section] option`, with a hint; null when it would not (or cannot tell: another package). */
export function importSpecProblem(spec: string, section: string, option: SpecOption): { message: string; hint: string; malformed: boolean } | null {
  const m = /^\s*([\w.]+)\s*(?::\s*([\w.]+))?\s*(\[.*\])?\s*$/u.exec(spec);
  if (!m) return { message: `EntryPoint must be in 'name=module:attrs [extras]' format`, hint: 'write package.module:callable', malformed: true };
  const [, module, attr] = m as unknown as [string, string, string | undefined];
  if (module !== 'supervisor' && !module.startsWith('supervisor.')) return null;
  if (SUPERVISOR_MODULES.has(module) && (attr === undefined || SUPERVISOR_SPECS.has(`${module}:${attr}`))) return null;
  return { message: `${spec} cannot be resolved within [${section}]`, hint: `the standard one is ${STANDARD[option]}`, malformed: false };
}
