/**
 * Opening the SQLite file: folders, WAL, busy timeout, migrations, and the translation of SQLite's failures into
 * errors an operator can act on.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AicsError, DatabaseError, SchemaTooNewError } from '../errors.js';
import { shardOf } from '../tasks/shard.js';
import { adoptSeedTasksTable, hasSeedTasksTable } from './legacy.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import type { Db } from './db.js';

export type { Db } from './db.js';

/** Relative to the working folder, as in the seed (`cd …/ai_cs && python3 run.py`). */
export const DEFAULT_DB_PATH = 'db/task_db/tasks.db';

export interface OpenOptions {
  /** Wait this long for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** How a commit reaches the disk (AICS_DB_SYNC); default normal. */
  sync?: DbSync;
}

/**
 * normal (WAL + synchronous=NORMAL): a commit survives a crash of the process; a power loss or OS crash can lose the
 * last transactions (never corrupts the file). full (synchronous=FULL): every commit is fsynced before it is
 * answered, so it survives a power loss too; the group commit of receives shares one fsync among a burst.
 */
export const DB_SYNC_MODES = ['normal', 'full'] as const;
export type DbSync = (typeof DB_SYNC_MODES)[number];

/** Creates the database's folder, failing as opening the database would (e.g. a file where the folder should be). */
export function ensureDatabaseFolder(file: string): void {
  const path = resolve(file);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw translateSqliteError(error, path);
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const path = resolve(file);
  let db: Db;
  try {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw translateSqliteError(error, path);
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last transactions (DB_SYNC_MODES).
      db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    }
    db.pragma('foreign_keys = ON');
    registerShardFunction(db);
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw translateSqliteError(error, path);
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, path: string): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(current, SCHEMA_VERSION, path);
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      // Another process may have migrated while this one waited for the lock.
      if (schemaVersion(db) >= migration.version) return;
      // The Python system's tasks.db has the seed's tasks table and user_version 0: adopt it, don't fail on it.
      if (migration.version === 1 && hasSeedTasksTable(db)) adoptSeedTasksTable(db);
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/** SQLite's error codes, turned into one clear sentence that says what to do. */
export function translateSqliteError(error: unknown, path: string): Error {
  if (error instanceof AicsError) return error;
  const err = error as { code?: string; message?: string };
  const code = err.code ?? '';
  const detail = err.message ?? String(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DatabaseError(
      `database ${path} is locked by another process (${detail}); try again, or find the writer with: fuser ${path}`,
      'locked',
      detail,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || ['EACCES', 'EROFS', 'EPERM', 'ENOTDIR', 'EEXIST'].includes(code)) {
    return new DatabaseError(
      `database ${path} cannot be written (${detail}): check the folder's permissions and free space`,
      'readonly',
      detail,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return new DatabaseError(
      `database ${path} is damaged (${detail}): run "aics db check", then restore the latest "aics db backup" copy; nothing was deleted`,
      'damaged',
      detail,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    if (folderIsReadOnly(path)) {
      return new DatabaseError(
        `database ${path} is on a read-only file system (${detail}): remount it read-write or copy the database elsewhere; nothing was changed`,
        'readonly',
        detail,
      );
    }
    return new DatabaseError(
      `database ${path} cannot be opened (${detail}): check that the folder exists and is writable`,
      'cantopen',
      detail,
    );
  }
  if (code.startsWith('SQLITE_FULL')) return new DatabaseError(`database ${path}: the disk is full (${detail})`, 'full', detail);
  if (code.startsWith('SQLITE_')) return new DatabaseError(`database ${path}: ${detail}`, 'other', detail);
  return error instanceof Error ? error : new Error(detail);
}

/** SQLite in WAL mode needs to write beside the file even to read it; a read-only mount is the usual reason it cannot. */
function folderIsReadOnly(path: string): boolean {
  try {
    accessSync(dirname(path), constants.W_OK);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/**
 * aics_shard(acc_id, customer_id, count): the worker of `serve --multi` that owns the customer (src/tasks/shard.ts),
 * so that a worker's scheduler reads only its own due tasks (ClaimScope.shard); no customer: worker 0.
 */
function registerShardFunction(db: Db): void {
  db.function('aics_shard', { deterministic: true }, (accId: unknown, customerId: unknown, count: unknown) =>
    customerId === null ? 0 : shardOf(typeof accId === 'string' ? accId : '', String(customerId), Number(count)),
  );
}
