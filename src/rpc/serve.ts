// The RPC layer as the daemon starts it: for each run, one dispatcher over the
// engine's API (and one /metrics source) and one HTTP server per configured
// [unix_http_server] / [inet_http_server] (each with its own credentials),
// fed with the connections the daemon accepts on its sockets.
import type { Socket } from 'node:net';
import type { EngineApi } from '../daemon/api';
import type { Config } from '../config/model';
import { mainRpcNamespaces } from '../config/load';
import { serverLabel, type BoundServer, type ConnectionHandler } from '../daemon/socket';
import type { MainLogger } from '../log/mainlog';
import { RpcHttpServer, type HttpLimits } from './http';
import { RpcDispatcher } from './server';
import { DaemonMetrics } from '../metrics/collect';
import { tsvVersion } from '../cli/version';

/** What serveRpc needs from the daemon's run (src/daemon/lifecycle.ts). */
export interface RpcServeContext {
  api: EngineApi;
  /** the names of the [rpcinterface:x] sections: the main API is served under those with Supervisor's factory */
  config: Pick<Config, 'plugins'>;
  logger: MainLogger | null;
  servers: { readonly bound: readonly BoundServer[]; setHandler(h: ConnectionHandler): void };
}

export interface ServeOptions {
  limits?: Partial<HttpLimits>;
}

/** Serve XML-RPC and the log tails on every bound socket; returns the cleanup for the end of the run. */
export function serveRpc(ctx: RpcServeContext, opts: ServeOptions = {}): () => void {
  // Supervisor serves each [rpcinterface:NAME] as the namespace NAME (no
  // section, no supervisor.* methods: only system.*)
  const dispatcher = new RpcDispatcher(ctx.api, ctx.logger, mainRpcNamespaces(ctx.config));
  // counting from before the first spawn of the run
  const metrics = new DaemonMetrics(ctx.api.engine, tsvVersion);
  const servers = new Map<BoundServer, RpcHttpServer>();
  for (const b of ctx.servers.bound) {
    const { username, password } = b.config;
    servers.set(
      b,
      new RpcHttpServer({
        dispatcher,
        api: ctx.api,
        metrics,
        logger: ctx.logger,
        // Supervisor turns authentication on when a username is set
        credentials: username ? { username, password: password ?? '' } : null,
        limits: opts.limits,
        label: serverLabel(b.config),
      }),
    );
  }
  ctx.servers.setHandler((socket: Socket, b: BoundServer) => {
    const s = servers.get(b);
    if (s) s.accept(socket);
    else socket.destroy();
  });
  return () => {
    for (const s of servers.values()) s.close();
    metrics.close();
  };
}
