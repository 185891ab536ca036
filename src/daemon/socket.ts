// The daemon's control sockets. Unix sockets are bound the way Supervisor
// binds them (http.py supervisor_af_unix_http_server): bind a temporary
// `<file>.<pid>`, chmod it, then hard-link it to `<file>`. A failed link means
// the name is taken: connect and send a request; if something answers the
// socket is live and is never stolen, otherwise it is stale and replaced.
// A bound socket's connections are then accepted by an Acceptor and handed to
// whoever serves HTTP on them.
import { createServer, createConnection, isIPv6, type Server, type Socket } from 'node:net';
import { chmodSync, chownSync, linkSync, lstatSync, statSync, unlinkSync, watch, type FSWatcher, type Stats } from 'node:fs';
import type * as Dns from 'node:dns/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import type { InetServerConfig, ServerConfig, UnixServerConfig } from '../config/model';
import { modeBits } from '../config/datatypes';
import { lookupUserById } from '../config/users';
import { userName } from '../os/accounts';
import { Acceptor } from './acceptor';

export const ADDR_IN_USE_MESSAGE =
  'Another program is already listening on a port that one of our HTTP servers is configured to use.  ' +
  'Shut this program down first before starting supervisord.';

/** A bind failure, with the text supervisord prints (after "Error: "). */
export class ServerBindError extends Error {
  /** Supervisor's message stays the first line (scripts match it); the hint says which setting and what to do */
  constructor(
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

/** Why a unix socket could not be made where [unix_http_server] file= says, for the hint under Supervisor's words. */
function unixBindHint(cfg: UnixServerConfig, code: string | undefined): string | null {
  const dir = dirname(cfg.file);
  const where = `[${cfg.section}] file=${cfg.file}`;
  if (code === 'ENOENT') {
    const emptied = /^\/(var\/)?run\//.test(`${dir}/`);
    return emptied
      ? `${where}: the directory ${dir} does not exist (/run and /var/run are emptied at each boot: create it before the daemon starts, e.g. RuntimeDirectory= in a systemd unit or tsv install --boot, or choose another file=)`
      : `${where}: the directory ${dir} does not exist (create it before the daemon starts, or choose another file=)`;
  }
  if (code === 'ENOTDIR') return `${where}: ${dir} is not a directory`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${where}: the daemon's user (uid ${process.geteuid?.() ?? '?'}) cannot create files in ${dir}`;
  return null;
}

export type ConnectionHandler = (socket: Socket, server: BoundServer) => void;

export interface BoundServer {
  config: ServerConfig;
  /** set once the bound socket is taken over (ServerSet.open) */
  acceptor?: Acceptor;
  /** unix sockets: the inode we linked into place (to tell ours from a replacement) */
  ino?: number;
}

/**
 * libuv's getaddrinfo errors (UV_EAI_*) as glibc numbers them: Python's
 * socket.gaierror carries glibc's, which errno.errorcode does not know, so
 * Supervisor prints the bare number
 */
const GAI_ERRORS: Record<number, number> = {
  [-3000]: -9, // ADDRFAMILY
  [-3001]: -3, // AGAIN
  [-3002]: -1, // BADFLAGS
  [-3004]: -4, // FAIL
  [-3005]: -6, // FAMILY
  [-3006]: -10, // MEMORY
  [-3007]: -5, // NODATA
  [-3008]: -2, // NONAME (Node: ENOTFOUND)
  [-3009]: -12, // OVERFLOW
  [-3010]: -8, // SERVICE
  [-3011]: -7, // SOCKTYPE
};

const BIND_FAILED = 'Cannot open an HTTP server: socket.error reported';

/** A control socket as the main log names it: its file, or host:port. */
export function serverLabel(c: ServerConfig): string {
  return c.family === 'unix' ? c.file : `${c.host || '*'}:${c.port}`;
}

function errnoText(e: NodeJS.ErrnoException): string {
  const gai = typeof e.errno === 'number' ? GAI_ERRORS[e.errno] : undefined;
  if (gai !== undefined) return `${BIND_FAILED} ${gai}`;
  const code = e.code ?? 'EUNKNOWN';
  const num = (osConstants.errno as Record<string, number>)[code];
  return `${BIND_FAILED} errno.${code} (${num ?? e.errno ?? '?'})`;
}

/** loaded when needed: only an inet server resolves its host */
const dns = (): typeof Dns => require('node:dns/promises') as typeof Dns;

/** what Supervisor's http servers listen with (http.py postbind), unix and inet alike; Node's default is 511 */
const BACKLOG = 1024;

function listen(server: Server, arg: { path: string; backlog: number } | { host: string; port: number; backlog: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(arg, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * bind(2)'s own errno for a unix socket. libuv reports ENOENT as EACCES, so a
 * socket directory gone after a reboot (/var/run/supervisor) would read as a
 * permission problem; the directory's own lookup tells which it was.
 */
function bindErrno(e: NodeJS.ErrnoException, path: string): NodeJS.ErrnoException {
  if (e.code !== 'EACCES') return e;
  try {
    statSync(dirname(path));
    return e;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? Object.assign(new Error(e.message), { code, errno: undefined }) : e;
  }
}

function tryUnlink(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

/**
 * A stale socket that cannot be removed (another user's, in a sticky
 * directory such as /tmp): Supervisor tries again every 300 ms for ever.
 * Null when it is gone.
 */
function unremovable(file: string): string | null {
  try {
    unlinkSync(file);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    let owner = '';
    try {
      const uid = lstatSync(file).uid;
      owner = ` (owned by ${lookupUserById(uid)?.name ?? 'uid'} ${uid})`;
    } catch {
      // gone meanwhile: the loop's next link will tell
    }
    return `Cannot open an HTTP server: the stale socket ${file}${owner} cannot be removed: ${err.code ?? 'EUNKNOWN'}; remove it as its owner or root, or choose another [unix_http_server] file=`;
  }
}

/**
 * Something at the socket's path that no daemon left there. Supervisor
 * unlinks whatever it finds (a `file=` that names the config deletes the
 * config); tsv removes only a socket, or a link, which loses nothing.
 */
function notASocket(file: string): ServerBindError | null {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return null; // gone meanwhile: the loop's next link will tell
  }
  if (st.isSocket() || st.isSymbolicLink()) return null;
  return new ServerBindError(
    `Cannot open an HTTP server: ${file} is ${fileKind(st)}, not a socket, and is left as it is`,
    st.isDirectory()
      ? `[unix_http_server] file= names the socket itself, not its directory: write a path in it, such as ${join(file, 'supervisor.sock')}`
      : `[unix_http_server] file= names the socket the daemon makes: choose a path where nothing is, or remove ${file} if it is not needed`,
  );
}

/** What a file that is not a socket is, in words (the daemon's refusal, doctor's stale-socket). */
export function fileKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  return st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : st.isFIFO() ? 'a named pipe' : 'a device';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Supervisor's checkused(): connect, send a request, read one byte. */
export function checkUsed(path: string, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    let connected = false;
    let done = false;
    const finish = (v: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const s = createConnection({ path }, () => {
      connected = true;
      s.write('GET / HTTP/1.0\r\n\r\n');
    });
    s.on('data', () => finish(true));
    s.on('end', () => finish(true));
    s.on('error', () => finish(false));
    // Supervisor would wait forever here; a process that accepts but never answers is alive anyway
    const timer = setTimeout(() => finish(connected), timeoutMs);
  });
}

export interface BindLog {
  /** Supervisor writes this to stderr */
  stale(message: string): void;
}

/** The longest path Node can bind: sun_path's 108 bytes less the NUL libuv keeps. */
const UNIX_PATH_MAX = 107;

export async function bindUnix(cfg: UnixServerConfig, log: BindLog): Promise<{ server: Server; ino: number }> {
  const file = cfg.file;
  const tempname = `${file}.${process.pid}`;
  // sun_path holds 108 bytes; Python refuses a longer path, libuv would cut it short and bind that
  if (Buffer.byteLength(tempname) > UNIX_PATH_MAX) {
    throw new ServerBindError(
      `Cannot open an HTTP server: socket.error reported AF_UNIX path too long (${file} is ${Buffer.byteLength(file)} bytes; with the ".${process.pid}" it is first bound under, a unix socket path may have at most ${UNIX_PATH_MAX}: choose a shorter [unix_http_server] file=)`,
    );
  }
  tryUnlink(tempname);
  for (;;) {
    const server = createServer();
    try {
      try {
        await listen(server, { path: tempname, backlog: BACKLOG });
        chmodSync(tempname, modeBits(cfg.chmod));
      } catch (e) {
        server.close();
        const err = bindErrno(e as NodeJS.ErrnoException, tempname);
        throw new ServerBindError(errnoText(err), unixBindHint(cfg, err.code));
      }
      try {
        linkSync(tempname, file);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // only a name already taken can be a stale socket; Supervisor retries any failure for ever
        if (err.code !== 'EEXIST') {
          server.close();
          throw new ServerBindError(errnoText(err));
        }
        if (await checkUsed(file)) {
          server.close();
          throw new ServerBindError(
            ADDR_IN_USE_MESSAGE,
            `[${cfg.section}] file=${file}: a running daemon answers on this socket (\`supervisorctl -s unix://${file} pid\` asks it for its pid); stop it first, or give this config another file=`,
          );
        }
        const other = notASocket(file);
        if (other) {
          server.close();
          throw other;
        }
        log.stale(`Unlinking stale socket ${file}\n`);
        const stuck = unremovable(file);
        server.close();
        if (stuck) throw new ServerBindError(stuck);
        await sleep(300);
        continue;
      }
      const [uid, gid] = cfg.chown;
      try {
        chownSync(file, uid, gid);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        server.close();
        tryUnlink(file);
        if (err.code === 'EPERM') {
          // the user the daemon runs as by now ([supervisord] user=), as Supervisor's getpwuid(geteuid()); $USER is still the launcher's
          const me = userName(process.geteuid?.() ?? 0);
          throw new ServerBindError(
            `Not permitted to chown ${file} to uid/gid (${uid}, ${gid}); adjust "sockchown" value in config file or on command line to values that the current user (${me}) can successfully chown`,
          );
        }
        throw new ServerBindError(errnoText(err));
      }
      return { server, ino: lstatSync(file).ino };
    } finally {
      tryUnlink(tempname);
    }
  }
}

export async function bindInet(cfg: InetServerConfig): Promise<Server> {
  // Supervisor's inet servers are AF_INET only, with SO_REUSEADDR (Node's default)
  let host = cfg.host || '0.0.0.0';
  // Node's lookup hands an IP literal back as it is, and would listen on IPv6;
  // the C library refuses an IPv6 one for AF_INET (EAI_ADDRFAMILY, -9) but an
  // IPv4-mapped one (::ffff:127.0.0.1), which it maps, as supervisord's gets.
  if (isIPv6(host)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
    if (!mapped) throw new ServerBindError(`${BIND_FAILED} -9`);
    host = mapped[1] as string;
  }
  try {
    host = (await dns().lookup(host, { family: 4 })).address;
  } catch (e) {
    throw new ServerBindError(errnoText(e as NodeJS.ErrnoException), `[${cfg.section}] port=${cfg.host}:${cfg.port}: the host name ${cfg.host} does not resolve to an IPv4 address here`);
  }
  const server = createServer();
  try {
    await listen(server, { host, port: cfg.port, backlog: BACKLOG });
  } catch (e) {
    server.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'EADDRINUSE') throw new ServerBindError(errnoText(err));
    throw new ServerBindError(
      ADDR_IN_USE_MESSAGE,
      `[${cfg.section}] port=${cfg.host ? `${cfg.host}:` : ''}${cfg.port}: something already listens on port ${cfg.port} (\`ss -ltnp 'sport = :${cfg.port}'\` names it); stop it first, or give this config another port=`,
    );
  }
  return server;
}

/** Until the RPC layer plugs in, answer every request so that probes (checkused) see a live daemon. */
export const placeholderHandler: ConnectionHandler = (socket) => {
  let buf = '';
  socket.setEncoding('latin1');
  socket.on('error', () => {});
  socket.on('data', (d: string) => {
    buf += d;
    if (!buf.includes('\r\n\r\n') && buf.length < 65536) return;
    const body = 'tsv: the RPC interface is not available yet\n';
    socket.end(`HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
};

/**
 * All servers of one daemon run. It binds them, routes connections to the
 * current handler, re-creates a unix socket file that was deleted under it
 * (noticed through a directory watch, or on request), and removes the files
 * it created when closed.
 */
export class ServerSet {
  readonly bound: BoundServer[] = [];
  private handler: ConnectionHandler = placeholderHandler;
  private watchers = new Map<BoundServer, FSWatcher>();
  private closed = false;
  private recreating = false;
  private again = false;
  private againAsked = false;
  /** the last reason each socket could not be re-created, logged once */
  private readonly failures = new Map<BoundServer, string>();

  constructor(private readonly log: { stale(m: string): void; info(m: string): void; warn(m: string): void }) {}

  setHandler(h: ConnectionHandler): void {
    this.handler = h;
  }

  /** Take over a freshly bound server's socket; its connections go to the current handler. */
  private attach(b: BoundServer, server: Server): void {
    b.acceptor = Acceptor.adopt(server, serverLabel(b.config), this.log, (s: Socket) => this.handler(s, b));
  }

  async open(configs: ServerConfig[]): Promise<void> {
    for (const cfg of configs) {
      if (cfg.family === 'unix') {
        const { server, ino } = await bindUnix(cfg, this.log);
        const b: BoundServer = { config: cfg, ino };
        this.attach(b, server);
        this.bound.push(b);
        this.watch(b);
      } else {
        const server = await bindInet(cfg);
        const b: BoundServer = { config: cfg };
        this.attach(b, server);
        this.bound.push(b);
      }
    }
  }

  /**
   * Watch the socket file itself (inotify on its inode): unlinking or
   * replacing it changes the inode's link count, which is reported even
   * though our listening socket keeps the inode alive. Nothing else in the
   * directory (often /tmp) wakes the daemon.
   */
  private watch(b: BoundServer): void {
    const cfg = b.config as UnixServerConfig;
    this.watchers.get(b)?.close();
    this.watchers.delete(b);
    try {
      const w = watch(cfg.file, { persistent: false }, () => void this.ensureSockets());
      w.on('error', () => {});
      this.watchers.set(b, w);
    } catch {
      // no inotify: SIGUSR2 still re-creates sockets
    }
  }

  /**
   * Re-create any of our unix socket files that is gone or replaced. One
   * removal brings several inotify events (attribute, delete, ignored): a
   * failure is logged once, not per event, unless someone asked (SIGUSR2).
   */
  async ensureSockets(asked = false): Promise<void> {
    if (this.closed) return;
    if (this.recreating) {
      this.again = true;
      this.againAsked ||= asked;
      return;
    }
    this.recreating = true;
    try {
      for (const b of this.bound) {
        if (b.config.family !== 'unix') continue;
        const file = b.config.file;
        let ino = -1;
        try {
          ino = lstatSync(file).ino;
        } catch {
          ino = -1;
        }
        if (ino === b.ino) continue;
        if (ino !== -1 && (await checkUsed(file))) {
          // someone else's live socket now has the name: never steal it
          this.log.warn(`socket file ${file} was replaced by another live socket; not re-creating it`);
          continue;
        }
        try {
          const { server, ino: newIno } = await bindUnix(b.config, this.log);
          const old = b.acceptor;
          b.ino = newIno;
          this.attach(b, server);
          old?.close();
          this.watch(b);
          this.log.info(`re-created socket file ${file} (it had been removed)`);
          this.failures.delete(b);
        } catch (e) {
          const why = (e as Error).message;
          if (asked || this.failures.get(b) !== why) this.log.warn(`could not re-create socket file ${file}: ${why}`);
          this.failures.set(b, why);
        }
      }
    } finally {
      this.recreating = false;
    }
    if (this.again) {
      const wasAsked = this.againAsked;
      this.again = false;
      this.againAsked = false;
      await this.ensureSockets(wasAsked);
    }
  }

  /** Stop listening and remove the socket files that are still ours. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const b of this.bound) {
      // stop listening now; open connections end on their own
      b.acceptor?.close();
      if (b.config.family === 'unix') {
        try {
          if (lstatSync(b.config.file).ino === b.ino) unlinkSync(b.config.file);
        } catch {
          // already removed
        }
      }
    }
  }
}
