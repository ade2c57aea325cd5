/** What every PostgreSQL-backed part of the store shares: the pool, the clock, transactions, error translation. */
import type pg from 'pg';
import { transaction, translatePgError, type Pool } from './pool.js';

export type Row = Record<string, unknown>;

export abstract class PgRepository {
  constructor(
    readonly pool: Pool,
    /** Where the store lives (the URL without its password), for messages. */
    readonly file: string,
    protected readonly clock: () => number,
  ) {}

  /** Runs fn as one transaction (retried whole on a serialization failure or deadlock). */
  protected write<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return transaction(this.pool, this.file, fn);
  }

  /** One statement outside a transaction (a read, or a write that is one statement); its rows. */
  protected async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params as unknown[])).rows;
    } catch (error) {
      throw translatePgError(error, this.file);
    }
  }

  /** The first row of a statement, or undefined. */
  protected async one<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params))[0];
  }
}

/** The rows of one statement on a transaction's client. */
export async function rowsOf<R extends Row = Row>(client: pg.PoolClient, sql: string, params: readonly unknown[] = []): Promise<R[]> {
  return (await client.query<R>(sql, params as unknown[])).rows;
}
