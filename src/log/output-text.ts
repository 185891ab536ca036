// A child's output as Supervisor turns it into text (compat.as_string, with
// its 'Undecodable: %r' fallback): for the debug log's echo of output and for
// the payloads of PROCESS_LOG and PROCESS_COMMUNICATION events.
import { isAscii, isUtf8 } from 'node:buffer';

/** compat.as_string on child output, falling back to 'Undecodable: %r' as the payload methods do. */
export function outputText(data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (isAscii(b)) return b.toString('latin1');
  return isUtf8(b) ? b.toString('utf8') : `Undecodable: ${pyBytesRepr(data)}`;
}

/** Python's repr() of a bytes object. */
export function pyBytesRepr(data: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of data) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = 'b' + quote;
  for (const b of data) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote.charCodeAt(0)) out += '\\' + quote;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += '\\x' + b.toString(16).padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  return out + quote;
}
