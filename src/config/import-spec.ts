// The `module:callable` specs a config names for Supervisor's Python plugins
// (rpcinterface and ctlplugin factories, an event listener's result_handler):
// read as pkg_resources.EntryPoint.parse("x=" + spec) reads them (spaces
// around the colon, an `[extras]` suffix), and, within Supervisor's own
// package, whether the callable exists, so that a misspelt one is refused
// where Supervisor's import would fail. Shared by the daemon's loader and the
// ctl, which each read the sections their Supervisor counterpart reads.

import { pyRepr } from './pyformat';

export const MAIN_RPC_FACTORY = 'supervisor.rpcinterface:make_main_rpcinterface';
export const DEFAULT_RESULT_HANDLER = 'supervisor.dispatchers:default_handler';
export const DEFAULT_CTL_FACTORY = 'supervisor.supervisorctl:DefaultControllerPlugin';
/** Called with the supervisord object as the factory is, the class makes the same namespace. */
const MAIN_RPC_CLASS = 'supervisor.rpcinterface:SupervisorNamespaceRPCInterface';

/** Modules of Supervisor's package, and the callables of it a config can name. */
const SUPERVISOR_MODULES = new Set(
  ['', '.childutils', '.compat', '.confecho', '.datatypes', '.dispatchers', '.events', '.http', '.http_client', '.loggers',
    '.medusa', '.options', '.pidproxy', '.poller', '.process', '.rpcinterface', '.socket_manager', '.states',
    '.supervisorctl', '.supervisord', '.templating', '.web', '.xmlrpc'].map((m) => `supervisor${m}`),
);
const SUPERVISOR_SPECS = new Set([MAIN_RPC_CLASS, MAIN_RPC_FACTORY, DEFAULT_CTL_FACTORY, DEFAULT_RESULT_HANDLER]);

/** What the spec's option is for: the standard spec a hint names. */
export type SpecOption = 'supervisor.rpcinterface_factory' | 'supervisor.ctl_factory' | 'result_handler';

const STANDARD: Record<SpecOption, string> = {
  'supervisor.rpcinterface_factory': MAIN_RPC_FACTORY,
  'supervisor.ctl_factory': DEFAULT_CTL_FACTORY,
  result_handler: DEFAULT_RESULT_HANDLER,
};

/** A spec as pkg_resources reads it: `module:attr.attr`, extras dropped (resolve() ignores them). */
export interface ImportSpec {
  module: string;
  /** the dotted attribute path, '' when the spec names only a module */
  attr: string;
}

/** Why pkg_resources refuses a spec: tsv's wording, and the text Python prints for the ValueError. */
export interface SpecSyntaxError {
  message: string;
  python: string;
}

// EntryPoint.pattern, with Python's Unicode \w; `.` stops at a line end in both.
const WORD_CHARS = String.raw`\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}`;
const W = `[${WORD_CHARS}]`;
const W_DOT = `[${WORD_CHARS}.]`;
const ENTRY_POINT = new RegExp(String.raw`^\s*(.+?)\s*=\s*(${W_DOT}+)\s*(?::\s*(${W_DOT}+))?\s*(\[.*\])?\s*$`, 'u');
const MODULE_NAME = new RegExp(String.raw`^${W}+(?:\.${W}+)*$`, 'u');
// packaging's extras: `[` names separated by commas `]`, a name being letters,
// digits and `-_.` that starts and ends with a letter or digit
const EXTRA = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?';
const EXTRAS = new RegExp(String.raw`^\[\s*(?:${EXTRA}(?:\s*,\s*${EXTRA})*)?\s*\]\s*`, 'u');

/** Requirement.parse('x' + extras) fails: pyparsing names the 8 characters where it stopped. */
function extrasProblem(extras: string): SpecSyntaxError | null {
  // where the extras list (and the blanks after it) ends, or the `[` when there is none
  const at = EXTRAS.exec(extras)?.[0].length ?? 0;
  if (at === extras.length) return null;
  const text = `Parse error at "${pyRepr(extras.slice(at, at + 8))}": Expected string_end`;
  return { message: `${text} (the [extras] after the callable)`, python: text };
}

/** pkg_resources.EntryPoint.parse("x=" + spec), or why it refuses the spec. */
export function parseImportSpec(spec: string): ImportSpec | SpecSyntaxError {
  const src = `x=${spec}`;
  const m = ENTRY_POINT.exec(src);
  if (!m) {
    const message = `EntryPoint must be in 'name=module:attrs [extras]' format`;
    return { message, python: `(${pyRepr(message)}, ${pyRepr(src)})` };
  }
  const [, , module, attr, extras] = m as unknown as [string, string, string, string | undefined, string | undefined];
  if (!MODULE_NAME.test(module)) return { message: `Invalid module name ${module}`, python: `('Invalid module name', ${pyRepr(module)})` };
  if (extras) {
    const problem = extrasProblem(extras);
    if (problem) return problem;
  }
  return { module, attr: attr ?? '' };
}

export function isSpecSyntaxError(s: ImportSpec | SpecSyntaxError): s is SpecSyntaxError {
  return 'python' in s;
}

/** What a spec resolves to, `module:attr` (Supervisor compares the objects imported, not the text); the text itself when malformed. */
export function resolvedSpec(spec: string): string {
  const p = parseImportSpec(spec);
  return isSpecSyntaxError(p) ? spec : `${p.module}:${p.attr}`;
}

/** Whether a factory spec makes Supervisor's main API (`supervisor.*`), however it is spelt. */
export function isMainRpcFactory(spec: string): boolean {
  const r = resolvedSpec(spec);
  return r === MAIN_RPC_FACTORY || r === MAIN_RPC_CLASS;
}

/** Whether a result_handler spec is the standard one, however it is spelt. */
export function isDefaultResultHandler(spec: string): boolean {
  return resolvedSpec(spec) === DEFAULT_RESULT_HANDLER;
}

/** Why Supervisor would refuse `spec` in `[section] option`, with a hint; null when it would not (or cannot tell: another package). */
export function importSpecProblem(spec: string, section: string, option: SpecOption): { message: string; python: string; hint: string } | null {
  const p = parseImportSpec(spec);
  if (isSpecSyntaxError(p)) return { ...p, hint: `write package.module:callable, as in ${STANDARD[option]}` };
  if (p.module !== 'supervisor' && !p.module.startsWith('supervisor.')) return null;
  // the packages in Supervisor's: what their modules hold is not known here (supervisor.tests.base:dummy_handler is there)
  if (/^supervisor\.(tests|scripts|medusa)\./.test(p.module)) return null;
  if (SUPERVISOR_MODULES.has(p.module) && (p.attr === '' || SUPERVISOR_SPECS.has(`${p.module}:${p.attr}`))) return null;
  const message = `${spec} cannot be resolved within [${section}]`;
  return { message, python: message, hint: `the standard one is ${STANDARD[option]}` };
}
