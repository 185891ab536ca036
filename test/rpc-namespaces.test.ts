// [rpcinterface:NAME] sections, tsv side by side with the real supervisord:
// the main API is served under the name of each section that makes it, so a
// config without [rpcinterface:supervisor] has no supervisor.* methods (an
// admin who removes it turns remote control off), and both supervisorctl
// and tsv ctl say so as supervisorctl does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { RpcClient } from '../src/rpc/client';
import { XmlRpcFault, type XmlRpcValue } from '../src/rpc/xmlrpc';
import { ctlOn, haveSupervisord, startSide, stopSides, cleanupSides, type Side } from './helpers/daemon-oracle';
import { until } from './helpers/daemon-cli';
import { PYTHON_CTL, TSV_CTL } from './helpers/ctl-oracle';

const skip = haveSupervisord() ? false : 'needs /usr/bin/supervisord';

async function answer(side: Side, method: string, ...params: XmlRpcValue[]): Promise<unknown> {
  const rpc = new RpcClient({ serverurl: `unix://${side.dir.join('s.sock')}` });
  try {
    return { ok: await rpc.call(method, params) };
  } catch (e) {
    if (e instanceof XmlRpcFault) return { fault: [e.faultCode, e.faultString] };
    throw e;
  } finally {
    rpc.close();
  }
}

async function withPair(rpcinterfaces: string[], fn: (sides: Side[]) => Promise<void>): Promise<void> {
  const sides = [startSide('supervisord', '', rpcinterfaces), startSide('tsv', '', rpcinterfaces)];
  try {
    await until(() => sides.every((s) => existsSync(s.dir.join('s.sock')) && /supervisord started/.test(s.log())), 'both daemons up');
    await fn(sides);
    await stopSides(sides);
  } finally {
    cleanupSides(sides);
  }
}

/** The same call on both daemons, the same answer. */
async function same(sides: Side[], method: string, ...params: XmlRpcValue[]): Promise<unknown> {
  const [ref, ours] = await Promise.all(sides.map((s) => answer(s, method, ...params)));
  assert.deepEqual(ours, ref, `${method}(${JSON.stringify(params)})`);
  return ref;
}

test('no [rpcinterface:supervisor]: only system.*, and every ctl says supervisorctl\'s "Sorry"', { skip }, async () => {
  await withPair([], async (sides) => {
    assert.deepEqual(await same(sides, 'system.listMethods'), { ok: ['system.listMethods', 'system.methodHelp', 'system.methodSignature', 'system.multicall'] });
    assert.deepEqual(await same(sides, 'supervisor.getState'), { fault: [1, 'UNKNOWN_METHOD'] });
    await same(sides, 'system.methodHelp', 'supervisor.getState');
    await same(sides, 'system.multicall', [{ methodName: 'supervisor.getPID', params: [] }]);
    for (const verb of ['status', 'pid', 'maintail']) {
      const [py, ours] = sides.map((s) => ctlOn(s, [verb], PYTHON_CTL.argv));
      assert.deepEqual(ours, py, `supervisorctl ${verb}`);
      assert.notEqual(py.status, 0);
      const [tsvOnRef, tsvOnOurs] = sides.map((s) => ctlOn(s, [verb], TSV_CTL.argv));
      assert.deepEqual(tsvOnRef, py, `tsv ctl ${verb} against supervisord`);
      assert.deepEqual(tsvOnOurs, py, `tsv ctl ${verb} against tsv`);
    }
    assert.match(ctlOn(sides[1] as Side, ['status'], PYTHON_CTL.argv).out, /did not recognize the supervisor namespace/);
  });
});

test('[rpcinterface:foo] and [rpcinterface:supervisor]: the main API under both names, help and signatures too', { skip }, async () => {
  await withPair(['foo', 'supervisor'], async (sides) => {
    const methods = (await same(sides, 'system.listMethods')) as { ok: string[] };
    assert.ok(methods.ok.includes('foo.getState') && methods.ok.includes('supervisor.getState') && methods.ok.includes('foo.getVersion'));
    const [a, b] = (await Promise.all(sides.map((s) => answer(s, 'foo.getState')))) as { ok: XmlRpcValue }[];
    assert.deepEqual(b, a);
    // help texts are tsv's own words (test/rpc-api.test.ts compares their tags): the same under both names
    for (const side of sides) {
      assert.deepEqual(await answer(side, 'system.methodHelp', 'foo.startProcess'), await answer(side, 'system.methodHelp', 'supervisor.startProcess'), side.impl);
    }
    await same(sides, 'system.methodSignature', 'foo.readLog');
    await same(sides, 'system.methodHelp', 'bar.getState');
    await same(sides, 'bar.getState');
    await same(sides, 'system.multicall', [{ methodName: 'foo.getAPIVersion', params: [] }, { methodName: 'supervisor.getIdentification', params: [] }]);
  });
});
