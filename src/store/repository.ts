/** What every SQLite-backed part of the store shares: the connection, the clock, transactions, error translation. */
import type { Statement } from 'better-sqlite3';
import { translateSqliteError, type Db } from './connection.js';

export abstract class SqliteRepository {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly file: string,
    protected readonly clock: () => number,
  ) {}

  /** Runs fn as one IMMEDIATE transaction (the write lock is taken up front, so two processes never deadlock). */
  protected write<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
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
