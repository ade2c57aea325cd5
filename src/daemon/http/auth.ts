/**
 * The bearer token (AICS_API_TOKEN). When it is set, every route requires `Authorization: Bearer <token>`, except
 * that GET /api/health answers a minimal "alive" body without it (for load balancers and container health checks);
 * the full health (version, database, counts) needs the token. Compared in constant time: both sides are hashed
 * first, so timingSafeEqual always sees two equal-length digests and the token's length does not leak either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export type TokenCheck = (authorization: string | undefined) => boolean;

export function tokenChecker(token: string): TokenCheck {
  const expected = digest(token);
  return (authorization) => {
    const m = /^Bearer[ \t]+(.+)$/i.exec(authorization?.trim() ?? '');
    // Hash even when absent, so a missing header costs the same as a wrong one.
    const given = digest(m?.[1]?.trim() ?? '');
    return timingSafeEqual(given, expected) && m !== null;
  };
}
