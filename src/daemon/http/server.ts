/**
 * The HTTP API on fastify (DESIGN.md "HTTP API"). Every answer, errors included, is the `{code, message, data}`
 * envelope with the HTTP status equal to `code`: 400 bad input (naming the field), 401 token, 404 unknown task or
 * route, 403 a Host that is not loopback without a token, 405 wrong method, 409 state conflict, 413 body over 256 KiB,
 * 415 a POST body that is not JSON, 429 the callback sink over its rate, 500, 503.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { API_PATHS, MESSAGES, badRequest, envelope, type Envelope } from '../../api/index.js';
import { ValidationError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { tokenChecker } from './auth.js';
import { hostChecker } from './host-check.js';
import { registerCallbackRoutes } from './callback.js';
import { BODY_LIMIT_BYTES, MAX_BODY_DEPTH, errorEnvelope, nestedDeeperThan } from './errors.js';
import type { HttpContext } from './context.js';
import { registerHealthRoutes } from './health.js';
import { registerTaskRoutes } from './tasks.js';

export type { HttpContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request carried the right token, or no token is configured. */
    authorized: boolean;
    /** Why a request failed with a 4xx, for its log line. */
    failure: string | null;
  }
}

export function send(reply: FastifyReply, body: Envelope): FastifyReply {
  return reply.code(body.code).send(body);
}

export const HEADERS_TIMEOUT_MS = 10_000;
export const MAX_CONNECTIONS = 1000;

const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

export function buildHttpServer(ctx: HttpContext): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Our own 503 below keeps the envelope; fastify's would not.
    return503OnClosing: false,
    requestTimeout: 30_000,
    // Sockets that send their headers slowly are closed after HEADERS_TIMEOUT_MS (checked every second, not node's
    // default 30 s), so a few thousand of them cannot hold the API for long (issue #17 point 11).
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    // A task_id may be 128 characters, percent-encoded up to 12 bytes each; fastify's default (100) answered 414 to
    // GET /api/task/status/<an id of 101 characters> that receive had accepted.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    frameworkErrors: (error, _req, reply) => {
      send(reply, errorEnvelope(error));
    },
    // Requests node's HTTP parser refuses before fastify sees them (headers over 16 KiB, a malformed request line or
    // header, a lower-case method) get the envelope too, not fastify's own error body.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, ctx.logger),
  });
  // Beyond this many open connections new ones are refused at once, keeping file descriptors for the database and log.
  app.server.maxConnections = MAX_CONNECTIONS;
  app.decorateRequest('authorized', false);
  app.decorateRequest('failure', null);

  // Only JSON bodies: without its text/plain parser fastify answers any other type with 415.
  app.removeContentTypeParser('text/plain');

  const checkToken = ctx.settings.apiToken ? tokenChecker(ctx.settings.apiToken) : null;
  // Without a token, a Host that is not loopback (or listed) is a page using DNS rebinding: see host-check.ts.
  const checkHost = checkToken === null ? hostChecker(ctx.settings.allowedHosts ?? []) : null;
  app.addHook('onRequest', async (req, reply) => {
    if (ctx.isStopping()) {
      reply.header('connection', 'close');
      return send(reply, envelope(503, MESSAGES.stopping, null));
    }
    if (checkHost && !checkHost(req.headers.host)) {
      req.failure = `Host ${JSON.stringify(req.headers.host ?? '')} is not loopback`;
      return send(
        reply,
        envelope(
          403,
          `${MESSAGES.forbiddenHost}: Host "${String(req.headers.host ?? '').slice(0, 100)}" is not a loopback name; add it to AICS_ALLOWED_HOSTS or set AICS_API_TOKEN`,
          null,
        ),
      );
    }
    req.authorized = checkToken === null || checkToken(req.headers.authorization);
    // GET (and HEAD) /api/health answer without the token too, in the minimal form (see auth.ts); nothing else does.
    const openHealth = req.routeOptions.url === API_PATHS.health && (req.method === 'GET' || req.method === 'HEAD');
    if (!req.authorized && !openHealth) {
      reply.header('www-authenticate', 'Bearer');
      req.failure = 'missing or wrong bearer token';
      return send(reply, envelope(401, `${MESSAGES.unauthorized}: send Authorization: Bearer <AICS_API_TOKEN>`, null));
    }
  });

  // A body nested thousands of levels deep parses, but then overflows the stack wherever it is walked recursively
  // (JSON.stringify when the callback sink stores it answered 500): refuse it before any route sees it.
  app.addHook('preValidation', async (req) => {
    if (req.body !== null && typeof req.body === 'object' && nestedDeeperThan(req.body, MAX_BODY_DEPTH)) {
      throw new ValidationError(`body: is nested deeper than ${MAX_BODY_DEPTH} levels`, 'body');
    }
  });

  // A request that was already in flight when the daemon began to stop closes its connection after the answer,
  // so the drain does not wait for kept-alive connections to time out.
  app.addHook('onSend', async (_req, reply) => {
    if (ctx.isStopping()) reply.header('connection', 'close');
  });

  // One line per answer: debug when it went well, warn (with the reason) for a client error; 5xx are logged at error
  // level, with the stack, by the error handler.
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500) return;
    const body = req.body as { task_id?: unknown } | undefined;
    const taskId = typeof body?.task_id === 'string' ? body.task_id : (req.params as { task_id?: string } | undefined)?.task_id;
    const line = {
      method: req.method,
      url: req.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: req.ip,
      task_id: taskId,
    };
    if (reply.statusCode >= 400)
      ctx.logger.warn(line, `HTTP ${req.method} ${req.url} → ${reply.statusCode}${req.failure ? ` ${req.failure}` : ''}`);
    else ctx.logger.debug(line, `HTTP ${req.method} ${req.url} → ${reply.statusCode}`);
  });

  app.setErrorHandler((error, req, reply) => {
    const body = errorEnvelope(error);
    if (body.code >= 500) ctx.logger.error({ err: error, method: req.method, url: req.url }, `${body.message} (${req.method} ${req.url})`);
    else req.failure = body.message;
    return send(reply, body);
  });

  app.setNotFoundHandler((req, reply) =>
    send(reply, envelope(404, `${MESSAGES.routeNotFound}: ${req.method} ${req.url.split('?')[0]}`, null)),
  );

  const routes = new Map<string, Set<string>>();
  const track = (method: string, url: string) => {
    if (!routes.has(url)) routes.set(url, new Set());
    routes.get(url)!.add(method);
    if (method === 'GET') routes.get(url)!.add('HEAD'); // fastify adds HEAD for every GET route
  };
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) track(m, route.url);
  });

  registerTaskRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  const metrics = ctx.metrics;
  if (metrics) {
    app.get(API_PATHS.metrics, async (_req, reply) => {
      const { contentType, text } = await metrics();
      return reply.type(contentType).send(text);
    });
  }
  registerCallbackRoutes(app, ctx);

  // A known path with another method: 405 naming the allowed ones, not a misleading 404.
  for (const [url, allowed] of [...routes]) {
    const others = METHODS.filter((m) => !allowed.has(m));
    const allow = [...allowed].sort().join(', ');
    app.route({
      method: others,
      url,
      handler: async (req, reply) => {
        reply.header('allow', allow);
        return send(reply, envelope(405, `${MESSAGES.methodNotAllowed}: ${req.method} ${url} (allowed: ${allow})`, null));
      },
    });
  }
  return app;
}

/** Writes the envelope for a request the HTTP parser refused, then closes the connection (as node does). */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  // A connection reset: nobody is left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? envelope(431, `${MESSAGES.headersTooLarge}: the request line and headers are larger than 16 KiB`, null)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? envelope(408, `${MESSAGES.requestTimeout}: the request did not arrive in time`, null)
        : badRequest(`request: is not valid HTTP/1.1 (${error.code ?? 'parse error'})`, 'request');
  logger.debug(
    { code: error.code, status: body.code },
    `HTTP request refused by the parser → ${body.code} (${error.code ?? error.message})`,
  );
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.code} ${STATUS_CODES[body.code]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
