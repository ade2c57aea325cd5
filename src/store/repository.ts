/** What every SQLite-backed part of the store shares: the connection, the clock, transactions, error translation. */
import type { Statement } from 'better-sqlite3';
import { translateSqliteError, type Db } from './connection.js';
import { GroupCommit } from './group-commit.js';

export abstract class SqliteRepository {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly file: string,
    protected readonly clock: () => number,
  ) {}

  /**
   * Runs fn as one IMMEDIATE transaction (the write lock is taken up front, so two processes never deadlock). The
   * BEGIN, COMMIT and ROLLBACK statements are prepared once: db.transaction(fn) built a new wrapper on every write
   * (profiled at about a tenth of intake's CPU). Inside another transaction fn runs in a savepoint, as it did.
   */
  protected write<T>(fn: () => T): Promise<T> {
    try {
      if (this.db.inTransaction) return Promise.resolve(this.db.transaction(fn)());
      this.statement('BEGIN IMMEDIATE').run();
      try {
        const value = fn();
        this.statement('COMMIT').run();
        return Promise.resolve(value);
      } catch (error) {
        if (this.db.inTransaction) this.statement('ROLLBACK').run();
        throw error;
      }
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.file));
    }
  }

  /**
   * Runs fn in the connection's group commit: the writes of one turn of the event loop (a burst of customers'
   * messages, of answers logged) share one transaction; the promise settles after that commit.
   */
  protected writeGrouped<T>(fn: () => T): Promise<T> {
    return GroupCommit.of(this.db, this.file).run(fn);
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
