// The byte stream of `tsv attach` once the daemon has switched a control
// connection to it (GET /attach/NAME, `Upgrade: tsv-attach`; not Supervisor's,
// see docs/differences.md): frames of a one-byte kind, a 32-bit big-endian
// length and that many bytes, in both directions.
//   daemon -> client: 'o' what the terminal showed; 'x' the program is gone (UTF-8 text: why), then the end
//   client -> daemon: 'i' keystrokes for the terminal; 'w' the client's window (16-bit columns, 16-bit rows)

export const ATTACH_PROTOCOL = 'tsv-attach';

export type FrameKind = 'o' | 'x' | 'i' | 'w';

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

const HEADER = 5;
const KINDS: ReadonlySet<string> = new Set(['o', 'x', 'i', 'w']);

export function frame(kind: FrameKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.write(kind, 0, 'latin1');
  out.writeUInt32BE(body.length, 1);
  body.copy(out, HEADER);
  return out;
}

export function windowFrame(cols: number, rows: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(cols, 0);
  b.writeUInt16BE(rows, 2);
  return frame('w', b);
}

export function readWindow(payload: Buffer): { cols: number; rows: number } | null {
  return payload.length === 4 ? { cols: payload.readUInt16BE(0), rows: payload.readUInt16BE(2) } : null;
}

export class FrameError extends Error {}

/** Cuts a byte stream into frames; refuses an unknown kind or a frame over maxLength (a peer that is not speaking this). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLength: number) {}

  push(chunk: Buffer): Frame[] {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (buf.length >= HEADER) {
      const kind = String.fromCharCode(buf[0]);
      const length = buf.readUInt32BE(1);
      if (!KINDS.has(kind)) throw new FrameError(`unknown frame kind 0x${buf[0].toString(16)}`);
      if (length > this.maxLength) throw new FrameError(`a frame of ${length} bytes (at most ${this.maxLength})`);
      if (buf.length < HEADER + length) break;
      frames.push({ kind: kind as FrameKind, payload: Buffer.from(buf.subarray(HEADER, HEADER + length)) });
      buf = buf.subarray(HEADER + length);
    }
    this.pending = Buffer.from(buf);
    return frames;
  }
}
