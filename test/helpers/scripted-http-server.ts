// An HTTP server on a unix socket that answers by a named script (each
// framing HTTP allows, kept-alive connections it closes, hang-ups, garbage),
// in a worker thread: the ctl's blocking transport (src/rpc/blocking-http.ts)
// holds the main thread while it waits, so the server cannot share it.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createServer, type Socket } from 'node:net';

export type Script = 'split' | 'framings' | 'closed-then-401' | 'hangups';

type Handler = (sock: Socket, request: string, n: number) => void;

const SCRIPTS: Record<Script, Handler> = {
  // Content-Length answers, each written in two pieces.
  split: (sock, req, n) => {
    if (!/^POST \/RPC2 HTTP\/1\.1\r\n/.test(req)) sock.destroy();
    const body = `answer ${n} ` + 'x'.repeat(100000);
    const whole = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    sock.write(whole.slice(0, 10));
    setImmediate(() => sock.write(whole.slice(10)));
  },
  framings: (sock, _req, n) => {
    if (n === 0) sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n');
    else sock.end('HTTP/1.0 200 OK\r\n\r\nuntil close');
  },
  'closed-then-401': (sock, _req, n) => {
    if (n === 0) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else sock.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope!');
  },
  hangups: (sock, _req, n) => {
    if (n === 0) sock.destroy();
    else if (n === 1) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
    else if (n === 2) sock.end('SSH-2.0-OpenSSH\r\n\r\n');
    // sshd's banner, and no close: it waits for the client's
    else sock.write('SSH-2.0-OpenSSH_9.2p1\r\n');
  },
};

export interface ScriptedServer {
  connections(): Promise<number>;
  close(): Promise<void>;
}

export async function startScriptedServer(path: string, script: Script): Promise<ScriptedServer> {
  const worker = new Worker(__filename, { workerData: { path, script } });
  const next = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  await next();
  return {
    connections: async () => {
      worker.postMessage('connections');
      return (await next()) as number;
    },
    close: async () => {
      worker.postMessage('close');
      await next();
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const { path, script } = workerData as { path: string; script: Script };
  const handler = SCRIPTS[script];
  const port = parentPort;
  let connections = 0;
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    connections++;
    sockets.add(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const req = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        handler(sock, req, n++);
      }
    });
    sock.on('error', () => {});
  });
  server.listen(path, () => port.postMessage('ready'));
  port.on('message', (m) => {
    if (m === 'connections') port.postMessage(connections);
    if (m === 'close') {
      for (const s of sockets) s.destroy();
      server.close(() => port.postMessage('closed'));
    }
  });
}
