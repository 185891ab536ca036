// The V8 code cache for build/tsv-ctl.cjs (build/tsv-ctl.cjs.cache), which
// ./bin/tsv hands to vm.Script so that `tsv status` skips most compiling.
// It is made by running the bundle once, as `tsv -c CONF status` against a
// canned XML-RPC server on a unix socket, and saving the cache after the run:
// then it also holds the functions compiled while the ctl worked, not only
// the top level.
import { spawnSync } from 'node:child_process';
import { cleanEnv } from './proc.mjs';

// The canned server runs in a worker thread: a one-shot ctl command blocks
// its thread while it waits for an answer (src/rpc/blocking-http.ts). It
// answers getVersion in XML (as supervisord would) and getAllProcessInfo in
// JSON when asked (as a tsv daemon does), so the cache holds both decoders.
const server = String.raw`
const net = require('net');
const { parentPort, workerData } = require('worker_threads');
const xml = (v) => '<?xml version="1.0"?><methodResponse><params><param><value>' + v + '</value></param></params></methodResponse>';
const m = (k, v) => '<member><name>' + k + '</name><value>' + v + '</value></member>';
const infoXml = '<struct>' + m('name', '<string>web</string>') + m('group', '<string>web</string>') + m('start', '<int>1</int>') + m('stop', '<int>0</int>') +
  m('now', '<int>2</int>') + m('state', '<int>20</int>') + m('statename', '<string>RUNNING</string>') + m('spawnerr', '<string></string>') +
  m('exitstatus', '<int>0</int>') + m('logfile', '<string>/l</string>') + m('stdout_logfile', '<string>/l</string>') + m('stderr_logfile', '<string></string>') +
  m('pid', '<int>1</int>') + m('description', '<string>pid 1, uptime 0:00:01</string>') + '</struct>';
const info = { name: 'web', group: 'web', start: 1, stop: 0, now: 2, state: 20, statename: 'RUNNING', spawnerr: '', exitstatus: 0, logfile: '/l', stdout_logfile: '/l', stderr_logfile: '', pid: 1, description: 'pid 1, uptime 0:00:01' };
const answers = {
  'supervisor.getVersion': [xml('<string>3.0</string>'), { result: '3.0' }],
  'supervisor.getAllProcessInfo': [xml('<array><data><value>' + infoXml + '</value><value>' + infoXml + '</value></data></array>'), { result: [info, info] }],
};
const srv = net.createServer((c) => {
  let buf = '';
  c.on('data', (d) => {
    buf += d;
    const name = /<methodName>([^<]*)<\/methodName>/.exec(buf);
    if (!name || !buf.includes('</methodCall>')) return;
    const json = name[1] !== 'supervisor.getVersion' && /^accept:.*application\/vnd\.tsv\.rpc\+json/im.test(buf);
    buf = '';
    const [x, j] = answers[name[1]] || [xml('<int>0</int>'), { result: 0 }];
    const body = Buffer.from(json ? JSON.stringify(j) : x);
    c.write('HTTP/1.1 200 OK\r\nContent-Type: ' + (json ? 'application/vnd.tsv.rpc+json' : 'text/xml') + '\r\nContent-Length: ' + body.length + '\r\n\r\n');
    c.write(body);
  });
});
srv.listen(workerData.sock, () => parentPort.postMessage('ready'));
`;

const child = String.raw`
const fs = require('fs'), os = require('os'), path = require('path'), vm = require('vm'), Module = require('module');
const { Worker } = require('worker_threads');
const [file, out, serverSource] = process.argv.slice(1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-code-cache-'));
const sock = path.join(dir, 'rpc.sock');
const conf = path.join(dir, 'supervisord.conf');
fs.writeFileSync(conf, '[supervisorctl]\nserverurl = unix://' + sock + '\n');
const worker = new Worker(serverSource, { eval: true, workerData: { sock } });
worker.once('message', () => {
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file });
  process.argv = [process.execPath, path.join(path.dirname(file), 'tsv'), '-c', conf, 'status'];
  process.on('exit', () => {
    fs.writeFileSync(out, script.createCachedData());
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const mod = new Module(file, module);
  mod.filename = file;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
});
`;

/**
 * Writes `${bundle}.cache` (or `out`), running the bundle with `command` (a
 * Node, by default this one; scripts/dist.mjs passes the target's, under qemu
 * for ARM, and `nativeAddon`, tsv's helper built for it). Returns whether it
 * was written: a missing cache only costs speed.
 */
export function makeCtlCodeCache(bundle, { command = [process.execPath], out = `${bundle}.cache`, nativeAddon = null } = {}) {
  const env = cleanEnv();
  // The bundle finds tsv's native helper next to itself or not at all, as it will when installed.
  delete env.TSV_ROOT;
  delete env.TSV_NATIVE_ADDON;
  // A single executable finds its embedded copy; the run that makes its cache is told where the build put it.
  if (nativeAddon) env.TSV_NATIVE_ADDON = nativeAddon;
  const r = spawnSync(command[0], [...command.slice(1), '-e', child, bundle, out, server], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
  if (r.status !== 0) process.stderr.write(`build: no code cache for ${bundle} (exit ${r.status}): ${r.stderr}\n`);
  return r.status === 0;
}
