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
