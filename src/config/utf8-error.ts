// What Python says when a config file is not UTF-8: supervisorctl reads its
// config through a text file object and exits with that UnicodeDecodeError's
// text, which scripts may match. The daemon says it in its own words
// (config/load.ts); the ctl says it as supervisorctl does.

/** Python's text files decode in chunks of this many bytes (io.TextIOWrapper._CHUNK_SIZE). */
const CHUNK = 8192;

/** The continuation bytes UTF-8 allows after each lead byte (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
function continuation(lead: number, i: number, b: number): boolean {
  if (i === 1) {
    if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
    if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
    if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
    if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  }
  return b >= 0x80 && b <= 0xbf;
}

/** The first sequence in a buffer that is not UTF-8, as Python's decoder meets it. */
interface Utf8Fault {
  /** where the bad sequence begins in the buffer */
  offset: number;
  /** where Python's chunk being decoded began */
  base: number;
  /** the bytes Python names: the lead and the good continuations before the fault */
  taken: number;
  reason: 'invalid start byte' | 'invalid continuation byte' | 'unexpected end of data';
}

function firstFault(buf: Uint8Array): Utf8Fault | null {
  // the bytes Python was decoding when it failed begin at `base`: a chunk's start, or the lead
  // of a character the chunk before ended in the middle of
  let base = 0;
  let end = CHUNK;
  for (let i = 0; i < buf.length; ) {
    while (i >= end) {
      base = end;
      end += CHUNK;
    }
    const lead = buf[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const len = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (len === 0) return { offset: i, base, taken: 1, reason: 'invalid start byte' };
    for (let k = 1; k < len; k++) {
      // at the end of the file the held bytes are decoded on their own
      if (i + k >= buf.length) return { offset: i, base: i, taken: k, reason: 'unexpected end of data' };
      if (i + k >= end) {
        base = i;
        end += CHUNK;
      }
      if (!continuation(lead, k, buf[i + k] as number)) return { offset: i, base, taken: k, reason: 'invalid continuation byte' };
    }
    i += len;
  }
  return null;
}

/**
 * `'utf-8' codec can't decode byte 0xNN in position P: REASON` (or `bytes in
 * position P-Q`) for the first bad sequence in `buf`, or null when it is all
 * UTF-8. P counts from the start of the chunk Python was decoding; a sequence
 * cut off by the end of the file is decoded on its own at the end, so its
 * position is 0.
 */
export function pythonUtf8Error(buf: Uint8Array): string | null {
  const f = firstFault(buf);
  if (!f) return null;
  const at = f.offset - f.base;
  return f.taken === 1
    ? `'utf-8' codec can't decode byte 0x${(buf[f.offset] as number).toString(16).padStart(2, '0')} in position ${at}: ${f.reason}`
    : `'utf-8' codec can't decode bytes in position ${at}-${at + f.taken - 1}: ${f.reason}`;
}

/**
 * Where a file stops being UTF-8, for the daemon's own error: the line (from
 * 1), the byte, and what it would be in Latin-1, the usual cause (a file
 * saved by an editor set to Windows-1252 or ISO-8859-1).
 */
export function utf8FaultLine(buf: Uint8Array): { line: number; byte: number; latin1: string } | null {
  const f = firstFault(buf);
  if (!f) return null;
  let line = 1;
  for (let i = 0; i < f.offset; i++) if (buf[i] === 0x0a) line++;
  const byte = buf[f.offset] as number;
  return { line, byte, latin1: byte >= 0xa0 ? String.fromCharCode(byte) : '' };
}
