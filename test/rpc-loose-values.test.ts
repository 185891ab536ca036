// Values real XML-RPC libraries write that the spec does not have:
// `<boolean>true</boolean>` (go's mattn/go-xmlrpc, the library under
// node_exporter's supervisord collector; npm's davexmlrpc) and `<nil/>` (npm's
// xmlrpc for null, the base of the npm `supervisord` package). supervisord
// reads a boolean as true only for `1` and nil as None; tsv must answer such
// a call as supervisord does, not refuse it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { post, rawRequest, rpcBody } from './helpers/raw-http';
import { settled, startPair, type Daemon } from './helpers/rpc-daemons';

let both: Daemon[] = [];

before(async () => {
  ({ both } = await startPair('[program:sleeper]\ncommand=/bin/sleep 100000\nstartsecs=0\n[program:idle]\ncommand=/bin/sleep 100000\nautostart=false\n'));
  for (const d of both) await settled(d);
});

after(async () => {
  await Promise.all(both.map((d) => d.stop()));
});

const str = (s: string): string => `<param><value><string>${s}</string></value></param>`;

/** status and body of one call, the same way on both daemons (pids and times are not in these answers) */
async function call(d: Daemon, method: string, params: string): Promise<string> {
  const r = await rawRequest({ path: d.sock }, post(rpcBody(method, params)));
  return `${r.status} ${r.body}`;
}

test('<boolean>true</boolean> and <nil/> as `wait`: answered as supervisord answers them (neither waits)', async () => {
  const seen: string[][] = [];
  for (const d of both) {
    seen.push([
      await call(d, 'supervisor.stopProcess', `${str('sleeper')}<param><value><boolean>true</boolean></value></param>`),
      await call(d, 'supervisor.startProcess', `${str('idle')}<param><value><nil/></value></param>`),
      // not waited for: startsecs=1 has not passed yet
      ((await d.rpc.call('supervisor.getProcessInfo', ['idle'])) as { statename: string }).statename,
      await call(d, 'supervisor.stopProcess', `${str('idle')}<param><value><boolean>TRUE</boolean></value></param>`),
      // not a name: a fault from tsv, a 500 from supervisord (left out of the comparison)
      d.kind === 'tsv' ? await call(d, 'supervisor.getProcessInfo', '<param><value><nil/></value></param>') : '',
    ]);
  }
  const [ref, tsv] = seen as [string[], string[]];
  assert.match(tsv[0] as string, /^200 .*<boolean>1<\/boolean>/s);
  assert.equal(tsv[2], 'STARTING');
  assert.deepEqual(tsv.slice(0, 4), ref.slice(0, 4));
  assert.match(tsv[4] as string, /^200 .*INCORRECT_PARAMETERS/s);
});

test('<base64> values: text that is UTF-8 is read as a string (as Supervisor\'s unmarshaller reads it); bytes that are not fail the whole request with 400, under both, also inside system.multicall', async () => {
  const b64 = (b: Buffer): string => `<param><value><base64>${b.toString('base64')}</base64></value></param>`;
  const calls: [string, string][] = [
    ['supervisor.getProcessInfo', b64(Buffer.from('sleeper'))],
    ['supervisor.getProcessInfo', b64(Buffer.from('caf\xe9', 'latin1'))],
    ['supervisor.sendProcessStdin', `${str('sleeper')}${b64(Buffer.from([0xff, 0xfe, 0x0a]))}`],
    ['supervisor.sendRemoteCommEvent', `${b64(Buffer.from('a'))}${b64(Buffer.from([0xff]))}`],
    [
      'system.multicall',
      `<param><value><array><data><value><struct><member><name>methodName</name><value>supervisor.getProcessInfo</value></member><member><name>params</name><value><array><data><value><base64>${Buffer.from('caf\xe9', 'latin1').toString('base64')}</base64></value></data></array></value></member></struct></value></data></array></value></param>`,
    ],
  ];
  const seen: string[][] = [];
  for (const d of both) {
    const out: string[] = [];
    for (const [m, p] of calls) {
      const r = await rawRequest({ path: d.sock }, post(rpcBody(m, p)));
      out.push(m === 'supervisor.getProcessInfo' && r.status === 200 ? `${r.status} ${/<name>statename<\/name>\n<value><string>(\w+)/.exec(r.body)?.[1]}` : String(r.status));
    }
    seen.push(out);
  }
  const [ref, tsv] = seen as [string[], string[]];
  // (sleeper's state is what the tests before left it in, the same under both)
  assert.match(tsv[0] as string, /^200 (RUNNING|STOPPED)$/);
  assert.deepEqual(tsv.slice(1), ['400', '400', '400', '400']);
  assert.deepEqual(tsv, ref);
});
