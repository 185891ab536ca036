// supervisorctl's answer to a control socket it may not open is a Python
// error line naming no file, mode or owner (Supervisor issue #1084: the
// default chmod=0700 leaves every user but the daemon's out). tsv's ctl
// prints that line as it is, on stdout, and says on stderr what is in the
// way, so scripts reading stdout see what they always saw.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { lookupGroupById, lookupUserById } from '../config/users';

const KIND: Record<number, string> = { 0o140000: 's', 0o040000: 'd', 0o100000: '-' };

function modeText(mode: number): string {
  let out = KIND[mode & 0o170000] ?? '?';
  for (const shift of [6, 3, 0]) {
    const bits = (mode >> shift) & 7;
    out += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  }
  return out;
}

function owner(uid: number, gid: number): string {
  return `${lookupUserById(uid)?.name ?? uid}:${lookupGroupById(gid)?.name ?? gid}`;
}

/** The hint for EACCES on `unix://PATH`, or null when the path cannot be looked at. */
export function socketAccessHint(serverurl: string): string | null {
  if (!serverurl.startsWith('unix://')) return null;
  const path = serverurl.slice('unix://'.length);
  const uid = process.geteuid?.() ?? -1;
  const me = `${lookupUserById(uid)?.name ?? 'uid'} (uid ${uid})`;
  let st;
  try {
    st = statSync(path);
  } catch {
    // the socket itself cannot be looked at: a directory on the way is closed to this user
    return `hint: ${me} may not reach ${path}: a directory on the way (${dirname(path)} or above) is closed to it; run as a user that may, e.g. with sudo`;
  }
  return (
    `hint: ${path} is ${modeText(st.mode)} ${owner(st.uid, st.gid)}, which ${me} may not open; ` +
    'the daemon sets these with [unix_http_server] chmod= and chown= (e.g. chmod=0770 and chown=root:GROUP, with this user in GROUP), ' +
    'or run supervisorctl as a user it lets in, e.g. with sudo'
  );
}
