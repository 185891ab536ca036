// A daemon at its open-files limit: clients that connect while it has no
// descriptor to accept them with wait in the listen queue and are served as
// descriptors come free, as medusa serves them in Supervisor. libuv's own
// accept closed them at once (connection reset), which a net.Server did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { post, rawRequest, rpcBody } from './helpers/raw-http';
import { startDaemon, type DaemonKind } from './helpers/rpc-daemons';
import { sleep } from './helpers/daemon-env';

const CLIENTS = 40;
/** descriptors left to the daemon: far fewer than the clients that come at once */
const SPARE = 5;

for (const kind of ['supervisord', 'tsv'] as DaemonKind[]) {
  test(`${kind}: ${CLIENTS} clients at once, ${SPARE} descriptors below the open-files limit: every one is answered`, { skip: kind === 'supervisord' && !existsSync('/usr/bin/supervisord') }, async () => {
    const d = await startDaemon(kind, '');
    try {
      const pid = d.child.pid as number;
      d.rpc.close();
      const limit = readdirSync(`/proc/${pid}/fd`).length + SPARE;
      execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${limit}:${limit}`]);
      const answers = await Promise.all(
        Array.from({ length: CLIENTS }, () => rawRequest({ path: d.sock }, post(rpcBody('supervisor.getState')), 30000)),
      );
      const bad = answers.filter((a) => a.status !== 200 || !a.body.includes('<string>RUNNING</string>'));
      assert.equal(bad.length, 0, `${bad.length} of ${CLIENTS} not answered: ${JSON.stringify(bad.slice(0, 3))}`);
      if (kind === 'tsv') {
        const log = readFileSync(join(d.dir, 'supervisord.log'), 'utf8');
        assert.match(log, /WARN no file descriptor left to accept a connection on \S+rpc\.sock \(EMFILE\): clients wait in its queue, taken one at a time on a descriptor held in reserve until more are free\n/);
        assert.match(log, /INFO accepting connections on \S+rpc\.sock again\n/);
      }
      // and the daemon goes on serving once the burst is over
      const after = await rawRequest({ path: d.sock }, post(rpcBody('supervisor.getState')), 10000);
      assert.equal(after.status, 200);
    } finally {
      await d.stop();
    }
  });
}

// Supervisor answers no one in this state (its clients wait for ever); tsv
// takes them one at a time on the descriptor it holds in reserve, so that an
// admin can still see what runs and stop some of it
test(`tsv: no descriptor free at all: ${CLIENTS} clients at once are answered one at a time, and a stop goes through`, async () => {
  const d = await startDaemon('tsv', '[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n');
  try {
    const pid = d.child.pid as number;
    d.rpc.close();
    // once the daemon has closed its side of that connection: every descriptor below the limit in use
    await sleep(500);
    const inUse = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
    let limit = 0;
    while (inUse.has(limit)) limit++;
    execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${limit}:${limit}`]);
    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, () => rawRequest({ path: d.sock }, post(rpcBody('supervisor.getState')), 30000)),
    );
    const bad = answers.filter((a) => a.status !== 200 || !a.body.includes('<string>RUNNING</string>'));
    assert.equal(bad.length, 0, `${bad.length} of ${CLIENTS} not answered: ${JSON.stringify(bad.slice(0, 3))}`);
    const stop = await rawRequest({ path: d.sock }, post(rpcBody('supervisor.stopProcess', '<param><value><string>sleeper</string></value></param>')), 30000);
    assert.equal(stop.status, 200);
    assert.match(stop.body, /<boolean>1<\/boolean>/);
  } finally {
    await d.stop();
  }
});
