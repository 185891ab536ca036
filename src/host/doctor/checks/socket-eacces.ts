// The calling user gets "Permission denied" on the socket: say exactly why
// (which directory or the socket's owner/mode) and whether joining the tsv
// group would help, or whether the membership is not in this session yet.
import { groupMembers, groupName, principalFor } from '../../../os/accounts';
import { canAccess } from '../../../os/access';
import type { Check } from '../types';
import { configuredSocket, isFinding, ok, othersSocket, skipped } from '../types';

export const socketEacces: Check = {
  id: 'socket-eacces',
  title: 'you get EACCES on the control socket',
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    const st = ctx.socketStat;
    const me = ctx.caller;
    if (!st) {
      if (!ctx.socketHidden) return skipped(this.id, `${unix.file} is not there`);
      const access = canAccess(unix.file, me, 'w');
      return {
        id: this.id,
        status: 'problem',
        found: `${me.name} (groups: ${me.groups.map(groupName).join(', ')}) cannot reach ${unix.file}: ${ctx.socketHidden}`,
        why: '`tsv status` and every other ctl command fail with "Permission denied" for you, whether or not the daemon runs',
        fix: access.blocker
          ? `the directory ${access.blocker} keeps ${me.name} out; as root: chmod o+x ${access.blocker}, or put the socket in a directory ${me.name} may enter`
          : `run doctor as root to see more: sudo tsv doctor -c ${ctx.configFile}`,
      };
    }
    if (!st.isSocket()) return skipped(this.id, `${unix.file} is not a socket (see stale-socket)`);
    if (othersSocket(ctx, unix.file)) return skipped(this.id, `${unix.file} is another user's socket, not this config's daemon's (see stale-socket)`);
    if (me.uid === 0) return ok(this.id, 'root can always connect (socket-permissions checks what others get)');
    const access = canAccess(unix.file, me, 'w');
    const refused = ctx.probe && !ctx.probe.ok && (ctx.probe.code === 'EACCES' || ctx.probe.code === 'EPERM');
    if (access.ok && !refused) return ok(this.id, `${me.name} can connect to ${unix.file}`);
    const sockGroup = groupName(st.gid);
    const wantGid = unix.chown[1];
    const groupCanUse = (st.mode & 0o060) === 0o060 && (unix.chmod & 0o060) === 0o060;
    const groupOf = wantGid !== -1 ? groupName(wantGid) : sockGroup;
    const listed = groupMembers(groupOf).includes(me.name) || (wantGid !== -1 && principalFor(me.name)?.gid === wantGid);
    const inSession = me.groups.includes(wantGid !== -1 ? wantGid : st.gid);
    let fix: string;
    if (access.blocker && access.blocker !== unix.file) {
      fix = `the directory ${access.blocker} keeps ${me.name} out; as root: chmod o+x ${access.blocker} (or run tsv doctor --fix as root)`;
    } else if (wantGid !== -1 && st.gid !== wantGid) {
      fix = `the socket's group is ${sockGroup}, but the config gives it to ${groupOf}: as root, run tsv doctor --fix (socket-permissions)${listed ? '' : `; and to use it, join ${groupOf}: sudo usermod -aG ${groupOf} ${me.name}`}`;
    } else if (groupCanUse && st.gid !== 0 && !listed) {
      fix = `join the ${groupOf} group, which may use the socket: sudo usermod -aG ${groupOf} ${me.name}, then log in again (or: newgrp ${groupOf})`;
    } else if (groupCanUse && st.gid !== 0 && listed && !inSession) {
      fix = `you are in ${groupOf} in /etc/group, but this session started before you were added: log out and in again (or: newgrp ${groupOf})`;
    } else {
      fix = `the config lets no group in (chmod=${(unix.chmod & 0o777).toString(8)}${wantGid === -1 ? ', no chown=' : ''}): use sudo, or set chmod=0770 and chown=root:tsv in [unix_http_server] and join the tsv group`;
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
