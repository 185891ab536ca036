// The header line a listener reads before each event (EventListenerPool._eventEnvelope):
// `ver:3.0 server:<identifier> serial:<n> pool:<name> poolserial:<n> eventname:<NAME> len:<n>\n<payload>`.
//
// `len` is Python's len() of the payload string: a count of characters (code
// points), not bytes. Supervisor's own childutils reads that many characters
// from a text-mode stdin, so tsv counts the same way; a listener that reads
// bytes gets a short read on non-ASCII payloads, as it does under Supervisor.

/** Code points in s (Python's len() of a str). */
export function pyLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a surrogate pair is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export interface EnvelopeFields {
  identifier: string;
  serial: number;
  pool: string;
  poolSerial: number;
  eventName: string;
  payload: string;
  /** pyLen(payload) when already known */
  chars?: number;
}

export function envelopeText(f: EnvelopeFields): string {
  return (
    `ver:3.0 server:${f.identifier} serial:${f.serial} pool:${f.pool} poolserial:${f.poolSerial} ` +
    `eventname:${f.eventName} len:${f.chars ?? pyLen(f.payload)}\n${f.payload}`
  );
}

/** The bytes written to the listener's stdin (as_bytes: UTF-8). */
export function envelopeBytes(f: EnvelopeFields): Buffer {
  return Buffer.from(envelopeText(f), 'utf8');
}
