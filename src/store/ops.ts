/** Reads for operators: the counts /metrics exports, and what `aics task status --why` shows. */
import Database from 'better-sqlite3';
import { schemaVersion, translateSqliteError } from './connection.js';
import { SCHEMA_VERSION } from './migrations.js';
import { SqliteRepository } from './repository.js';
import type { IntegrityReport } from './types.js';

export interface TaskCount {
  status: string;
  trigger_type: string;
  count: number;
}

export class SqliteOps extends SqliteRepository {
  /** Tasks by status and trigger type: one pass over the (status, trigger_type) index. */
  taskCounts(): Promise<TaskCount[]> {
    return this.read(
      () =>
        this.statement(
          `SELECT status, COALESCE(trigger_type, 'unknown') AS trigger_type, COUNT(*) AS count
           FROM tasks INDEXED BY tasks_status_trigger GROUP BY status, trigger_type`,
        ).all() as TaskCount[],
    );
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
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw translateSqliteError(error, file);
  }
  try {
    db.pragma('busy_timeout = 2000');
    const rows = db.pragma('quick_check') as Record<string, string>[];
    const problems = rows.map((r) => r.quick_check!);
    return {
      schema_version: schemaVersion(db),
      expected_version: SCHEMA_VERSION,
      integrity: { ok: problems.length === 1 && problems[0] === 'ok', problems },
    };
  } catch (error) {
    throw translateSqliteError(error, file);
  } finally {
    db.close();
  }
}
