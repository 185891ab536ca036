// The socket's owner, group or mode is not what the config asks for
// (chmod=, chown=): someone chowned it to root, or a daemon started under a
// different config left it. Members of the tsv group then get EACCES.
import { changeOwnerAndMode } from '../../../os/access';
import { groupName, userName } from '../../../os/accounts';
import type { Check } from '../types';
import { configuredSocket, isFinding, ok, othersSocket, skipped, socketHiddenFinding } from '../types';

function mode(n: number): string {
  return (n & 0o777).toString(8).padStart(4, '0');
}

export const socketPermissions: Check = {
  id: 'socket-permissions',
  title: "the socket's owner, group or mode differs from the config's chown=/chmod=",
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    const st = ctx.socketStat;
    const hidden = socketHiddenFinding(this.id, unix.file, ctx);
    if (hidden) return hidden;
    if (!st) return skipped(this.id, `${unix.file} is not there`);
    if (!st.isSocket()) return skipped(this.id, `${unix.file} is not a socket (see stale-socket)`);
    if (othersSocket(ctx, unix.file)) return skipped(this.id, `${unix.file} is another user's socket, not this config's daemon's (see stale-socket)`);
    // a socket nothing listens on is stale-socket's to remove, not to fix up
    if (ctx.socketProbe && !ctx.socketProbe.ok && ctx.socketProbe.code === 'ECONNREFUSED') return skipped(this.id, `nothing listens on ${unix.file} (see stale-socket)`);
    const [wantUid, wantGid] = unix.chown;
    const wrong: string[] = [];
    if ((st.mode & 0o777) !== (unix.chmod & 0o777)) wrong.push(`mode ${mode(st.mode)} (config: chmod=${mode(unix.chmod)})`);
    if (wantUid !== -1 && st.uid !== wantUid) wrong.push(`owner ${userName(st.uid)} (config: ${userName(wantUid)})`);
    if (wantGid !== -1 && st.gid !== wantGid) wrong.push(`group ${groupName(st.gid)} (config: ${groupName(wantGid)})`);
    const now = `${userName(st.uid)}:${groupName(st.gid)} ${mode(st.mode)}`;
    if (wrong.length === 0) return ok(this.id, `${unix.file} is ${now}, as configured`);
    // root, chown='s owner, the daemon's [supervisord] user= or (a daemon of one's own) the caller made it; anyone else's socket at the name is not the daemon's to fix up
    const ours = [0, wantUid, ctx.caller.uid, ctx.daemonUser?.uid];
    if (!ours.includes(st.uid)) {
      return {
        id: this.id,
        status: 'problem',
        found: `${unix.file} is ${now}: owned by ${userName(st.uid)}, who is neither root, chown='s owner nor the daemon's user`,
        why: "the daemon's socket is never made by another user: this one may be someone else's put in its place, and doctor does not hand it the config's owner or mode",
        fix: `see what listens on it (ss -xlp | grep ${unix.file}); if it is not tsv's, stop that and remove it, then restart the daemon`,
      };
    }
    // something took the connection and did not answer as a daemon, and none runs on this config:
    // whatever holds the name (daemon-not-answering says what), its mode is not the config's to set
    const asked = ctx.socketProbe;
    if (asked && !asked.ok && asked.code !== 'EACCES' && asked.code !== 'EPERM' && ctx.daemons.length === 0 && ctx.daemonsUnknown.length === 0) {
      return skipped(this.id, `${unix.file} is ${now}, but no daemon runs on this config and what holds it is not one (${asked.message})`);
    }
    const isRoot = ctx.caller.uid === 0;
    // more than the config allows: who may connect (write) that should not
    const extra = st.mode & ~unix.chmod & 0o022;
    const lockedOut = wantGid !== -1 ? `members of ${groupName(wantGid)} are meant to use the ctl without sudo; with the socket as it is they get "Permission denied"` : 'the ctl gets "Permission denied" for the users the config meant to allow';
    const letIn = extra & 0o002 ? 'every local user' : `every member of ${groupName(st.gid)}`;
    const why =
      extra && (unix.chmod & 0o777 & ~st.mode) === 0 && wrong.length === 1
        ? `it lets in more than the config's chmod=${mode(unix.chmod)}: ${letIn} may control the daemon (stop its programs, read their logs, send them input)`
        : lockedOut;
    const owner = `${wantUid === -1 ? '' : userName(wantUid)}${wantGid === -1 ? '' : ':' + groupName(wantGid)}`;
    return {
      id: this.id,
      status: 'problem',
      found: `${unix.file} has ${wrong.join(', ')}`,
      why,
      fix: `${owner ? `chown ${owner} ${unix.file} && ` : ''}chmod ${mode(unix.chmod)} ${unix.file}${isRoot ? '' : ' (as root: sudo tsv doctor --fix)'}`,
      apply: isRoot
        ? () => {
            changeOwnerAndMode(unix.file, st, wantUid, wantGid, unix.chmod & 0o777);
            return `set ${unix.file} to ${wantUid === -1 ? userName(st.uid) : userName(wantUid)}:${wantGid === -1 ? groupName(st.gid) : groupName(wantGid)} ${mode(unix.chmod)}`;
          }
        : undefined,
    };
  },
};
