// attach <name>   (tsv only)
//
// The terminal of a program that runs with pty=true, as if it were this
// one: keys go to the program as typed (Ctrl-C included, as in a terminal),
// its screen comes back as it draws it, and a resize of this window resizes
// the program's. Ctrl-] detaches and leaves the program running. What
// supervisorctl's fg only approximates (a log tail plus lines sent to
// stdin) and PM2's attach does line by line. Over the control socket
// (src/rpc/attach.ts), so it reaches a daemon wherever the ctl does.
//
// Without a terminal on stdin, what stdin holds is sent and the client
// detaches at its end (`echo save | tsv attach game`).
import type { Duplex } from 'node:stream';
import type { Verb } from './types';
import { refuseArgs, words } from './types';
import type { Controller } from '../controller';
import { ExitStatus } from '../exit-status';
import { RpcHttpError } from '../../rpc/client';
import { ATTACH_PROTOCOL, frame, FrameReader, windowFrame } from '../../rpc/attach-frames';
import { loadNative } from '../../daemon/native';

/** Ctrl-], as telnet and virsh console detach: a key programs hardly ever need. */
export const DETACH_KEY = 0x1d;

/** How the session ended: the daemon's words, or the client's. */
type Ending = { kind: 'ended'; reason: string } | { kind: 'detached' } | { kind: 'lost' };

function attachPath(name: string): string {
  // the name as a path segment; ':' (group:name) needs no escape there
  return `/attach/${encodeURIComponent(name).replace(/%3A/gi, ':')}`;
}

export const attach: Verb = {
  name: 'attach',
  // help's list stays supervisorctl's (as for logs and events); `help attach` works
  listed: false,
  async run(ctl, arg) {
    const names = words(arg);
    if (names.length !== 1) {
      refuseArgs(ctl, attach, names.length ? 'attach takes one process name' : 'no process name supplied');
      return;
    }
    const name = names[0] as string;
    if (ctl.inShell) {
      ctl.output(`ERROR: attach needs the terminal to itself: run \`tsv attach ${name}\` from the command line`);
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    if (!(await ctl.upcheck())) return;
    let conn: { socket: Duplex; head: Buffer };
    try {
      conn = await ctl.rpcClient().upgrade(attachPath(name), ATTACH_PROTOCOL);
    } catch (err) {
      if (!(err instanceof RpcHttpError)) throw err;
      // medusa's 404 page (supervisord), or a tsv from before attach
      const why = err.status === 404 && err.reason === 'Not Found' ? 'this daemon cannot attach: it is not tsv, or an older one' : err.reason;
      ctl.output(`${name}: ERROR (${why})`);
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    const ending = await session(ctl, name, conn.socket, conn.head);
    if (ending.kind === 'ended') ctl.output(`==> ${ending.reason} <==`);
    else if (ending.kind === 'detached') ctl.output(`==> detached from ${name} <==`);
    else {
      ctl.output(`==> the connection to the daemon was lost <==`);
      ctl.exitstatus = ExitStatus.GENERIC;
    }
  },
  help(ctl) {
    ctl.output('attach <name>\t\tConnect this terminal to a program that runs with pty=true;');
    ctl.output('\t\t\tCtrl-] detaches and leaves it running');
  },
};

/** The attached session, from the switch until the end; the terminal is given back as it was. */
function session(ctl: Controller, name: string, socket: Duplex, head: Buffer): Promise<Ending> {
  const stdin = process.stdin;
  const raw = Boolean(stdin.isTTY);
  const stdout = process.stdout;
  return new Promise<Ending>((resolve) => {
    let ending: Ending | null = null;
    /** `flush`: the input ended; wait until the daemon has given the program all of it (it then closes) */
    const finish = (e: Ending, flush = false): void => {
      if (ending) return;
      ending = e;
      stdin.removeListener('data', onKeys);
      stdin.removeListener('end', onEnd);
      stdout.removeListener('resize', onResize);
      process.removeListener('SIGINT', onSigint);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      // a program may leave the cursor mid-line: the closing line starts on its own
      ctl.io.write('\r\n');
      if (socket.destroyed || !socket.writable) {
        socket.destroy();
        resolve(e);
        return;
      }
      // keys still queued (a paste, piped input) go out before the process exits.
      // Piped input waits for the program to take it, as a pipe would (the
      // program's end ends the wait); keys from a terminal wait at most 2 s
      // for a program that has stopped reading them.
      const done = (): void => {
        clearTimeout(bound);
        socket.destroy();
        resolve(e);
      };
      const bound = raw ? setTimeout(done, 2000) : undefined;
      if (flush) {
        // the daemon holds what the program has not read yet: closing now would drop it
        socket.once('close', done);
        socket.end();
      } else socket.end(done);
    };
    const reader = new FrameReader(64 * 1024 * 1024);
    let endReason: string | null = null;
    const onFrames = (chunk: Buffer): void => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch {
        finish({ kind: 'lost' });
        return;
      }
      for (const f of frames) {
        if (f.kind === 'o') ctl.io.write(f.payload);
        else if (f.kind === 'x') endReason = f.payload.toString('utf8');
      }
    };
    const onKeys = (data: Buffer): void => {
      const at = raw ? data.indexOf(DETACH_KEY) : -1;
      const keys = at < 0 ? data : data.subarray(0, at);
      // the daemon reads piped input at the program's pace: so do we (keys from a
      // terminal are always read, or Ctrl-] could not detach from a program that reads none)
      if (keys.length && !socket.write(frame('i', keys)) && !raw) {
        stdin.pause();
        socket.once('drain', () => {
          if (!ending) stdin.resume();
        });
      }
      if (at >= 0) finish({ kind: 'detached' });
    };
    const onEnd = (): void => finish({ kind: 'detached' }, true);
    const onResize = (): void => {
      if (stdout.columns && stdout.rows) socket.write(windowFrame(stdout.columns, stdout.rows));
    };
    // without a terminal Ctrl-C reaches us as a signal: it detaches
    const onSigint = (): void => finish({ kind: 'detached' });

    socket.on('data', onFrames);
    socket.on('error', () => {});
    socket.on('close', () => finish(endReason === null ? { kind: 'lost' } : { kind: 'ended', reason: endReason }));
    ctl.output(`==> attached to ${name}; Ctrl-] detaches <==`);
    if (raw) {
      stdin.setRawMode(true);
      // the program's terminal already did the output processing (its \r\n); ours must not add to it
      if (stdout.isTTY) loadNative()?.outputAsIs(1);
    }
    if (head.length) onFrames(head);
    if (stdout.isTTY) onResize();
    stdout.on('resize', onResize);
    process.on('SIGINT', onSigint);
    stdin.on('data', onKeys);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
