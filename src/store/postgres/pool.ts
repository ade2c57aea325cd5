/**
 * The PostgreSQL connection pool, transactions with a retry on serialization failures, and the translation of the
 * server's errors into the store's own (as connection.ts does for SQLite).
 */
import pg from 'pg';
import { AicsError, DatabaseError, InvalidStateError, ValidationError } from '../../errors.js';
import { redactUrl } from '../location.js';

export type Pool = pg.Pool;
/** One connection inside a transaction (or a single statement on the pool). */
export type Queryable = pg.Pool | pg.PoolClient;

/** Connections per store when neither --db-pool nor AICS_DB_POOL says otherwise. */
export const DEFAULT_POOL_SIZE = 10;
export const MAX_POOL_SIZE = 1000;

const INT8 = 20;
const NUMERIC = 1700;

/**
 * BIGINT columns (times in ms, counts) come back as numbers: every value the store keeps fits in 2^53, and the
 * SQLite store returns numbers too. Per pool, so other pg users in the process keep pg's defaults.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Checks a pool size (flag or setting); ValidationError naming `field` when it is not a whole number in range. */
export function poolSize(value: unknown, field = '--db-pool / AICS_DB_POOL'): number {
  if (value === undefined || value === null || value === '') return DEFAULT_POOL_SIZE;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_POOL_SIZE) {
    throw new ValidationError(`${field}: must be a whole number from 1 to ${MAX_POOL_SIZE} (got "${String(value)}")`, field);
  }
  return n;
}

/** A pool on `url`; the first connection is made here, so a wrong address or password fails at open. */
export async function openPool(url: string, options: { size?: number; readonly?: boolean } = {}): Promise<Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize(options.size),
    types,
    application_name: 'aics',
    // A read-only open (commands that must change nothing) is enforced by the server, not only by our care.
    ...(options.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection the server dropped must not crash the daemon: the next query takes a fresh one.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw translatePgError(error, redactUrl(url));
  }
  return pool;
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/**
 * Runs fn inside BEGIN … COMMIT on one connection of the pool; a serialization failure or deadlock runs it again
 * (fn must only touch the database, so running it again is safe). Errors come out translated.
 */
export async function transaction<T>(pool: Pool, where: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw translatePgError(error, where);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: let the pool drop it
      }
      const code = (error as { code?: string }).code ?? '';
      if (RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
      throw translatePgError(error, where);
    } finally {
      client.release(broken);
    }
  }
}

/** PostgreSQL's and the driver's failures, turned into one clear sentence that says what to do. */
export function translatePgError(error: unknown, where: string): Error {
  if (error instanceof AicsError) return error;
  const err = error as { code?: string; message?: string; constraint?: string };
  const code = err.code ?? '';
  const detail = err.message ?? String(error);
  if (code === '23505') return new InvalidStateError(`database ${where}: already stored (${err.constraint ?? detail})`);
  if (RETRYABLE.has(code) || code === '55P03') {
    return new DatabaseError(`database ${where} is busy (${detail}); try again`, 'locked', detail);
  }
  if (code === '25006' || code === '42501') {
    return new DatabaseError(`database ${where} cannot be written (${detail}): check the role's privileges`, 'readonly', detail);
  }
  if (code === '53100') return new DatabaseError(`database ${where}: the server's disk is full (${detail})`, 'full', detail);
  if (code.startsWith('XX0') || code === '58030') {
    return new DatabaseError(`database ${where} reports damage (${detail}): check it with pg_amcheck`, 'damaged', detail);
  }
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) ||
    /^(08|28|3D|57P)/.test(code)
  ) {
    return new DatabaseError(
      `database ${where} cannot be reached (${detail}): check that the server runs and the URL's host, port, user, password and database name`,
      'cantopen',
      detail,
    );
  }
  if (code) return new DatabaseError(`database ${where}: ${detail}`, 'other', detail);
  return error instanceof Error ? error : new Error(detail);
}
