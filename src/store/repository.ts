/** What every SQLite-backed part of the store shares: the connection, the clock, transactions, error translation. */
import type { Statement } from 'better-sqlite3';
import { translateSqliteError, type Db } from './connection.js';

/** Writes made through this process's connection, which PRAGMA data_version does not count. */
const ownWrites = new WeakMap<Db, number>();

/**
 * Changes whenever tasks may have changed: another connection committed (data_version) or this one wrote tasks.
 * Lets callers keep a cache and refresh it only when needed.
 */
export function changeToken(db: Db): string {
  return `${db.pragma('data_version', { simple: true }) as number}:${ownWrites.get(db) ?? 0}`;
}

export abstract class SqliteRepository {
  private readonly statements = new Map<string, Statement>();

  /** Whether this repository's writes change tasks (and so the change token); message bookkeeping does not. */
  protected readonly changesTasks: boolean = false;

  constructor(
    readonly db: Db,
    readonly file: string,
    protected readonly clock: () => number,
  ) {}

  /** Runs fn as one IMMEDIATE transaction (the write lock is taken up front, so two processes never deadlock). */
  protected write<T>(fn: () => T): Promise<T> {
    try {
      const result = this.db.transaction(fn).immediate();
      if (this.changesTasks) ownWrites.set(this.db, (ownWrites.get(this.db) ?? 0) + 1);
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.file));
    }
  }

  /**
   * A prepared statement, prepared once per SQL text: preparing costs more than running a small statement, and
   * every operation runs a handful. The texts are constants of the store, so the cache stays small.
   */
  protected statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Whether a query returns a row: a cheap look before taking the write lock. */
  protected exists(sql: string, ...params: unknown[]): Promise<boolean> {
    return this.read(() => this.statement(sql).get(...params) !== undefined);
  }

  protected read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.file));
    }
  }
}
