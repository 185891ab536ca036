// A control socket in /tmp is deleted by tmp cleaners while the daemon runs
// (Supervisor #1105, #1238, #1723): the ctl then says "no such file".
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Check } from '../types';
import { configuredSocket, isFinding, ok } from '../types';

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export function underTmp(path: string): boolean {
  const dir = real(dirname(path));
  return ['/tmp', '/var/tmp'].some((t) => dir === t || dir.startsWith(t + '/'));
}

export const socketUnderTmp: Check = {
  id: 'socket-under-tmp',
  title: 'the control socket lives under /tmp',
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    if (!underTmp(unix.file)) return ok(this.id, `socket ${unix.file} is not under /tmp`);
    return {
      id: this.id,
      status: 'problem',
      found: `[unix_http_server] file=${unix.file} is under /tmp`,
      why: 'systemd-tmpfiles and tmpwatch delete files in /tmp that look unused, the socket among them, while the daemon runs; services with PrivateTmp= do not even see it',
      fix: `set [unix_http_server] file=/run/tsv/tsv.sock and [supervisorctl] serverurl=unix:///run/tsv/tsv.sock in ${ctx.configFile}, then restart the service`,
    };
  },
};
