// A booted root where Debian's supervisor service runs programs, as a host
// looks before it moves to tsv: its config, and how many copies of the
// programs run (whoever runs them), which is what a takeover must keep.
import type { Container } from './host-container';

/** Debian's /etc/supervisor/supervisord.conf with an [inet_http_server] on `port` (the containers share the host's network: a port no other test uses). */
export function debianSupervisorConf(o: { port: number; supervisord?: string; sections?: string; include: string }): string {
  return `[unix_http_server]
file=/var/run/supervisor.sock
chmod=0700

[inet_http_server]
port=127.0.0.1:${o.port}

[supervisord]
logfile=/var/log/supervisor/supervisord.log
pidfile=/var/run/supervisord.pid
childlogdir=/var/log/supervisor
${o.supervisord ?? ''}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///var/run/supervisor.sock
${o.sections ? `\n${o.sections}` : ''}
[include]
files = ${o.include}
`;
}

/** `systemctl is-enabled` and `is-active` of a unit, as one string ("enabled active"). */
export function unitState(c: Container, unit: string): string {
  return `${c.sh(`systemctl is-enabled ${unit}`).stdout.trim()} ${c.sh(`systemctl is-active ${unit}`).stdout.trim()}`;
}

/** Processes whose command line matches `re`, whoever runs them. */
function copiesOf(c: Container, re: RegExp): number {
  return c.processes().filter((p) => re.test(p.cmdline)).length;
}

/** Waits (at most 15 s) until `want` processes match `re`; the count last seen. */
export async function settleCopies(c: Container, re: RegExp, want: number): Promise<number> {
  for (let i = 0; i < 75 && copiesOf(c, re) !== want; i++) await new Promise((r) => setTimeout(r, 200));
  return copiesOf(c, re);
}
