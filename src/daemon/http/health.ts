/**
 * GET /api/health: the seed's health check; minimal without the token when a token is required (auth.ts). The
 * bridge's accounts come a page at a time (`accounts_page`, `accounts_page_size`; default the first 50 by acc_id),
 * so a bridge that reports thousands of accounts cannot make the answer huge.
 */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, SERVICE_NAME, ok, type HealthMinimalData } from '../../api/index.js';
import { ValidationError } from '../../errors.js';
import { DEFAULT_ACCOUNTS_PAGE_SIZE, MAX_ACCOUNTS_PAGE_SIZE } from '../qingjian/accounts.js';
import type { HealthPaging, HttpContext } from './context.js';

export type { HealthPaging } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(API_PATHS.health, async (req) => {
    if (!req.authorized) return ok<HealthMinimalData>({ service: SERVICE_NAME, status: 'ok' });
    return ok(await ctx.health(parseHealthQuery(req.query as Record<string, unknown>)));
  });
}

/** Each bad parameter is a 400 naming it; empty values count as absent. */
export function parseHealthQuery(query: Record<string, unknown>): HealthPaging {
  const whole = (name: string, fallback: number, max: number): number => {
    const value = query[name];
    if (Array.isArray(value)) throw new ValidationError(`${name}: given more than once`, name);
    const text = typeof value === 'string' ? value.trim() : '';
    if (text === '') return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max)
      throw new ValidationError(`${name}: must be a whole number from 1 to ${max}, not "${text}"`, name);
    return n;
  };
  return {
    accountsPage: whole('accounts_page', 1, Number.MAX_SAFE_INTEGER),
    accountsPageSize: whole('accounts_page_size', DEFAULT_ACCOUNTS_PAGE_SIZE, MAX_ACCOUNTS_PAGE_SIZE),
  };
}
