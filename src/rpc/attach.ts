// GET /attach/NAME with `Upgrade: tsv-attach` on any control socket: the
// connection becomes the program's terminal (src/daemon/terminal.ts) for
// `tsv attach`, in the frames of ./attach-frames.ts. Supervisor has nothing
// like it; credentials are checked as for /RPC2 before this runs.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { splitNamespec } from '../config/model';
import type { Supervisor } from '../daemon/supervisor';
import { validWindow, type TerminalClient } from '../daemon/terminal';
import { ATTACH_PROTOCOL, frame, FrameReader, readWindow } from './attach-frames';

/**
 * A client that reads more slowly than its program writes is let go once this
 * much output waits for it, rather than held in the daemon's memory (the log
 * file still has everything).
 */
const MAX_UNSENT = 4 * 1024 * 1024;
/** keystrokes and pastes; a bigger frame is not a tsv attach talking */
const MAX_INPUT_FRAME = 1024 * 1024;
/**
 * Input the program has not read that stops reading from the client (and
 * reading resumes at half): piped input flows at the program's pace instead
 * of filling the daemon up to the limit on held input and being refused there.
 */
const INPUT_HIGH = 1024 * 1024;
/**
 * A piped client's session ends once the program has taken its input and
 * then written nothing for this long (ms): its echo and its answer to the
 * last line come after the line is taken, so an end at once lost them a
 * third of the time.
 */
const ANSWER_QUIET_MS = 250;
/** ...and at most this long after the input was taken, for a program that never goes quiet */
const ANSWER_WAIT_MS = 3000;

/** Answers before the switch: a status and one line of text, which tsv attach shows as `NAME: ERROR (text)`. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** `spec` is what follows /attach/ (URL-decoded): a process name or group:name. */
export function serveAttach(req: IncomingMessage, socket: Duplex, head: Buffer, engine: Supervisor, spec: string): void {
  if (req.method !== 'GET' || (req.headers.upgrade ?? '').toLowerCase() !== ATTACH_PROTOCOL) {
    refuseUpgrade(socket, 400, 'Bad Request', `attach wants GET with Upgrade: ${ATTACH_PROTOCOL}`);
    return;
  }
  const [gname, pname] = splitNamespec(spec);
  const proc = pname === null ? undefined : engine.groups.get(gname)?.processes.get(pname);
  if (!proc) {
    refuseUpgrade(socket, 404, 'Not Found', pname === null ? 'attach takes one process, not a group' : 'no such process');
    return;
  }
  if (!proc.config.pty) {
    refuseUpgrade(socket, 409, 'Conflict', 'not running under a pseudo-terminal (add pty=true to its program section)');
    return;
  }
  const terminal = proc.terminal;
  if (!terminal) {
    refuseUpgrade(socket, 409, 'Conflict', 'not running');
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${ATTACH_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
  const replay = terminal.replay();
  if (replay.length) socket.write(frame('o', replay));
  // the input has been taken: when the session ends (ANSWER_QUIET_MS)
  let closing: { until: number; timer: NodeJS.Timeout | null } | null = null;
  const endWhenQuiet = (): void => {
    if (!closing) return;
    if (closing.timer) clearTimeout(closing.timer);
    closing.timer = setTimeout(() => socket.end(), Math.max(0, Math.min(ANSWER_QUIET_MS, closing.until - Date.now())));
  };
  const client: TerminalClient = {
    output(data) {
      endWhenQuiet();
      if (socket.writableLength > MAX_UNSENT) {
        terminal.detach(client);
        socket.end(frame('x', `${proc.name} wrote faster than this terminal read; detached (the log has all of it)`));
        return;
      }
      socket.write(frame('o', data));
    },
    end(reason) {
      socket.end(frame('x', reason));
    },
  };
  terminal.attach(client);
  const reader = new FrameReader(MAX_INPUT_FRAME);
  const onData = (chunk: Buffer): void => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const f of frames) {
      // input in flight when the program ended must not reach its next run
      if (proc.terminal !== terminal) return;
      if (f.kind === 'i') {
        try {
          proc.write(f.payload);
        } catch {
          // the program is going: its end frame follows
        }
      } else if (f.kind === 'w') {
        const size = readWindow(f.payload);
        if (size && validWindow(size.cols, size.rows)) proc.resizeTerminal(size);
      }
    }
    if (proc.heldInput >= INPUT_HIGH && !socket.isPaused()) {
      socket.pause();
      proc.whenInputBelow(INPUT_HIGH / 2, () => socket.resume());
    }
  };
  socket.on('data', onData);
  // the client's input has ended (`tsv attach NAME < file`) and it waits, reading:
  // closed once the program has taken what is held for it and answered (or has ended, which closes it anyway)
  socket.on('end', () => {
    if (proc.terminal !== terminal) {
      socket.end();
      return;
    }
    proc.whenInputBelow(0, () => {
      closing = { until: Date.now() + ANSWER_WAIT_MS, timer: null };
      endWhenQuiet();
    });
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    if (closing?.timer) clearTimeout(closing.timer);
    terminal.detach(client);
  });
  if (head.length) onData(head);
}
