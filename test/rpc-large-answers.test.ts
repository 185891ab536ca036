// Answers too large to build and multicalls that would build them: a log
// read whole past what V8 holds as one string gets a fault that says how to
// read it, not a 500 with a stack trace; a multicall's answers stop growing
// at 64 MiB of text (the entries after are refused unrun); a multicall whose
// client has gone stops, as Supervisor's deferred answer dies with its
// channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { encodeMethodCall, type XmlRpcValue } from '../src/rpc/xmlrpc';
import { RpcClient } from '../src/rpc/client';
import { post } from './helpers/raw-http';
import { outcome, startDaemon, type DaemonKind } from './helpers/rpc-daemons';
import { sleep } from './helpers/daemon-env';
import { haveSupervisord } from './helpers/daemon-oracle';

test('a log read whole past 512 MiB of text: the fault FAILED says to read it in parts; no 500, no stack trace, the daemon answers on', async () => {
  const d = await startDaemon('tsv', '[program:big]\ncommand=/bin/sleep 100\nautostart=false\nstdout_logfile=%(here)s/big.log\n');
  try {
    writeFileSync(join(d.dir, 'big.log'), '');
    truncateSync(join(d.dir, 'big.log'), 600 * 1024 * 1024); // sparse: NUL bytes, no disk
    assert.deepEqual(await outcome(d.rpc.call('supervisor.readProcessStdoutLog', ['big', 0, 0])), {
      fault: [30, 'FAILED: the answer is larger than tsv can send at once (512 MiB of text): read the log in parts, with an offset and a length'],
    });
    const part = await d.rpc.call('supervisor.readProcessStdoutLog', ['big', 0, 1024]);
    assert.equal((part as string).length, 1024);
    assert.equal(await d.rpc.call('supervisor.getAPIVersion', []), '3.0');
    assert.doesNotMatch(readFileSync(join(d.dir, 'supervisord.log'), 'utf8'), /unexpected exception|string length|longer than|at \w+ \(/);
  } finally {
    await d.stop();
  }
});

test('a multicall whose answers pass 64 MiB of text: the entries after are refused unrun (FAILED, saying why), a start among them too', async () => {
  const d = await startDaemon(
    'tsv',
    '[program:twelve]\ncommand=/bin/sleep 100\nautostart=false\nstdout_logfile=%(here)s/twelve.log\n' + '[program:other]\ncommand=/bin/sleep 100\nautostart=false\nstartsecs=0\n',
  );
  try {
    const line = `${'x'.repeat(99)}\n`;
    writeFileSync(join(d.dir, 'twelve.log'), line.repeat(120_000)); // 12 MB
    const read = { methodName: 'supervisor.readProcessStdoutLog', params: ['twelve', 0, 0] };
    const client = new RpcClient({ serverurl: `unix://${d.sock}`, limits: { maxBytes: 256 * 1024 * 1024 } });
    const answers = (await client.call('system.multicall', [[...Array(7).fill(read), { methodName: 'supervisor.startProcess', params: ['other'] }]])) as XmlRpcValue[];
    client.close();
    assert.equal(answers.length, 8);
    // 12 MB each: the sixth passes 64 MiB, so it is the last one run
    for (const a of answers.slice(0, 6)) assert.equal((a as string).length, 12_000_000);
    const refused = {
      faultCode: 30,
      faultString: 'FAILED: not run: the answers before it in this system.multicall hold over 64 MiB of text; call it again on its own',
    };
    assert.deepEqual(answers.slice(6), [refused, refused]);
    assert.equal(((await d.rpc.call('supervisor.getProcessInfo', ['other'])) as Record<string, XmlRpcValue>).statename, 'STOPPED');
  } finally {
    await d.stop();
  }
});

for (const kind of ['supervisord', 'tsv'] as DaemonKind[]) {
  test(`a multicall whose client goes while an entry waits, under ${kind}: the entries after it are not run`, { skip: kind === 'supervisord' && !haveSupervisord() ? 'needs /usr/bin/supervisord' : false }, async () => {
    const d = await startDaemon(
      kind,
      `[program:slowstop]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.1; done"\nstartsecs=0\nstopwaitsecs=3\n` +
        '[program:later]\ncommand=/bin/sleep 100\nautostart=false\nstartsecs=0\n',
    );
    try {
      const info = async (name: string): Promise<string> => ((await d.rpc.call('supervisor.getProcessInfo', [name])) as Record<string, XmlRpcValue>).statename as string;
      for (let i = 0; i < 100 && (await info('slowstop')) !== 'RUNNING'; i++) await sleep(50);
      const body = encodeMethodCall('system.multicall', [
        [
          { methodName: 'supervisor.stopProcess', params: ['slowstop'] },
          { methodName: 'supervisor.startProcess', params: ['later', false] },
        ],
      ]);
      const sock = connect(d.sock);
      sock.on('error', () => {});
      sock.write(post(body));
      // the client goes once the stop is under way (a loaded supervisord may read the request late)
      for (let i = 0; i < 200 && (await info('slowstop')) !== 'STOPPING'; i++) await sleep(25);
      assert.equal(await info('slowstop'), 'STOPPING');
      sock.destroy();
      for (let i = 0; i < 200 && (await info('slowstop')) !== 'STOPPED'; i++) await sleep(50);
      assert.equal(await info('slowstop'), 'STOPPED');
      await sleep(500);
      assert.equal(await info('later'), 'STOPPED');
    } finally {
      await d.stop();
    }
  });
}
