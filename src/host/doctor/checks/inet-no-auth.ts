// [inet_http_server] on a non-loopback address without a username: anyone
// who can reach the port can stop every program and read every log.
import type { Check } from '../types';
import { ok, skipped } from '../types';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export const inetNoAuth: Check = {
  id: 'inet-no-auth',
  title: 'an HTTP server listens beyond loopback without authentication',
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const open = ctx.facts.inet.filter((s) => !isLoopback(s.host) && !s.username);
    if (ctx.facts.inet.length === 0) return ok(this.id, 'no [inet_http_server]');
    if (open.length === 0) return ok(this.id, `every inet server is on loopback or asks for a password`);
    const where = open.map((s) => `${s.host || '*'}:${s.port}`).join(', ');
    return {
      id: this.id,
      status: 'problem',
      found: `[inet_http_server] listens on ${where} with no username/password`,
      why: 'anyone who can reach that port can start and stop every program, read their logs and shut the daemon down',
      fix: 'set port=127.0.0.1:PORT, or add username= and password= to [inet_http_server] (and the same to [supervisorctl]), then restart',
    };
  },
};
