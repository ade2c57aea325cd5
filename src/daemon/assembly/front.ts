/**
 * The front assembly: what faces the outside — the 轻简 bridge socket and the HTTP API. Each part is built by the
 * composition root as its own step, because their stops sit at both ends of the stop order: the HTTP API drains
 * first, the bridge closes only after the worker's actions under way have finished their sends.
 */
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../../config.js';
import { AicsError, ExitCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { buildHttpServer, type HttpContext } from '../http/server.js';
import { QingjianBridge } from '../qingjian/index.js';
import type { WorkerBridge } from './worker.js';

export type BridgeOptions = Partial<ConstructorParameters<typeof QingjianBridge>[0]>;

/** The bridge client, not yet connecting (start() connects, after the worker is ready for its messages). */
export function buildBridge(settings: Pick<Settings, 'qingjianUrl'>, logger: Logger, options: BridgeOptions = {}): QingjianBridge {
  return new QingjianBridge({ url: settings.qingjianUrl, logger, ...options });
}

/** The bridge as the worker of this process sees it (the worker paces the sends itself: no SendMeta for the bridge). */
export function bridgeForWorker(bridge: QingjianBridge): WorkerBridge {
  return {
    sendText: (command, reqId) => bridge.sendText(command, reqId),
    sendFile: (command, reqId) => bridge.sendFile(command, reqId),
    onlineAccounts: () => bridge.onlineAccounts(),
    get isConnected() {
      return bridge.isConnected;
    },
    onStateChange: (handler) => bridge.onStateChange(handler),
    onMessage: (handler) => bridge.onMessage(handler),
  };
}

/** A start-up failure the operator can fix (port in use, unwritable folder): one line, exit 1. */
export class StartupError extends AicsError {
  constructor(message: string) {
    super(message, ExitCode.unexpected, 500);
  }
}

export interface HttpFront {
  readonly app: FastifyInstance;
  /** The port actually bound (the one asked for, or the one chosen for port 0). */
  readonly port: number;
  /** Stops accepting and lets requests in flight finish, closing their connections after `drainTimeoutMs`. */
  drain(drainTimeoutMs: number): Promise<void>;
}

/** Builds the HTTP API and listens; a port in use or an address not of this machine is a StartupError. */
export async function listenHttp(ctx: HttpContext, at: Pick<Settings, 'host' | 'port'>): Promise<HttpFront> {
  const app = buildHttpServer(ctx);
  const port = await listen(app, at);
  return {
    app,
    port,
    async drain(drainTimeoutMs) {
      const force = setTimeout(() => app.server.closeAllConnections(), drainTimeoutMs);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
    },
  };
}

async function listen(app: FastifyInstance, { host, port }: Pick<Settings, 'host' | 'port'>): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    // The server was built: close it, or its handles keep the process alive after a failed start.
    await app.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `port ${port} on ${host} is already in use (another aics?): find it with "ss -ltnp 'sport = :${port}'", or choose --port`,
      );
    }
    if (code === 'EACCES')
      throw new StartupError(`not allowed to listen on ${where} (ports below 1024 need privileges): choose --port 6060`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new StartupError(`cannot listen on ${where}: ${host} is not an address of this machine (--host, AI_CS_HOST)`);
    }
    throw new StartupError(`cannot listen on ${where}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
