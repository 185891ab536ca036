// Why execve refused a program that exists, in words a user can act on.
//
// Supervisor checks before spawning that the command exists and is
// executable, so when execve still fails the child's log says only
// "couldn't exec /srv/app/run.sh: ENOENT" about a file that is plainly there.
// The usual causes are in the file's first bytes: a #! line with Windows line
// endings (the kernel looks for "/bin/sh\r"), an interpreter that is not
// installed, a script without a #! line (ENOEXEC), or a binary built for
// another architecture (an x86_64 build copied to a Raspberry Pi) or another C
// library (its loader is missing). The child's log keeps Supervisor's exact
// lines; this explanation goes to the main log.
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { canAccess } from '../os/access';
import { mountOf } from '../os/mounts';
import type { Principal } from '../os/accounts';

/** ELF e_machine values of the architectures a user is likely to meet */
const MACHINES: Record<number, string> = {
  3: 'x86 (32-bit)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC 64',
  22: 's390x',
  40: 'ARM 32-bit (armhf/armv7l)',
  62: 'x86_64 (amd64)',
  183: 'ARM 64-bit (arm64/aarch64)',
  243: 'RISC-V',
};
const OWN: Record<string, number> = { ia32: 3, ppc: 20, ppc64: 21, s390x: 22, arm: 40, x64: 62, arm64: 183, riscv64: 243 };
/** A 64-bit kernel also runs its 32-bit relative's programs (CONFIG_COMPAT), given their C library: Debian's name for that architecture */
const COMPAT: Record<number, { machine: number; deb: string }> = { 62: { machine: 3, deb: 'i386' }, 183: { machine: 40, deb: 'armhf' } };

const PT_INTERP = 3;
const HEAD = 4096;

function readHead(file: string): Buffer | null {
  let fd = -1;
  try {
    // without O_NONBLOCK the open of a FIFO (a `command=` that names one) waits for a writer: the daemon's whole loop with it
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(HEAD);
    return buf.subarray(0, readSync(fd, buf, 0, HEAD, 0));
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** The loader an ELF program names (PT_INTERP), if its program headers are in the first HEAD bytes. */
function elfInterpreter(head: Buffer, is64: boolean, le: boolean): string | null {
  const u16 = (o: number): number => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
  const u32 = (o: number): number => (le ? head.readUInt32LE(o) : head.readUInt32BE(o));
  const word = (o: number): number => (is64 ? Number(le ? head.readBigUInt64LE(o) : head.readBigUInt64BE(o)) : u32(o));
  try {
    const phoff = word(is64 ? 32 : 28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (u32(ph) !== PT_INTERP) continue;
      const offset = word(ph + (is64 ? 8 : 4));
      const size = word(ph + (is64 ? 32 : 16));
      if (offset + size > head.length) return null;
      return head.toString('latin1', offset, offset + size).replace(/\0.*$/s, '');
    }
  } catch {
    // program headers beyond what was read
  }
  return null;
}

/** The mount point of a noexec file system holding `file`, or null. */
function noexecMount(file: string): string | null {
  const m = mountOf(file);
  return m?.options.includes('noexec') ? m.point : null;
}

/** What `who` may not do on the way to running `file`: enter one of its directories, or execute it (doctor's access check). */
function deniedOnPath(file: string, who: Principal): string | null {
  const r = canAccess(file, who, 'x');
  if (r.ok || !r.blocker) return null;
  let st;
  try {
    st = statSync(r.blocker);
  } catch {
    return null; // a path that is not there is not a permission problem
  }
  if (r.blocker !== file) return `enter the directory ${r.blocker}`;
  return `execute the file (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${st.uid}, group gid ${st.gid})`;
}

/** A sentence explaining why execve(file) failed with `code`, or null when nothing that can be read says why. */
export function explainExecFailure(file: string, code: string, who: Principal | null = null): string | null {
  if (code === 'EACCES') {
    const mount = noexecMount(file);
    if (mount) return `it is on a file system mounted noexec (${mount}): nothing there may be executed`;
    const denied = who ? deniedOnPath(file, who) : null;
    if (denied && who) return `user ${who.name}, whom it runs as, may not ${denied}`;
  }
  const head = readHead(file);
  if (!head) return null;
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) {
    // the kernel takes the name as bytes: looked up as bytes, shown as UTF-8
    const nl = head.indexOf(0x0a);
    const end = nl < 0 ? head.length : nl;
    const blank = (c: number | undefined): boolean => c === 0x20 || c === 0x09;
    let from = 2;
    while (from < end && blank(head[from])) from++;
    let to = from;
    while (to < end && !blank(head[to])) to++;
    const name = head.subarray(from, to);
    const interp = name.toString('utf8');
    if (interp.endsWith('\r')) {
      const shown = JSON.stringify(interp);
      return (
        `its #! line ends in a carriage return (the file has Windows line endings), so the kernel looks for an interpreter named ${shown}; ` +
        `convert it to Unix line endings, e.g. sed -i 's/\\r$//' ${file}`
      );
    }
    if (!interp) return 'its #! line names no interpreter';
    if (code === 'ENOENT' && !existsSync(name)) return `its interpreter ${interp} (named on its #! line) is not installed`;
    if (code === 'EACCES') return `its interpreter ${interp} cannot be run (not executable, or on a file system mounted noexec)`;
    return null;
  }
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const is64 = head[4] === 2;
    const le = head[5] !== 2;
    const machine = le ? head.readUInt16LE(18) : head.readUInt16BE(18);
    const own = OWN[process.arch];
    // an i386 program on x86_64, an armhf one on arm64 (Raspberry Pi OS 64-bit): exec failed for
    // another reason unless it was ENOEXEC (a kernel built without compat support)
    const compat = own === undefined ? undefined : COMPAT[own];
    const related = compat !== undefined && compat.machine === machine && code !== 'ENOEXEC';
    if (own !== undefined && machine !== own && !related) {
      return `it is a program for ${MACHINES[machine] ?? `ELF machine ${machine}`}, and this system runs ${MACHINES[own]} programs: install the build for ${MACHINES[own]}`;
    }
    if (code === 'ENOENT') {
      const loader = elfInterpreter(head, is64, le);
      if (!loader || existsSync(loader)) return null;
      return related && own !== undefined
        ? `its loader ${loader} is not on this system: it is a program for ${MACHINES[machine]}, which this ${MACHINES[own]} system runs once that architecture's C library is installed (dpkg --add-architecture ${compat.deb}; apt-get install libc6:${compat.deb})`
        : `its loader ${loader} is not on this system (built for another distribution or C library, e.g. musl against glibc?)`;
    }
    return null;
  }
  if (code === 'ENOEXEC') return "it is neither a program for this machine nor a script with a #! line: a script needs one as its first line, e.g. #!/bin/sh";
  return null;
}
