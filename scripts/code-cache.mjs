// The V8 code caches of tsv's two bundles, which src/cli/run-bundle.ts hands
// to vm.Script: build/tsv-ctl.cjs.cache so that `tsv status` skips most
// compiling, and build/tsv.cjs.cache so that the daemon does not compile its
// spawn, output and exit paths while its first program runs (half of what
// the daemon spent from start-up to the exit of a program that writes once:
// bench/daemon README). Each is
// made by running the bundle once and saving the cache after the run, so it
// also holds the functions compiled while the bundle worked, not only the
// top level: the ctl as `tsv -c CONF status` against a canned XML-RPC
// server on a unix socket; the full CLI as `tsv daemon -n` with one program
// that writes to its logs (a stream, then small writes) and exits, and one
// status query over the socket.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

// What both runs share: the bundle compiled as src/cli/run-bundle.ts compiles
// it, run as `tsv ARGS`, and its cache written when the process ends. A
// build's cache file begins with a line naming the Node that made it (the
// same as codeCacheStamp in src/cli/run-bundle.ts and bin/tsv), which alone
// may use it; a single executable's carries no line, its Node being built in.
const prelude = String.raw`
const fs = require('fs'), os = require('os'), path = require('path'), vm = require('vm'), Module = require('module');
function stamp() {
  if (process.env.TSV_CODE_CACHE_STAMP !== '1') return '';
  const st = fs.statSync(process.execPath);
  return 'tsv-code-cache ' + process.version + ' ' + process.arch + ' ' + st.size + ' ' + Math.floor(st.mtimeMs) + '\n';
}
function runForCache(file, out, dir, args) {
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file });
  process.argv = [process.execPath, path.join(path.dirname(file), 'tsv'), ...args];
  process.on('exit', () => {
    fs.writeFileSync(out, Buffer.concat([Buffer.from(stamp(), 'latin1'), script.createCachedData()]));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
}
`;

const ctlChild = String.raw`
const { Worker } = require('worker_threads');
const [file, out, serverSource] = process.argv.slice(1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-code-cache-'));
const sock = path.join(dir, 'rpc.sock');
const conf = path.join(dir, 'supervisord.conf');
fs.writeFileSync(conf, '[supervisorctl]\nserverurl = unix://' + sock + '\n');
const worker = new Worker(serverSource, { eval: true, workerData: { sock } });
worker.once('message', () => runForCache(file, out, dir, ['-c', conf, 'status']));
`;

// The full CLI runs under the daemon's V8 flags (src/daemon/v8-flags.ts sets
// those node's command line lacks before it compiles the bundle), and so
// does this run: V8 refuses a cache made under other flags.
const daemonChild = String.raw`
const http = require('http');
const [file, out, flagsJson] = process.argv.slice(1);
for (const f of JSON.parse(flagsJson)) if (!process.execArgv.some((a) => a.startsWith(f.split('=')[0]))) require('v8').setFlagsFromString(f);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-code-cache-'));
const sock = path.join(dir, 'rpc.sock');
const conf = path.join(dir, 'supervisord.conf');
fs.writeFileSync(conf, [
  '[supervisord]', 'logfile=' + dir + '/main.log', 'pidfile=' + dir + '/pid', 'childlogdir=' + dir,
  '[unix_http_server]', 'file=' + sock,
  '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
  // a stream (spliced into its log, blocks reserved ahead) and small writes back to back (batched)
  '[program:w]', "command=/bin/sh -c 'echo err >&2; head -c 3000000 /dev/zero; i=0; while [ $i -lt 500 ]; do echo line; i=$((i+1)); done'",
  'startsecs=0', 'autorestart=false', '',
].join('\n'));
const stop = () => process.kill(process.pid, 'SIGTERM');
setTimeout(stop, 60000).unref();
// once the program has exited, one status query, then the shutdown
const waitExit = setInterval(() => {
  let log = '';
  try { log = fs.readFileSync(dir + '/main.log', 'utf8'); } catch {}
  if (!log.includes('exited: w')) return;
  clearInterval(waitExit);
  const body = '<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>';
  const req = http.request({ socketPath: sock, path: '/RPC2', method: 'POST', headers: { 'Content-Type': 'text/xml', 'Content-Length': body.length } }, (res) => {
    res.resume();
    res.on('end', stop);
  });
  req.on('error', stop);
  req.end(body);
}, 20);
runForCache(file, out, dir, ['daemon', '-n', '-c', conf]);
`;

/**
 * Runs `childSource` with `command` (a Node, by default this one;
 * scripts/dist.mjs passes the target's, under qemu for ARM, and
 * `nativeAddon`, tsv's helper built for it, and `stamped: false`: the
 * cache is an asset of the very Node it was made by) to write a bundle's cache.
 * Returns whether the run succeeded: after a failed one the cache is
 * missing or holds only what ran, which costs speed, nothing else.
 */
function makeCodeCache(childSource, args, bundle, { command = [process.execPath], nativeAddon = null, stamped = true } = {}) {
  const env = cleanEnv();
  if (stamped) env.TSV_CODE_CACHE_STAMP = '1';
  // The bundle finds tsv's native helper next to itself or not at all, as it will when installed.
  delete env.TSV_ROOT;
  delete env.TSV_NATIVE_ADDON;
  // A single executable finds its embedded copy; the run that makes its cache is told where the build put it.
  if (nativeAddon) env.TSV_NATIVE_ADDON = nativeAddon;
  const r = spawnSync(command[0], [...command.slice(1), '-e', prelude + childSource, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
  if (r.status !== 0) process.stderr.write(`build: the run that makes the code cache of ${bundle} failed (exit ${r.status}): ${r.stderr}\n`);
  return r.status === 0;
}

/** Writes `${bundle}.cache` (or `out`) for the ctl's bundle after a run of `tsv status`. */
export function makeCtlCodeCache(bundle, { out = `${bundle}.cache`, ...opts } = {}) {
  return makeCodeCache(ctlChild, [bundle, out, server], bundle, opts);
}

/** Writes `${bundle}.cache` (or `out`) for the full CLI's bundle after a run of the daemon. */
export function makeDaemonCodeCache(bundle, { out = `${bundle}.cache`, ...opts } = {}) {
  const flags = readFileSync(new URL('../src/daemon/v8-flags.json', import.meta.url), 'utf8');
  return makeCodeCache(daemonChild, [bundle, out, flags], bundle, opts);
}
