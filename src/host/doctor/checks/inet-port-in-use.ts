// The [inet_http_server] port is held by another program: the daemon refuses
// to start ("Another program is already listening on a port that one of our
// HTTP servers is configured to use"), one of the commonest reasons it will
// not come up. Read from /proc/net/tcp{,6}, with the holder found by its
// socket's inode under /proc/PID/fd (all of them only for root). The daemon
// listens on IPv4 only, as supervisord does (a host name is looked up as IPv4),
// so an IPv6 listener takes its port only as the wildcard `::` (dual-stack) or
// on an IPv4-mapped address.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { socketHolders } from '../../procs';
import type { Check } from '../types';
import { ok, skipped } from '../types';

interface Listener {
  /** the address as the kernel prints it, '' for a wildcard */
  address: string;
  port: number;
  inode: string;
}

const LISTEN = '0A';
/** ::ffff:a.b.c.d in /proc/net/tcp6 (four 32-bit words in host order): the IPv4 word as /proc/net/tcp prints it */
const V4_MAPPED = endianness() === 'LE' ? /^0{16}FFFF0000([0-9A-F]{8})$/ : /^0{16}0000FFFF([0-9A-F]{8})$/;

function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const [raw, port] = (f[1] ?? '').split(':') as [string, string];
      let address: string | null = raw;
      if (/^0+$/.test(raw)) address = '';
      else if (raw.length === 32) address = V4_MAPPED.exec(raw)?.[1] ?? null;
      if (address !== null) out.push({ address, port: parseInt(port, 16), inode: f[9] ?? '' });
    }
  }
  return out;
}

/** An IPv4 address as /proc/net/tcp prints it: a 32-bit number in hex, in the host's byte order. */
function procAddress(ipv4: string): string | null {
  const parts = ipv4.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
  return (endianness() === 'LE' ? parts.reverse() : parts)
    .map((n) => n.toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

/** The address the daemon binds for `host`: itself, or a host name looked up as the daemon does (IPv4). */
async function ipv4Of(host: string): Promise<string> {
  if (procAddress(host) !== null) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return host;
  }
}

export const inetPortInUse: Check = {
  id: 'inet-port-in-use',
  title: 'an [inet_http_server] port is held by another program',
  async run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    if (ctx.facts.inet.length === 0) return ok(this.id, 'no [inet_http_server]');
    const ours = new Set(ctx.daemons.map((d) => d.pid));
    const taken: string[] = [];
    const all = listeners();
    for (const server of ctx.facts.inet) {
      // a host name that does not resolve here may be any address
      const mine = server.host === '' ? null : procAddress(await ipv4Of(server.host));
      const clash = all.filter((l) => l.port === server.port && (l.address === '' || server.host === '' || mine === null || l.address === mine));
      for (const l of clash) {
        const who = socketHolders(l.inode);
        // the daemon on this config holds its own port
        if (who.some((h) => ours.has(h.pid))) continue;
        if (who.length === 0 && ctx.daemons.length > 0) continue; // cannot see the holder: likely our daemon, as another user
        const named = who.map((h) => `${h.pid} (${h.name})`).join(', ');
        taken.push(`${server.host || '*'}:${server.port} is listened on by ${who.length ? `pid ${named}` : 'a process this user cannot see'}`);
        break;
      }
    }
    if (taken.length === 0) return ok(this.id, `${ctx.facts.inet.length} port(s) free or held by the daemon on this config`);
    return {
      id: this.id,
      status: 'problem',
      found: taken.join('; '),
      why: 'the daemon will not start: "Another program is already listening on a port that one of our HTTP servers is configured to use"',
      fix: 'stop that program (a supervisord started by hand, another service), or choose another port= in [inet_http_server]',
    };
  },
};
