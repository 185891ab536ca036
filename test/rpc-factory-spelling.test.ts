// `[rpcinterface:x] supervisor.rpcinterface_factory` as pkg_resources reads
// it: spaces around the colon, an [extras] suffix, or the namespace class
// itself all make Supervisor's API, served under x.*, side by side with
// supervisord. A Python plugin tsv cannot load is warned about and is not
// logged as initialized. An event listener's result_handler spelt another
// way is no change to reread (Supervisor compares the function imported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configText, startDaemon, startPair } from './helpers/rpc-daemons';
import { oracleSkip } from './helpers/events-env';

const SPELLINGS =
  '\n[rpcinterface:spaced]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface : make_main_rpcinterface\n' +
  '\n[rpcinterface:extras]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface [a, b-c]\n' +
  '\n[rpcinterface:klass]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:SupervisorNamespaceRPCInterface\n';

/** the line number of a line of the side's config */
const confLine = (dir: string, text: string): number => readFileSync(join(dir, 'supervisord.conf'), 'utf8').split('\n').indexOf(text) + 1;

const rpcLines = (dir: string): string[] =>
  readFileSync(join(dir, 'supervisord.log'), 'utf8')
    .split('\n')
    .filter((l) => /RPC interface|Python plugin/.test(l))
    .map((l) => l.replace(/^\S+ \S+ /, ''));

test('every spelling of the standard factory serves the API, as under supervisord', { skip: oracleSkip }, async () => {
  const { both } = await startPair('[program:p]\ncommand=/bin/sleep 100000\n', SPELLINGS);
  try {
    const seen = [];
    for (const d of both) {
      const methods = (await d.rpc.call('system.listMethods')) as string[];
      seen.push({
        namespaces: [...new Set(methods.map((m) => m.split('.')[0]))].sort(),
        states: await Promise.all(['spaced', 'extras', 'klass'].map((ns) => d.rpc.call(`${ns}.getState`))),
        log: rpcLines(d.dir),
      });
    }
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[1]?.namespaces, ['extras', 'klass', 'spaced', 'supervisor', 'system']);
  } finally {
    await Promise.all(both.map((d) => d.stop()));
  }
});

test('a Python plugin tsv cannot load: a warning, and no "initialized" line for it', async () => {
  const d = await startDaemon('tsv', '', '\n[rpcinterface:theirs]\nsupervisor.rpcinterface_factory = theirpkg.rpc : make\n');
  try {
    const methods = (await d.rpc.call('system.listMethods')) as string[];
    assert.ok(!methods.some((m) => m.startsWith('theirs.')));
    assert.deepEqual(rpcLines(d.dir), [
      `WARN ${join(d.dir, 'supervisord.conf')}:${confLine(d.dir, 'supervisor.rpcinterface_factory = theirpkg.rpc : make')}: [rpcinterface:theirs] names the Python plugin theirpkg.rpc : make; tsv cannot load Python plugins and ignores it`,
      "INFO RPC interface 'supervisor' initialized",
    ]);
  } finally {
    await d.stop();
  }
});

test('a result_handler spelt another way is no change to reread, as under supervisord', { skip: oracleSkip }, async () => {
  const listener = (handler: string): string => `[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_60\nresult_handler=${handler}\n`;
  const { both } = await startPair(listener('supervisor.dispatchers:default_handler'));
  try {
    const changes = [];
    for (const d of both) {
      writeFileSync(d.conf, configText(listener('supervisor.dispatchers : default_handler [x]')));
      changes.push(await d.rpc.call('supervisor.reloadConfig'));
    }
    assert.deepEqual(changes[1], changes[0]);
    assert.deepEqual(changes[1], [[[], [], []]]);
  } finally {
    await Promise.all(both.map((d) => d.stop()));
  }
});
