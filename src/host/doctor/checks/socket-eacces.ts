// The calling user gets "Permission denied" on the socket: say exactly why
// (which directory or the socket's owner/mode) and whether joining the tsv
// group would help, or whether the membership is not in this session yet.
import { groupMembers, groupName, principalFor } from '../../accounts';
import { canAccess } from '../../access';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const socketEacces: Check = {
  id: 'socket-eacces',
  title: 'you get EACCES on the control socket',
  run(ctx) {
    const unix = ctx.facts?.unix;
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    if (!unix) return ok(this.id, 'no [unix_http_server]');
    const st = ctx.socketStat;
    if (!st || !st.isSocket()) return skipped(this.id, `${unix.file} is not there`);
    const me = ctx.caller;
    if (me.uid === 0) return ok(this.id, 'root can always connect (socket-permissions checks what others get)');
    const access = canAccess(unix.file, me, 'w');
    const refused = ctx.probe && !ctx.probe.ok && (ctx.probe.code === 'EACCES' || ctx.probe.code === 'EPERM');
    if (access.ok && !refused) return ok(this.id, `${me.name} can connect to ${unix.file}`);
    const sockGroup = groupName(st.gid);
    const groupCanUse = (st.mode & 0o060) === 0o060;
    const listed = groupMembers(sockGroup).includes(me.name) || principalFor(me.name)?.gid === st.gid;
    const inSession = me.groups.includes(st.gid);
    let fix: string;
    if (access.blocker && access.blocker !== unix.file) {
      fix = `the directory ${access.blocker} keeps ${me.name} out; as root: chmod o+x ${access.blocker} (or run tsv doctor --fix as root)`;
    } else if (groupCanUse && !listed) {
      fix = `join the ${sockGroup} group, which may use the socket: sudo usermod -aG ${sockGroup} ${me.name}, then log in again (or: newgrp ${sockGroup})`;
    } else if (groupCanUse && listed && !inSession) {
      fix = `you are in ${sockGroup} in /etc/group, but this session started before you were added: log out and in again (or: newgrp ${sockGroup})`;
    } else {
      fix = `the socket does not let its group in (group ${sockGroup}, mode ${(st.mode & 0o777).toString(8)}); as root: tsv doctor --fix (see socket-permissions), or use sudo`;
    }
    return {
      id: this.id,
      status: 'problem',
      found: `${me.name} (groups: ${me.groups.map(groupName).join(', ')}) cannot connect: ${access.reason ?? 'connect() returned EACCES'}`,
      why: '`tsv status` and every other ctl command fail with "Permission denied" for you',
      fix,
    };
  },
};
