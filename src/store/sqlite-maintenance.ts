/**
 * The SQLite-only part of the store: file sizes, the online backup, integrity checks, and a read-only look at a
 * file's schema version for `aics doctor`. Nothing here belongs in the ports: a database server has its own tools.
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { schemaVersion, translateSqliteError, type Db } from './connection.js';
import { SCHEMA_VERSION } from './migrations.js';
import type { BackgroundCheckpoints, IntegrityReport, StoreFileSizes, StoreMaintenance } from './ports/maintenance.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export class SqliteMaintenance implements StoreMaintenance {
  constructor(
    private readonly db: Db,
    readonly file: string,
  ) {}

  fileSizes(): Promise<StoreFileSizes> {
    return Promise.resolve({ file_bytes: fileSize(this.file), wal_bytes: fileSize(`${this.file}-wal`) });
  }

  async backup(destination: string): Promise<{ file: string; bytes: number }> {
    const target = resolve(destination);
    if (target === this.file) throw new ValidationError('FILE: the backup must not be the database itself', 'FILE');
    mkdirSync(dirname(target), { recursive: true });
    try {
      // SQLite's online backup API: a consistent copy while other processes keep writing.
      await this.db.backup(target);
    } catch (error) {
      throw translateSqliteError(error, target);
    }
    return { file: target, bytes: fileSize(target) };
  }

  /** PRAGMA integrity_check; `quick` runs quick_check (no index contents: linear, for start-up). */
  check(options: { quick?: boolean } = {}): Promise<IntegrityReport> {
    try {
      return Promise.resolve(integrity(this.db, options.quick ? 'quick_check' : 'integrity_check'));
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.file));
    }
  }

  startBackgroundCheckpoints(options: { onWarning: (message: string) => void }): BackgroundCheckpoints {
    return new WalCheckpointer(this.db, this.file, options);
  }
}

function integrity(db: Db, pragma: 'quick_check' | 'integrity_check'): IntegrityReport {
  const rows = db.pragma(pragma) as Record<string, string>[];
  const problems = rows.map((r) => r[pragma]!);
  return { ok: problems.length === 1 && problems[0] === 'ok', problems };
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export interface DatabaseInspection {
  schema_version: number;
  /** The version this aics writes; a higher schema_version means a newer aics wrote the file. */
  expected_version: number;
  integrity: IntegrityReport;
}

/**
 * The file's schema version and a quick integrity check, read-only and without migrating (aics doctor changes
 * nothing). Throws the store's DatabaseError when the file cannot be opened.
 */
export function inspectDatabase(file: string): DatabaseInspection {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw translateSqliteError(error, file);
  }
  try {
    db.pragma('busy_timeout = 2000');
    return { schema_version: schemaVersion(db), expected_version: SCHEMA_VERSION, integrity: integrity(db, 'quick_check') };
  } catch (error) {
    throw translateSqliteError(error, file);
  } finally {
    db.close();
  }
}
