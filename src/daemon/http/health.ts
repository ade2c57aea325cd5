/** GET /api/health: the seed's health check; minimal without the token when a token is required (auth.ts). */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, SERVICE_NAME, ok, type HealthMinimalData } from '../../api/index.js';
import type { HttpContext } from './server.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(API_PATHS.health, async (req) => {
    if (!req.authorized) return ok<HealthMinimalData>({ service: SERVICE_NAME, status: 'ok' });
    return ok(await ctx.health());
  });
}
