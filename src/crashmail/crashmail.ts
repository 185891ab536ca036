// `tsv crashmail` (also a link named crashmail): superlance's crashmail, the
// event listener Supervisor's users run to hear of a crash, here without
// Python or superlance installed. Subscribed to PROCESS_STATE (or
// PROCESS_STATE_EXITED), it hands a mail to the sendmail command for each
// unexpected exit; under tsv's daemon or the real supervisord alike, since it
// speaks the listener protocol on stdin and stdout like any listener.
//
// superlance 0.14's crashmail.py is the reference (behaviour read, not code
// copied): its options, the mail's exact text and its stderr lines. Where it
// differs, on purpose (docs/differences.md): `-p` chooses the programs, as its
// usage says, where crashmail.py mails every crash whatever -p says (without
// -p every crash is mailed, as there); without `-m` nothing is mailed, as its
// usage says, where crashmail.py mails `To: None`; sendmail's own output goes
// to stderr, never into the protocol on stdout; a sendmail that fails is named.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { asctime } from '../log/asctime';
import { getopt, GetoptError } from '../cli/getopt';

export interface CrashmailOptions {
  /** -p NAME or GROUP:NAME, each given; empty: every program */
  programs: string[];
  /** -m: where the mail goes; null: nowhere */
  email: string | null;
  /** -s: run by /bin/sh with the mail on its stdin */
  sendmail: string;
  /** -o: before the subject, with a colon */
  optionalHeader: string | null;
}

const USAGE = `crashmail: mail a notice each time a program of supervisord exits unexpectedly.
It is an event listener: run it from an [eventlistener:x] section with
events=PROCESS_STATE (or PROCESS_STATE_EXITED).

Usage: crashmail [-p NAME]... [-a] [-o PREFIX] [-m ADDRESS] [-s SENDMAIL]

  -p, --program NAME        only this program (GROUP:NAME within a group); may be repeated
  -a, --any                 every program (the default; overrides -p)
  -o, --optionalheader TEXT put TEXT and a colon before the subject
  -m, --email ADDRESS       the address to mail; without it nothing is mailed
  -s, --sendmail_program CMD
                            the command that sends a mail given on its stdin,
                            run by /bin/sh (default: /usr/sbin/sendmail -t -i)
  -h, --help                this text
`;

// crashmail.py's getopt spellings
const SHORTOPTS = 'hp:ao:s:m:';
export const LONGOPTS = ['help', 'program=', 'any', 'optionalheader=', 'sendmail_program=', 'email='];
export const LONG_TO_SHORT: Record<string, string> = { help: 'h', program: 'p', any: 'a', optionalheader: 'o', sendmail_program: 's', email: 'm' };

/**
 * The command line as crashmail.py parses it, with Python's getopt
 * (src/cli/getopt.ts). 'usage': something getopt refuses (crashmail.py then
 * prints its usage, without getopt's reason).
 */
export function parseCrashmailArgs(args: readonly string[]): CrashmailOptions | 'help' | 'usage' {
  let opts: Array<[string, string]>;
  try {
    [opts] = getopt(args, SHORTOPTS, LONGOPTS);
  } catch (e) {
    if (e instanceof GetoptError) return 'usage';
    throw e;
  }
  const got = opts.map(([k, v]): [string, string] => [k.startsWith('--') ? (LONG_TO_SHORT[k.slice(2)] as string) : k.slice(1), v]);
  const o: CrashmailOptions = { programs: [], email: null, sendmail: '/usr/sbin/sendmail -t -i', optionalHeader: null };
  let any = false;
  for (const [k, v] of got) {
    if (k === 'h') return 'help';
    if (k === 'p') o.programs.push(v);
    else if (k === 'a') any = true;
    else if (k === 's') o.sendmail = v;
    else if (k === 'm') o.email = v;
    else if (k === 'o') o.optionalHeader = v;
  }
  if (any) o.programs = [];
  return o;
}

/** The `key:value` words of a header line (the listener protocol's, or a payload's first line). */
export function headerWords(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const word of line.split(' ')) {
    const colon = word.indexOf(':');
    if (colon > 0) out.set(word.slice(0, colon), word.slice(colon + 1));
  }
  return out;
}

/** The mail for one PROCESS_STATE_EXITED payload (To: the -m address), or null when the exit is not one to report. */
export function crashMail(o: CrashmailOptions, payload: string, now: number = Date.now()): string | null {
  const nl = payload.indexOf('\n');
  const h = headerWords(nl < 0 ? payload : payload.slice(0, nl));
  if (Number(h.get('expected') ?? '1') !== 0) return null;
  const name = h.get('processname') ?? '';
  const group = h.get('groupname') ?? '';
  if (o.programs.length && !o.programs.some((p) => p === name || p === `${group}:${name}`)) return null;
  const subject = `${o.optionalHeader ? `${o.optionalHeader}:` : ''} ${name} crashed at ${asctime(now)}`;
  const msg = `Process ${name} in group ${group} exited unexpectedly (pid ${h.get('pid') ?? ''}) from state ${h.get('from_state') ?? ''}`;
  return `To: ${o.email}\nSubject: ${subject}\n\n${msg}`;
}

function say(fd: number, text: string): void {
  writeSync(fd, text);
}

/** Runs the sendmail command with the mail on its stdin; its output goes to stderr. Resolves with what went wrong, or null. */
function sendMail(command: string, text: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 2, 2] });
    child.on('error', (e) => resolve(`could not run ${command}: ${e.message}`));
    // a sendmail that exits without reading: its status says why
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(text);
    child.on('close', (code, signal) => resolve(code === 0 ? null : `${command} ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`));
  });
}

/**
 * The listener's loop: READY, then for each event its header line and
 * payload, a mail if it is a crash to report, and `RESULT 2\nOK`. Ends with
 * stdin (the daemon stopping the listener).
 */
async function listen(o: CrashmailOptions): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  let wanted: { len: number; event: string } | null = null;
  say(1, 'READY\n');
  for await (const chunk of process.stdin) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (!wanted) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) break;
        const h = headerWords(buf.subarray(0, nl).toString('utf8'));
        wanted = { len: Number(h.get('len') ?? '0'), event: h.get('eventname') ?? '' };
        buf = buf.subarray(nl + 1);
      }
      if (buf.length < wanted.len) break;
      const payload = buf.subarray(0, wanted.len).toString('utf8');
      buf = buf.subarray(wanted.len);
      const event = wanted.event;
      wanted = null;
      if (event === 'PROCESS_STATE_EXITED') {
        const mail = crashMail(o, payload);
        if (mail !== null && o.email === null) say(2, 'unexpected exit, not mailed: no address (-m)\n');
        else if (mail !== null) {
          say(2, 'unexpected exit, mailing\n');
          const failed = await sendMail(o.sendmail, mail);
          say(2, failed ? `not mailed: ${failed}\n` : `Mailed:\n\n${mail}`);
        }
      }
      say(1, 'RESULT 2\nOKREADY\n');
    }
  }
}

/** The command line's entry: the exit status. */
export async function runCrashmail(args: readonly string[]): Promise<number> {
  const o = parseCrashmailArgs(args);
  if (o === 'help' || o === 'usage') {
    say(1, USAGE);
    return o === 'help' ? 0 : 255;
  }
  if (!('SUPERVISOR_SERVER_URL' in process.env)) {
    say(2, 'crashmail must be run as a supervisor event listener\n');
    return 0;
  }
  await listen(o);
  return 0;
}
