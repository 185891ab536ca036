// `tsv daemon` / supervisord: the daemon's command line and life are in
// lifecycle.ts; the engine it runs is supervisor.ts (API in api.ts).
export { runDaemon, SUPERVISOR_VERSION } from './lifecycle';
