// The dialect pieces of the config reader (ini reading, %-expansion,
// environment= splitting) checked against Supervisor's own code: the same
// inputs, hand-picked and generated, go through the real Python functions
// and through ours, and the answers must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { IniDocument } from '../src/config/ini';
import { pyFormat, PyFormatError, type Expansions } from '../src/config/pyformat';
import { byteSize, dictOfKeyValuePairs, integer, listOfExitcodes, octalType, signalNumber } from '../src/config/datatypes';
import { isSpecSyntaxError, parseImportSpec } from '../src/config/import-spec';
import { repoRoot, makeRng, pick } from './helpers/common';

type Req =
  | { kind: 'ini'; text: string }
  | { kind: 'format'; fmt: string; map: Record<string, string | number> }
  | { kind: 'kv'; text: string }
  | { kind: 'datatype'; fn: keyof typeof DATATYPES; text: string };

interface Answer {
  error?: string;
  value?: unknown;
  sections?: Record<string, Record<string, string>>;
  defaults?: Record<string, string>;
}

function askPython(reqs: Req[]): Answer[] {
  const r = spawnSync('/usr/bin/python3', [join(repoRoot(), 'test/oracle/dialect.py')], {
    input: reqs.map((q) => JSON.stringify(q)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `dialect.py failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, reqs.length);
  return lines.map((l) => JSON.parse(l) as Answer);
}

function ourIni(text: string): Answer {
  const doc = new IniDocument();
  try {
    doc.read(text, '<test>');
  } catch {
    return { error: 'error' };
  }
  const sections: Record<string, Record<string, string>> = {};
  for (const [name, sect] of doc.sections) {
    sections[name] = {};
    for (const [k, e] of sect) sections[name][k] = e.value;
  }
  const defaults: Record<string, string> = {};
  for (const [k, e] of doc.defaults) defaults[k] = e.value;
  return { sections, defaults };
}

function ourFormat(fmt: string, map: Record<string, string | number>): Answer {
  try {
    return { value: pyFormat(fmt, new Map(Object.entries(map)) as Expansions) };
  } catch (e) {
    if (e instanceof PyFormatError) return { error: e.kind };
    throw e;
  }
}

function ourKv(text: string): Answer {
  try {
    return { value: dictOfKeyValuePairs(text) };
  } catch {
    return { error: 'error' };
  }
}

const INI_CASES = [
  '[a]\nx=1\n',
  '[a]\nx: 1\n',
  '[a]\nx = b;c\n',
  '[a]\nx = b ;c\n',
  '[a]\nx=1#y\n',
  '[a]\nx=1 #y\n',
  "[a]\ncommand=bash -c 'x ; y'\n",
  '[a]\nB="a;b"\n',
  '[a]\nx=b#c #d ;e\n',
  '[a]\nx=b;c ;d #e\n',
  '[a]\nfiles = one\n  two\n\n  three\n',
  '[a]\nfiles = one\n  ; comment\n  two\n',
  '[a]\nfiles = one\n\n\n',
  '[a]\nKey=1\nKEY=2\n',
  '[a]\nx=1\n[b]\ny=2\n[a]\nx=3\nz=4\n',
  '[DEFAULT]\nd=1\n[a]\nx=2\n',
  'x=1\n',
  '[a]\n=foo\n',
  '[a]\njust words\n',
  '[a]\r\nx=1\r\ny=2\r\n',
  '[a]\rx=1\ry=2\r',
  '\ufeff[a]\nx=1\n',
  '[a]\nx=\xa0y\xa0\n',
  '[a]\nx=1\x85;c\n',
  '[a] trailing\nx=1\n',
  '[a]b]\nx=1\n',
  '[]\nx=1\n',
  '  [a]\nx=1\n',
  '[a]\n  x=1\n  y=2\n',
  '[a]\nx=1\n  [b]\n',
  '[a]\nx = \n',
  '[a]\nx\t=\t1\t\n',
  '[a]\n# full\n; full\n  # indented comment\nx=1\n',
  '[a]\nx=a:b=c\n',
  '[a]\nx:=1\n',
  '[a]\n\tx=1\n\ty=2\n',
  '[a]\nx=1\n\x1c\ny=2\n',
  '[Program:x]\ncommand=a\n',
  '[a]\nx=1\n\n  continued after blank\n',
  '[a]\nx=1 ;c\n  more ;c2\n',
];

const INI_FRAGMENTS = [
  '[program:x]', '[supervisord]', '[DEFAULT]', '[a]b]', '[]', '[ x ]', 'key=value', 'Key : Value', 'k=v;c', 'k=v ;c',
  'k=v#c', 'k=v #c', '; comment', '# comment', '  indented=1', '\tcontinued', '', '   ', '=x', ':x', 'novalue',
  'k=', "cmd=sh -c 'a ; b'", 'env=A="1",B="2"', 'k=%(here)s', 'x=\xa0y', 'x=1\x85', '\ufeffk=v', 'k=v\x0bw', 'MIXED=Case',
  '[include]', 'files=a.conf', '  b.conf', 'k = v ; c # d', 'k = v # c ; d', 'k=a#b ;c', 'k=a;b #c',
];
const NEWLINES = ['\n', '\r\n', '\r'];

function genIni(rng: () => number): string {
  const lines: string[] = [];
  const n = 1 + Math.floor(rng() * 8);
  if (rng() < 0.8) lines.push(pick(rng, ['[a]', '[program:x]', '[DEFAULT]']));
  for (let i = 0; i < n; i++) {
    let l = pick(rng, INI_FRAGMENTS);
    if (rng() < 0.2) l = pick(rng, [' ', '\t', '  ']) + l;
    lines.push(l);
  }
  const nl = pick(rng, NEWLINES);
  return lines.join(nl) + (rng() < 0.7 ? nl : '');
}

const FORMAT_CASES = [
  '%(s)s', '%(num)02d', '%(num)5d', '%(num)-5d|', '%(num)+d', '%(num) d', '%(neg)05d', '%(num)x', '%(num)#x', '%(num)X',
  '%(num)o', '%(num)#o', '%(big)e', '%(num)f', '%(num).2f', '%(num)g', '%(big)g', '%(s)r', '%(q)r', '%(s).2s', '%(s)10s|',
  '%(s)-10s|', '%(num)c', '%(s)d', '%(missing)s', '%(s', '%', '100%', '%%', '%%(s)s', '%s', '%s %s', '%d', '%z', '%(s)z',
  '%(a(b)c)s', '%(num)*d', '%(num).3d', '%(num)ld', '%(s)a', '%(empty)s', '%(num)i', '%(num)u', 'plain',
  '%(num)10.4f', '%(neg)x', '%(num)%', '%(s)s%(num)d%%', '%.1s', '%5%', '% s',
];
const FORMAT_MAP = { s: 'h\u00e9llo', num: 7, neg: -42, big: 123456789, empty: '', q: "it's", 'a(b)c': 'nested' };
const FORMAT_PIECES = [
  'x', ' ', '%', '%%', '%(s)s', '%(num)', 'd', '02', '-', '+', '#', '.', '3', '*', '(', ')', '%(q)r', '%(num)x', 's', 'l',
  'é', '%(neg)', 'f', 'g', 'c', 'z',
];

function genFormat(rng: () => number): string {
  let s = '';
  const n = 1 + Math.floor(rng() * 6);
  for (let i = 0; i < n; i++) s += pick(rng, FORMAT_PIECES);
  return s;
}

const KV_CASES = [
  'A=1', 'A="1",B="2"', 'A=1,B=2', "A='x,y',B=\"a b\"", 'A=1 B=2', 'A=1;B=2', 'A=/usr/bin:/bin', 'A=h\u00e9', 'A="h\u00e9"',
  'A=1#c,B=2', 'A=', 'A', '=1', 'A="unclosed', 'A=a+b-c.d(e)', 'A="x"y', 'A=x"y,z"', '"A"=1', 'A=1,,B=2', 'A=1,\n  B=2',
  '', ' ', 'A=%', 'A=1,B', 'A=1 ,B=2', "A='",
];
const KV_PIECES = ['A', 'B', '=', ',', ' ', '"', "'", '1', 'x y', '/p:q', '#', '\n', 'é', '+', '.', '(', ';', 'v'];

function genKv(rng: () => number): string {
  let s = '';
  const n = 1 + Math.floor(rng() * 8);
  for (let i = 0; i < n; i++) s += pick(rng, KV_PIECES);
  return s;
}

test('ini reading agrees with configparser as Supervisor sets it up', () => {
  const rng = makeRng(1);
  const texts = [...INI_CASES, ...Array.from({ length: 1500 }, () => genIni(rng))];
  const py = askPython(texts.map((text) => ({ kind: 'ini', text })));
  let compared = 0;
  texts.forEach((text, i) => {
    const ours = ourIni(text);
    const theirs = py[i];
    if (theirs.error) assert.ok(ours.error, `Python rejects but we accept: ${JSON.stringify(text)}`);
    else {
      assert.ok(!ours.error, `Python accepts but we reject: ${JSON.stringify(text)}`);
      assert.deepEqual(ours, theirs, `different reading of ${JSON.stringify(text)}`);
    }
    compared++;
  });
  assert.ok(compared >= 1500);
});

test('%-expansion agrees with Python str % mapping', () => {
  const rng = makeRng(2);
  const fmts = [...FORMAT_CASES, ...Array.from({ length: 1500 }, () => genFormat(rng))];
  const py = askPython(fmts.map((fmt) => ({ kind: 'format', fmt, map: FORMAT_MAP })));
  fmts.forEach((fmt, i) => {
    assert.deepEqual(ourFormat(fmt, FORMAT_MAP), py[i], `format ${JSON.stringify(fmt)}`);
  });
});

test('environment= splitting agrees with datatypes.dict_of_key_value_pairs', () => {
  const rng = makeRng(3);
  const texts = [...KV_CASES, ...Array.from({ length: 1500 }, () => genKv(rng))];
  const py = askPython(texts.map((text) => ({ kind: 'kv', text })));
  texts.forEach((text, i) => {
    const ours = ourKv(text);
    const theirs = py[i];
    if (theirs.error) assert.ok(ours.error, `Python rejects but we accept: ${JSON.stringify(text)} -> ${JSON.stringify(ours)}`);
    else assert.deepEqual(ours, theirs, `environment ${JSON.stringify(text)}`);
  });
});

const DATATYPES = { integer, byte_size: byteSize, list_of_exitcodes: listOfExitcodes, octal_type: octalType, signal_number: signalNumber };

test('numbers with whitespace around or inside (ASCII, control characters str.strip() takes but int() does not, Unicode spaces) are read as Supervisor\'s datatypes read them', () => {
  // int() skips ASCII's six and non-ASCII spaces, never U+001C..U+001F
  const spaces = [' ', '\t', '\x0b', '\x0c', '\r', '\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\xa0', '\u2003', '\u3000', '\ufeff'];
  const cases: { fn: keyof typeof DATATYPES; text: string }[] = [];
  for (const w of spaces) {
    cases.push({ fn: 'integer', text: `5${w}` }, { fn: 'integer', text: `${w}5` }, { fn: 'integer', text: `5${w}5` });
    cases.push({ fn: 'byte_size', text: `1${w}KB` }, { fn: 'byte_size', text: `${w}100` });
    cases.push({ fn: 'list_of_exitcodes', text: `1${w},2` }, { fn: 'list_of_exitcodes', text: `0,${w}2` });
    cases.push({ fn: 'octal_type', text: `022${w}` }, { fn: 'octal_type', text: `${w}0o22` });
    cases.push({ fn: 'signal_number', text: `15${w}` }, { fn: 'signal_number', text: `${w}TERM` });
  }
  const py = askPython(cases.map((c) => ({ kind: 'datatype', ...c })));
  cases.forEach((c, i) => {
    let ours: Answer;
    try {
      ours = { value: DATATYPES[c.fn](c.text) };
    } catch {
      ours = { error: 'ValueError' };
    }
    const theirs = py[i] as Answer;
    assert.equal(ours.error === undefined, theirs.error === undefined, `${c.fn}(${JSON.stringify(c.text)}): Python ${JSON.stringify(theirs)}, tsv ${JSON.stringify(ours)}`);
    if (theirs.error === undefined) assert.deepEqual(ours.value, theirs.value, `${c.fn}(${JSON.stringify(c.text)})`);
  });
});

// The factory and result_handler specs: pkg_resources.EntryPoint.parse("x=" + spec) itself decides
// what is accepted, what it resolves to, and the text of its ValueError.
test('import specs: parsed as pkg_resources parses them (accepted, module and attributes, or the same error text)', () => {
  const specs = [
    'supervisor.rpcinterface:make_main_rpcinterface [x]', 'a : b', 'a:b []', 'a:b [ x ]', 'a:b [x,]', 'a:b [x, y-z]', 'a:b [x y]',
    'a:b [-x]', 'a:b\n\n[program:web]', 'a:b [x]\n', 'foo=a:b', 'a:b[x]', 'a:b [x.y]', 'a:b [x]]', 'a:b [é]', 'é:b', 'a.:b', 'a:b.',
    '.a:b', 'a..b:c', 'a : b . c', 'a:b [x] # c', 'mod', '  a.b  :  c.d  ', 'a:b [x] [y]', '',
  ];
  const py = [
    'import json, sys, pkg_resources',
    'out = []',
    'for s in json.load(sys.stdin):',
    '    try:',
    '        ep = pkg_resources.EntryPoint.parse("x=" + s)',
    '        out.append({"module": ep.module_name, "attr": ".".join(ep.attrs)})',
    '    except Exception as e:',
    '        out.append({"python": str(e)})',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(specs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as object[];
  const ours = specs.map((s) => {
    const p = parseImportSpec(s);
    return isSpecSyntaxError(p) ? { python: p.python } : p;
  });
  for (let i = 0; i < specs.length; i++) assert.deepEqual(ours[i], expected[i], JSON.stringify(specs[i]));
});
