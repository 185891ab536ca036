// The XML-RPC codec: byte-identical encoding with Python's xmlrpc.client,
// decoding what Python produces, and refusing hostile or malformed input with
// a typed error instead of a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
  PY_NONE,
  XmlRpcDateTime,
  XmlRpcFault,
  XmlRpcParseError,
} from '../src/rpc/xmlrpc';
import type { XmlRpcValue } from '../src/rpc/xmlrpc';

// Python side: values arrive as JSON with {"$b64"}, {"$dt"}, {"$double"} markers.
const PY = String.raw`
import json, sys, base64, xmlrpc.client as x
def conv(v):
    if isinstance(v, dict):
        if '$b64' in v: return x.Binary(base64.b64decode(v['$b64']))
        if '$dt' in v: return x.DateTime(v['$dt'])
        if '$double' in v: return float(v['$double'])
        return {k: conv(w) for k, w in v.items()}
    if isinstance(v, list): return [conv(w) for w in v]
    return v
out = []
for case in json.load(sys.stdin):
    kind = case['kind']
    if kind == 'response': out.append(x.dumps((conv(case['value']),), methodresponse=True))
    elif kind == 'call': out.append(x.dumps(tuple(conv(p) for p in case['params']), case['method']))
    elif kind == 'fault': out.append(x.dumps(x.Fault(case['code'], case['string'])))
json.dump(out, sys.stdout)
`;

type Case =
  | { kind: 'response'; value: unknown; ts: XmlRpcValue }
  | { kind: 'call'; method: string; params: unknown[]; ts: XmlRpcValue[] }
  | { kind: 'fault'; code: number; string: string };

const bytes = new Uint8Array(Array.from({ length: 120 }, (_, i) => (i * 37) % 256));
const b64 = Buffer.from(bytes).toString('base64');

const CASES: Case[] = [
  { kind: 'response', value: 42, ts: 42 },
  { kind: 'response', value: -2147483648, ts: -2147483648 },
  { kind: 'response', value: true, ts: true },
  { kind: 'response', value: false, ts: false },
  { kind: 'response', value: 'a & b < c > d "q" \'s\'', ts: 'a & b < c > d "q" \'s\'' },
  { kind: 'response', value: '', ts: '' },
  { kind: 'response', value: 'ünïcødé ☃ 𝄞\ttab\nnl', ts: 'ünïcødé ☃ 𝄞\ttab\nnl' },
  { kind: 'response', value: { $double: 1.5 }, ts: 1.5 },
  { kind: 'response', value: { $double: -0.001 }, ts: -0.001 },
  { kind: 'response', value: [], ts: [] },
  { kind: 'response', value: {}, ts: {} },
  { kind: 'response', value: { $b64: b64 }, ts: bytes },
  { kind: 'response', value: { $dt: '20240131T23:59:01' }, ts: new XmlRpcDateTime('20240131T23:59:01') },
  {
    kind: 'response',
    value: [[1, 'x', [true, {}]], { name: 'cat', group: 'cat', pid: 123, nested: { a: [1, 2, { b: 'c' }] } }],
    ts: [[1, 'x', [true, {}]], { name: 'cat', group: 'cat', pid: 123, nested: { a: [1, 2, { b: 'c' }] } }],
  },
  { kind: 'call', method: 'supervisor.getVersion', params: [], ts: [] },
  { kind: 'call', method: 'supervisor.startProcess', params: ['grp:a1', true], ts: ['grp:a1', true] },
  { kind: 'call', method: 'system.multicall', params: [[{ methodName: 'x.y', params: [1] }]], ts: [[{ methodName: 'x.y', params: [1] }]] },
  { kind: 'fault', code: 10, string: 'BAD_NAME: a<b&c' },
];

function pythonBodies(): string[] | null {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(CASES), encoding: 'utf8' });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as string[];
}

function ours(c: Case): string {
  if (c.kind === 'response') return encodeMethodResponse(c.ts);
  if (c.kind === 'call') return encodeMethodCall(c.method, c.ts);
  return encodeFault(c.code, c.string);
}

test('encoding is byte-identical to Python xmlrpc.client.dumps', () => {
  const py = pythonBodies();
  assert.ok(py, '/usr/bin/python3 could not run the oracle');
  CASES.forEach((c, i) => assert.equal(ours(c), py[i], `case ${i}: ${JSON.stringify(c)}`));
});

test('decoding reads back what Python and our encoder write', () => {
  const py = pythonBodies() ?? [];
  CASES.forEach((c, i) => {
    for (const body of [py[i] as string, ours(c)]) {
      if (c.kind === 'response') {
        const d = decodeMethodResponse(body);
        assert.equal(d.kind, 'result');
        if (d.kind === 'result') assert.deepEqual(d.value, c.ts);
      } else if (c.kind === 'call') {
        assert.deepEqual(decodeMethodCall(body), { methodName: c.method, params: c.ts });
      } else {
        const d = decodeMethodResponse(body);
        assert.equal(d.kind, 'fault');
        if (d.kind === 'fault') {
          assert.ok(d.fault instanceof XmlRpcFault);
          assert.equal(d.fault.faultCode, c.code);
          assert.equal(d.fault.faultString, c.string);
        }
      }
    }
  });
});

const resp = (inner: string): string => `<?xml version="1.0"?><methodResponse><params><param>${inner}</param></params></methodResponse>`;

test('decoding: untyped values, i4/i8, CDATA, references, whitespace', () => {
  const v = (inner: string): XmlRpcValue => {
    const d = decodeMethodResponse(resp(inner));
    assert.equal(d.kind, 'result');
    return d.kind === 'result' ? d.value : '';
  };
  assert.equal(v('<value>  plain text </value>'), '  plain text ');
  assert.equal(v('<value/>'), '');
  assert.equal(v('<value><string/></value>'), '');
  assert.equal(v('<value><i4> 7 </i4></value>'), 7);
  assert.equal(v('<value><i8>-9007199254740991</i8></value>'), -9007199254740991);
  assert.equal(v('<value> <int>1</int> </value>'), 1);
  assert.equal(v('<value><string><![CDATA[<b>&]]></string></value>'), '<b>&');
  assert.equal(v('<value><string>&lt;&gt;&amp;&quot;&apos;&#65;&#x1F600;</string></value>'), '<>&"\'A😀');
  assert.equal(v('<value><double>-1.25e3</double></value>'), -1250);
  assert.deepEqual(v('<value><array><data></data></array></value>'), []);
  assert.deepEqual(
    decodeMethodCall('<methodCall><methodName>supervisor.getState</methodName></methodCall>'),
    { methodName: 'supervisor.getState', params: [] },
  );
});

function parseError(fn: () => unknown): XmlRpcParseError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof XmlRpcParseError, `expected XmlRpcParseError, got ${String(err)}`);
    return err;
  }
  assert.fail('no error raised');
}

test('hostile input: DTDs and entities are refused', () => {
  const bomb =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
    '<methodCall><methodName>&lol2;</methodName></methodCall>';
  assert.equal(parseError(() => decodeMethodCall(bomb)).kind, 'DTD_FORBIDDEN');
  const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>';
  assert.equal(parseError(() => decodeMethodCall(xxe)).kind, 'DTD_FORBIDDEN');
  assert.equal(parseError(() => decodeMethodCall('<methodCall><methodName>&undefined;</methodName></methodCall>')).kind, 'MALFORMED');
});

test('hostile input: nesting and size limits', () => {
  const deep = '<value><array><data>'.repeat(10000) + '</data></array></value>'.repeat(10000);
  assert.equal(parseError(() => decodeMethodResponse(resp(deep))).kind, 'TOO_DEEP');
  const fine = '<value><array><data>'.repeat(20) + '</data></array></value>'.repeat(20);
  assert.equal(decodeMethodResponse(resp(fine)).kind, 'result');
  const big = resp(`<value><string>${'x'.repeat(2000)}</string></value>`);
  assert.equal(parseError(() => decodeMethodResponse(big, { maxBytes: 1000 })).kind, 'TOO_LARGE');
  assert.equal(decodeMethodResponse(big, { maxBytes: 10000 }).kind, 'result');
});

test('malformed and non-XML-RPC input gives typed errors', () => {
  const cases: Array<[string, string]> = [
    ['', 'MALFORMED'],
    ['not xml at all', 'MALFORMED'],
    ['<methodResponse><params>', 'MALFORMED'],
    ['<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse><x/>', 'MALFORMED'],
    [resp('<value><nil>x</nil></value>'), 'BAD_VALUE'],
    [resp('<value><int>1</int><int>2</int></value>'), 'NOT_XMLRPC'],
    [resp('<value>junk<int>1</int></value>'), 'NOT_XMLRPC'],
    [resp('<value><int>1.5</int></value>'), 'BAD_VALUE'],
    [resp('<value><int>99999999999999999999</int></value>'), 'BAD_VALUE'],
    [resp('<value><double>abc</double></value>'), 'BAD_VALUE'],
    [resp('<value><base64>!!!</base64></value>'), 'BAD_VALUE'],
    [resp('<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>'), 'BAD_VALUE'],
    [resp('<value><struct><member><value>1</value></member></struct></value>'), 'NOT_XMLRPC'],
    [resp('<value><struct><member><name>a</name></member></struct></value>'), 'NOT_XMLRPC'],
    [resp('<value><array>1</array></value>'), 'NOT_XMLRPC'],
    [resp('<unknown/>'), 'NOT_XMLRPC'],
    ['<methodResponse><params></params></methodResponse>', 'NOT_XMLRPC'],
    ['<methodResponse><fault><value><string>x</string></value></fault></methodResponse>', 'NOT_XMLRPC'],
    ['<methodCall><methodName>a</methodName></methodCall>', 'NOT_XMLRPC'], // as a response
  ];
  for (const [body, kind] of cases) {
    assert.equal(parseError(() => decodeMethodResponse(body)).kind, kind, body.slice(0, 120));
  }
  // no <methodName>: the call has none, which the server logs as Supervisor does ("no method name")
  assert.deepEqual(decodeMethodCall('<methodCall><params/></methodCall>'), { methodName: null, params: [] });
  assert.equal(parseError(() => decodeMethodCall(resp('<value>1</value>'))).kind, 'NOT_XMLRPC');
});

test("<nil/> and booleans are read as supervisord reads them: nil is None (not false), a boolean is true only for 1", () => {
  const values = (xml: string): unknown[] => {
    const d = decodeMethodResponse(resp(`<value><array><data>${xml}</data></array></value>`));
    assert.equal(d.kind, 'result');
    return (d as { value: unknown[] }).value;
  };
  const nils = values('<value><nil/></value><value><nil></nil></value>');
  assert.deepEqual(nils, [PY_NONE, PY_NONE]);
  assert.ok(nils.every((n) => n === PY_NONE));
  const booleans = ['1', '0', 'true', 'TRUE', 'false', ' 1 ', '2', ''];
  assert.deepEqual(values(booleans.map((b) => `<value><boolean>${b}</boolean></value>`).join('')), [true, false, false, false, false, false, false, false]);
});

test('a __proto__ member is an own property, never the prototype', () => {
  const body = resp('<value><struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct></value>');
  const d = decodeMethodResponse(body);
  assert.equal(d.kind, 'result');
  const v = (d as { value: Record<string, unknown> }).value;
  assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('control characters (ANSI colours in logs), U+FFFE and U+FFFF: refused by default, kept when allowed, also beside private-use characters', () => {
  for (const s of ['\x1b[31mred\x1b[0m\x00end', 'bin \ufffe \uffff', 'icon \ue001 \x1b[1mbold\x1b[0m', '\ue01b\x1b']) {
    const body = encodeMethodResponse({ [s]: [s] });
    assert.equal(parseError(() => decodeMethodResponse(body)).kind, 'MALFORMED', JSON.stringify(s));
    assert.deepEqual(decodeMethodResponse(body, { allowControlChars: true }), { kind: 'result', value: { [s]: [s] } }, JSON.stringify(s));
  }
  // a reference to such a character stays an error, as it is for expat; so does markup holding one
  assert.equal(parseError(() => decodeMethodResponse(resp('<value>&#1;</value>'), { allowControlChars: true })).kind, 'MALFORMED');
  assert.equal(parseError(() => decodeMethodResponse(resp('<value><st\x01ring>x</st\x01ring></value>'), { allowControlChars: true })).kind, 'MALFORMED');
});

test('encoding refuses what XML-RPC cannot carry', () => {
  assert.throws(() => encodeMethodResponse(2 ** 31), RangeError);
  assert.throws(() => encodeMethodResponse(null as unknown as XmlRpcValue), TypeError);
  assert.throws(() => encodeMethodResponse(undefined as unknown as XmlRpcValue), TypeError);
});

// --- the tokenizer against saxes (a strict, well-kept XML parser) ---------

import { SaxesParser } from 'saxes';
import { scanXml, XmlScanError } from '../src/rpc/xml-scan';
import { makeRng } from './helpers/common';

type Outcome = { ok: true; events: string } | { ok: false; dtd: boolean };

function eventsOf(push: (e: string) => void): { open(n: string): void; close(n: string): void; text(t: string): void } {
  return { open: (n) => push(`<${n}>`), close: (n) => push(`</${n}>`), text: (t) => push(`T${t}`) };
}

/** Consecutive text events merged: parsers may split character data differently. */
function collector(): { push(e: string): void; result(): string } {
  const out: string[] = [];
  return {
    push(e) {
      const last = out[out.length - 1];
      if (e.startsWith('T') && last !== undefined && last.startsWith('T')) out[out.length - 1] = last + e.slice(1);
      else out.push(e);
    },
    result: () => JSON.stringify(out),
  };
}

function viaSaxes(doc: string): Outcome {
  const c = collector();
  const p = new SaxesParser();
  let dtd = false;
  const h = eventsOf((e) => c.push(e));
  p.on('doctype', () => (dtd = true));
  let depth = 0;
  p.on('opentag', (t) => {
    depth++;
    h.open(t.name);
  });
  p.on('closetag', (t) => {
    depth--;
    h.close(t.name);
  });
  // saxes also reports the whitespace around the root element; we drop it.
  p.on('text', (t) => depth > 0 && h.text(t));
  p.on('cdata', (t) => h.text(t));
  try {
    p.write(doc).close();
  } catch {
    return { ok: false, dtd };
  }
  return dtd ? { ok: false, dtd } : { ok: true, events: c.result() };
}

function viaScanner(doc: string): Outcome {
  const c = collector();
  try {
    scanXml(doc, eventsOf((e) => c.push(e)));
  } catch (err) {
    assert.ok(err instanceof XmlScanError, `scanner threw ${String(err)}`);
    return { ok: false, dtd: err.kind === 'DTD_FORBIDDEN' };
  }
  return { ok: true, events: c.result() };
}

test('tokenizer agrees with saxes on 4000 generated and mutated documents', () => {
  const rnd = makeRng(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const pieces = ['<', '>', '&', '/', '"', "'", '!', '?', '-', '[', ']', 'a', ' ', '\r', '\n', ';', '#', 'x', '=', '&amp;', '&#65;', '&#x0;', '<!--', '-->', '<![CDATA[', ']]>', '<?pi x?>', '<?xml version="1.0"?>', '<!DOCTYPE x>', '\u00e9', '\x01', '<b/>', '</b>', '<b a="1">'];
  const bases = [
    encodeMethodResponse([{ name: 'a&b', pid: 12, ok: true, text: 'line1\r\nline2 <x> "q"' }, 'plain', -3]),
    encodeMethodCall('supervisor.startProcess', ['grp:*', true]),
    encodeFault(10, 'BAD_NAME: x'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><methodResponse a="1" b=\'2\'><params><param><value><![CDATA[ <&> ]]>&#x1F600;&lt;</value></param></params></methodResponse><?pi after?>\n',
  ];
  let agreedOk = 0;
  let agreedErr = 0;
  for (let i = 0; i < 4000; i++) {
    let doc = pick(bases);
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (doc.length + 1));
      const op = rnd();
      if (op < 0.4) doc = doc.slice(0, at) + pick(pieces) + doc.slice(at);
      else if (op < 0.7) doc = doc.slice(0, at) + doc.slice(at + 1 + Math.floor(rnd() * 4));
      else doc = doc.slice(0, at) + pick(pieces) + doc.slice(at + 1);
    }
    const a = viaSaxes(doc);
    const b = viaScanner(doc);
    if (!a.ok && a.dtd) {
      // We refuse every DOCTYPE; saxes parses them.
      assert.equal(b.ok, false, `accepted a DOCTYPE: ${JSON.stringify(doc)}`);
      continue;
    }
    assert.equal(b.ok, a.ok, `${a.ok ? 'saxes accepts, scanner rejects' : 'saxes rejects, scanner accepts'}: ${JSON.stringify(doc)}`);
    if (a.ok && b.ok) {
      assert.equal(b.events, a.events, JSON.stringify(doc));
      agreedOk++;
    } else agreedErr++;
  }
  // saxes lets an unpaired surrogate through; it is not an XML character (and
  // cannot arrive in UTF-8), so the scanner refuses it.
  assert.equal(viaScanner('<a>\ud800</a>').ok, false);
  // The mutations must exercise both sides.
  assert.ok(agreedOk > 200 && agreedErr > 1000, `ok ${agreedOk}, errors ${agreedErr}`);
});

test('decoding with and without the shortcuts agrees on 4000 mutated XML-RPC bodies', () => {
  const rnd = makeRng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const pieces = ['<', '>', '&', '/', ' ', '\r\n', 'x', '1', '&amp;', '&#65;', '<!---->', '<member>', '</member>', '<name>', '</name>', '<value>', '</value>', '<int>', '</int>', '<string>', '</string>', '<boolean>', '<i4>', '<nil/>', '<struct>', '</struct>'];
  const bases = [
    encodeMethodResponse([{ name: 'a&b', pid: 12, ok: true, up: 1.5, when: new XmlRpcDateTime('20240101T00:00:00'), text: 'x\r\ny <z>', raw: new Uint8Array([1, 2, 3]) }, { nested: { a: [1, { b: 'c' }] } }]),
    '<methodResponse><params><param><value><struct><member><name>k</name><value>untyped &amp; plain</value></member><member><name>n</name><value><i4> 5 </i4></value></member></struct></value></param></params></methodResponse>',
  ];
  const outcome = (doc: string, shortcuts: boolean): string => {
    try {
      return JSON.stringify(decodeMethodResponse(doc, { shortcuts }), (_k, v: unknown) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v));
    } catch (err) {
      assert.ok(err instanceof XmlRpcParseError, String(err));
      // Which of two faults in one body is reported first may differ.
      return 'error';
    }
  };
  let ok = 0;
  for (let i = 0; i < 4000; i++) {
    let doc = pick(bases);
    const edits = Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (doc.length + 1));
      const op = rnd();
      if (op < 0.5) doc = doc.slice(0, at) + pick(pieces) + doc.slice(at);
      else doc = doc.slice(0, at) + doc.slice(at + 1 + Math.floor(rnd() * 3));
    }
    const fast = outcome(doc, true);
    assert.equal(fast, outcome(doc, false), JSON.stringify(doc));
    if (!fast.startsWith('error')) ok++;
  }
  assert.ok(ok > 500, `only ${ok} bodies decoded`);
});
