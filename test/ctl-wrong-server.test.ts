// `-s` pointed at something that is not a supervisord (sshd, a web server,
// a server that dies mid-answer): supervisorctl prints the exception Python's
// http.client or xmlrpc.client raised, and scripts match on its class and
// text. Both ctls run against the same scripted servers; their output must
// be the same but for the file and line of the raise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSV, cleanEnv } from './helpers/daemon-cli';

const SUPERVISORCTL = '/usr/bin/supervisorctl';
const skip = existsSync(SUPERVISORCTL) ? false : 'Supervisor is not installed';

/** What each server does once a request has come (sshd speaks first, and waits). */
const ANSWERS: Record<string, { greet?: string; answer?: string }> = {
  'an SSH server (its banner, then it waits)': { greet: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' },
  'a line that is not HTTP': { answer: 'hello world\r\n\r\n' },
  'a status line without a code': { answer: 'HTTP/1.1\r\n\r\n' },
  'a code that is not a number': { answer: 'HTTP/1.1 abc OK\r\n\r\n' },
  'a blank line': { answer: '\r\n\r\n' },
  'bytes without a newline, then the close': { answer: 'garbage' },
  'a web page answered 200': { answer: 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>' },
  'an empty 200': { answer: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
  'an answer cut short of its Content-Length': { answer: 'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 500\r\n\r\n<?xml version="1.0"?>' },
  'a type XML-RPC does not have': {
    answer: 'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 85\r\n\r\n<methodResponse><params><param><value><foo>1</foo></value></param></params></methodResponse>',
  },
};

const servers: Server[] = [];
const ports = new Map<string, number>();
let dir = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tsv-wrong-server-'));
  writeFileSync(join(dir, 'c.conf'), '[supervisorctl]\nserverurl = http://127.0.0.1:1\n');
  for (const [name, how] of Object.entries(ANSWERS)) {
    const server = createServer((sock: Socket) => {
      sock.on('error', () => undefined);
      if (how.greet) sock.write(how.greet);
      sock.once('data', () => {
        if (how.answer !== undefined) sock.end(how.answer);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    const addr = server.address();
    ports.set(name, typeof addr === 'object' && addr ? addr.port : 0);
  }
});

after(() => {
  for (const s of servers) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(`${out.replace(/: file: [^\n]* line: \d+/g, ': file: F line: N')}[exit ${code}]`);
    });
  });
}

test("ctl -s at a server that is not a supervisord: the same exception class and text as supervisorctl's (BadStatusLine, IncompleteRead, ResponseError, ExpatError), at once", { skip }, async () => {
  for (const name of Object.keys(ANSWERS)) {
    const url = `http://127.0.0.1:${ports.get(name)}`;
    const python = await run([SUPERVISORCTL, '-c', join(dir, 'c.conf'), '-s', url, 'status']);
    const tsv = await run([process.execPath, TSV, 'ctl', '-c', join(dir, 'c.conf'), '-s', url, 'status']);
    assert.equal(tsv, python, name);
    assert.match(python, /^error: <class '[\w.]+'>, /, `${name}: supervisorctl says it as an exception`);
  }
});

test('open unix:// (an empty socket path): EINVAL as supervisorctl says it, exit 1; in the shell too; nothing connected to (no TCP to localhost, no abstract socket)', { skip }, async () => {
  const conf = join(dir, 'c.conf');
  const python = await run([SUPERVISORCTL, '-c', conf, 'open', 'unix://']);
  const tsv = await run([process.execPath, TSV, 'ctl', '-c', conf, 'open', 'unix://']);
  assert.equal(tsv, python);
  assert.equal(tsv, "error: <class 'OSError'>, [Errno 22] Invalid argument: file: F line: N\n[exit 1]");
  const shell = (argv: string[]): Promise<string> =>
    new Promise((resolve) => {
      const child = spawn(argv[0] as string, argv.slice(1), { env: cleanEnv() });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
      child.stderr.on('data', (b: Buffer) => (out += b.toString('latin1')));
      child.stdin.end('open unix://\n');
      child.on('close', (code) => resolve(`${out.replace(/: file: [^\n]* line: \d+/g, ': file: F line: N')}[exit ${code}]`));
    });
  assert.equal(await shell([process.execPath, TSV, 'ctl', '-c', conf]), await shell([SUPERVISORCTL, '-c', conf]));
});
