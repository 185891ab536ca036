// environment_file= claims systemd's EnvironmentFile= format. This holds the
// claim against systemd itself: each case is written to a file in a booted
// Debian container and read by systemd (a transient service running
// `env -0` with EnvironmentFile=), and by tsv's parser; the variables must
// be the same, case by case. systemd's variables of its own (PATH, LANG,
// INVOCATION_ID, …) are taken out by a run with an empty file.
//
// The cases are the format's corners: where quotes open, blanks around and
// after them, escapes in and out of quotes, joined lines, \r, comments that
// go on, unclosed quotes, names systemd refuses, bytes that are no UTF-8.
// tsv's two intended differences (docs/differences.md) are pinned on both
// sides, so a change in either shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Container, containerSupport } from './helpers/host-container';
import { EnvFileError, parseEnvFile } from '../src/daemon/env-file';

const support = containerSupport();

/** [what it shows, the file's bytes (a string is UTF-8)] */
const SAME: [string, string | Buffer][] = [
  ['plain', 'A=plain\n'],
  ['blanks around = and at the end', 'A= lead\nB=trail   \nC = spaced\n'],
  ['single quotes keep everything', `A='single $HOME \\\\ "q"'\n`],
  ['double quotes: \\ before " \\ $ ` only', 'A="dq \\" \\\\ \\$ \\` \\a \\n"\n'],
  ['outside quotes \\ keeps the next character', 'A=out\\ side\\\\x\\$y\n'],
  ['\\ at the end joins lines', 'A=join\\\nB\nC=after\n'],
  ['quoted newlines', "A='multi\nline'\nB=x\nC=\"two\nlines\"\n"],
  ['\\ newline inside double quotes joins', 'A="dq \\\ncont"\n'],
  ['a quote after other characters is a character', 'A=x"y z"w\nB=x "q"\n'],
  ['quotes after quotes, blanks between dropped', `A='a'"b"c\nB="a""b" 'c'  d\nC=  "q"x\nD="trail"   \nE='x'  y  \n`],
  ['comments, and # or ; inside a value', '# comment\n; comment\nA=1 # not a comment\nB=2;3\nC="a" # c\nD=a\\#b\n'],
  ['a comment ending in \\ goes on over the next line', '# comment \\\nA=1\nB=2\n'],
  ['... but not over \\ before CRLF', '# c \\\r\nA=1\n'],
  ['CRLF', 'A=crlf\r\nB=two\r\n'],
  ['a lone \\r ends a line', 'A=x\rB=y\nC="x\ry"\n'],
  ['\\ before \\r joins', 'A=x\\\rB=y\n'],
  ['\\ before \\r inside double quotes stays', 'A="x\\\r\ny"\n'],
  ['blanks before a joined CRLF stay', 'A=1 \\\r\nB=2\n'],
  ['names systemd refuses', '1A=bad\nA-B=bad\nA B=bad\nGOOD=yes\n=A=1\n_U=under\na1=lower\n'],
  ['lines without =', 'no assignment here\nA=ok\nexport A\nB=1\nA\\\nC=1\n'],
  ['unclosed single quote takes the rest', "A='unclosed\nB=x\nC=y\n"],
  ['unclosed double quote takes the rest', 'A="unclosed\nB=x\nC=y\n'],
  ['an escaped quote leaves it open', 'A="\\"\n'],
  ['an open quote at the end of the file', "A='x\n\n"],
  ['empty values', "A=\nB=\"\"\nC=''\nD= \t \n"],
  ['later wins', 'A=1\nA=2\n'],
  ['= in the value', 'A=x=y=z\n'],
  ['UTF-8', 'A=été ☃\n'],
  ['a no-break space before a name is no blank', 'A=1\n\u00a0B=2\n'],
  ['tabs', 'A=\ttab\t\n  A2=indented\n\tB=tabbed\n   \n\t\n'],
  ['\\ keeps blanks', 'A=\\ lead\nB=trail\\ \nC=x  \\\n  y\n'],
  ['the file ends after \\', 'A=end\\'],
  ['the file ends after \\ and blanks', 'A=x \\'],
  ['blanks before a joined last line stay', 'A=x  \\\n'],
  ['the file ends in double quotes after \\', 'A="x\\'],
  ['no newline at the end', 'A=noeol'],
  ['a quote, then \\ newline', 'A="a" \\\nB=1\n'],
  ["a quote, then \\ and more", "A='a'\\ b\nB='x'\\\nC=y\nD=\"x\"\\\"y\nE=\\'x'\n"],
  ['control characters in a value', 'A=ctl\u0001x\nB=ok\n'],
  ['a value that is not UTF-8 fails the file', Buffer.from('A=\xff\nB=ok\n', 'latin1')],
  ['a name called export', 'export=1\n'],
];

/** tsv takes these, systemd ignores them: [what, file, systemd's, tsv's] */
const DIFFERENT: [string, string, Record<string, string>, Record<string, string>][] = [
  ['export NAME=VALUE (dotenv and shell files)', "export A=exp\nexport  B='q' \"r\"\nC=plain\n", { C: 'plain' }, { A: 'exp', B: 'qr', C: 'plain' }],
  ['a UTF-8 byte order mark', '\ufeffA=bom\nB=2\n', { B: '2' }, { A: 'bom', B: '2' }],
];

type Outcome = Record<string, string> | 'refused';

describe('host: environment_file reads files as systemd reads EnvironmentFile=', { skip: support ?? false }, () => {
  let c: Container;
  let baseline: Record<string, string>;
  let n = 0;

  /** the variables systemd gives a service reading `bytes` as its EnvironmentFile= */
  const systemd = (bytes: Buffer): Outcome => {
    // not under /tmp: the booted machine mounts a fresh tmpfs there
    const path = `/var/lib/tsv-env-case-${++n}`;
    c.writeFile(path, bytes as unknown as string);
    const r = c.exec(['systemd-run', '--wait', '--pipe', '--quiet', '-p', `EnvironmentFile=${path}`, '/usr/bin/env', '-0']);
    if (r.status !== 0) return 'refused';
    const vars: Record<string, string> = {};
    for (const entry of r.stdout.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    if (baseline) for (const k of Object.keys(baseline)) delete vars[k];
    return vars;
  };

  const tsv = (bytes: Buffer): Outcome => {
    try {
      return parseEnvFile(bytes, 'case').vars;
    } catch (e) {
      if (e instanceof EnvFileError) return 'refused';
      throw e;
    }
  };

  before(async () => {
    c = await Container.create('base', { boot: true });
    await c.start();
    const empty = systemd(Buffer.alloc(0));
    assert.notEqual(empty, 'refused', 'systemd-run in the container works');
    baseline = empty as Record<string, string>;
    assert.ok('INVOCATION_ID' in baseline && 'PATH' in baseline, `systemd's own variables: ${Object.keys(baseline).join(' ')}`);
  });

  after(async () => {
    await c?.destroy();
  });

  test(`${SAME.length} cases give the same variables as systemd, or are refused by both`, () => {
    const differ: string[] = [];
    let refused = 0;
    let values = 0;
    for (const [what, file] of SAME) {
      const bytes = typeof file === 'string' ? Buffer.from(file, 'utf8') : file;
      const want = systemd(bytes);
      const got = tsv(bytes);
      if (want === 'refused') refused++;
      else values += Object.keys(want).length;
      if (JSON.stringify(sorted(want)) !== JSON.stringify(sorted(got))) differ.push(`${what} ${JSON.stringify(bytes.toString('latin1'))}:\n  systemd ${JSON.stringify(want)}\n  tsv     ${JSON.stringify(got)}`);
    }
    assert.deepEqual(differ, []);
    // the comparison saw something: systemd refused the one file meant to be refused and gave values for the rest
    assert.equal(refused, 1);
    assert.ok(values > 60, `${values} values`);
  });

  test("tsv's intended differences: systemd ignores export NAME= and a byte order mark's line, tsv takes them", () => {
    for (const [what, file, systemds, tsvs] of DIFFERENT) {
      const bytes = Buffer.from(file, 'utf8');
      assert.deepEqual(systemd(bytes), systemds, `systemd, ${what}`);
      assert.deepEqual(tsv(bytes), tsvs, `tsv, ${what}`);
    }
  });
});

function sorted(o: Outcome): Outcome | [string, string][] {
  return o === 'refused' ? o : Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
