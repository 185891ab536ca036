// HTTP(S) servers for health-check tests: Python's http.server answering
// 200, or 500 while a file exists; over TLS with a self-signed certificate
// made by openssl, recording the name the client sent (SNI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Listens on 127.0.0.1 port $1 and answers 200, or 500 while the file $2 exists.
 * With $3 (certificate), $4 (key) and $5: over TLS on IPv4 and IPv6, writing the SNI name to $5.
 */
export const HTTP_SERVER = `import http.server, os, socket, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500 if os.path.exists(sys.argv[2]) else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
if len(sys.argv) < 4:
    http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
def sni(sock, name, c):
    with open(sys.argv[5], 'w') as f:
        f.write(str(name))
ctx.sni_callback = sni
s = S(('::', int(sys.argv[1])), H)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
`;

export interface TlsServerFiles {
  /** the command line of a program that serves HTTPS on the port */
  command: string;
  /** 500 while this file exists */
  sick: string;
  /** holds the host name the last client asked for (SNI), once one did */
  sni: string;
}

/** Writes the server, a self-signed certificate and its key into dir. */
export function tlsServer(dir: string, port: number): TlsServerFiles {
  const [script, cert, key, sni, sick] = ['server.py', 'cert.pem', 'key.pem', 'sni', 'sick'].map((f) => join(dir, f));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tsv-test', '-days', '2', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  writeFileSync(script, HTTP_SERVER);
  return { command: `/usr/bin/python3 ${script} ${port} ${sick} ${cert} ${key} ${sni}`, sick, sni };
}
