// The daemon runs but its socket file is gone: a tmp cleaner or a careless
// rm deleted it. Nothing can reach the daemon until the file is back. tsv's
// daemon re-creates its socket on SIGUSR2; Supervisor's cannot, and needs a
// restart (which restarts its programs). Or no one deleted anything: file=
// was edited after the daemon started, and it still listens on the old path.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { waitReady } from '../../probe';
import { listeningUnixPaths } from '../../procs';
import type { Check } from '../types';
import { configuredSocket, isFinding, ok, socketHiddenFinding } from '../types';
import { mainDaemon } from '../context';

export const socketMissing: Check = {
  id: 'socket-missing',
  title: 'the daemon runs but its control socket is gone',
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    if (ctx.socketStat) return ok(this.id, `${unix.file} exists`);
    const hidden = socketHiddenFinding(this.id, unix.file, ctx);
    if (hidden) return hidden;
    const d = mainDaemon(ctx);
    if (!d) return ok(this.id, `${unix.file} is absent and no daemon runs on this config (see unit-inactive)`);
    const listening = listeningUnixPaths(d.pid);
    if (listening.length > 0 && !listening.includes(unix.file)) {
      const old = listening[0]!;
      return {
        id: this.id,
        status: 'problem',
        found: `daemon pid ${d.pid} (${d.kind}) runs on ${ctx.configFile} and listens on ${old}, not on file=${unix.file}`,
        why: "[unix_http_server] file= was changed after the daemon started: it reads the path only when it starts or reloads, so the ctl looks for a socket that was never made",
        fix: `reach it on the old path (supervisorctl -s unix://${old} status); a reload moves it to the new one (supervisorctl -s unix://${old} reload, which restarts its programs), or put file= back`,
      };
    }
    const base = {
      id: this.id,
      status: 'problem' as const,
      found: `daemon pid ${d.pid} (${d.kind}) runs on ${ctx.configFile}, but ${unix.file} does not exist`,
      why: 'a tmp cleaner or an rm deleted the socket under the running daemon; the ctl says "no such file" and the daemon cannot be controlled',
    };
    if (d.kind !== 'tsv') {
      return { ...base, fix: `Supervisor cannot re-create its socket: restart the daemon (this restarts its programs), e.g. systemctl restart ${ctx.manifest?.service ?? 'supervisor'}` };
    }
    return {
      ...base,
      fix: `ask the daemon to re-create it: kill -USR2 ${d.pid} (programs keep running)`,
      apply: async () => {
        const dir = dirname(unix.file);
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o755 });
        process.kill(d.pid, 'SIGUSR2');
        const r = await waitReady({ serverurl: `unix://${unix.file}` }, { timeoutMs: 5000, pid: d.pid });
        if (!r.ok) throw new Error(`sent SIGUSR2 to ${d.pid}, but ${r.message}`);
        return `sent SIGUSR2 to pid ${d.pid}; ${unix.file} answers again`;
      },
    };
  },
};
