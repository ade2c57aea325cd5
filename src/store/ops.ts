/** Reads for operators: the counts /metrics exports, and what `aics task status --why` shows. */
import Database from 'better-sqlite3';
import { schemaVersion, translateSqliteError } from './connection.js';
import { SCHEMA_VERSION } from './migrations.js';
import { SqliteRepository } from './repository.js';
import type { WhyMessage } from '../tasks/why.js';
import type { IntegrityReport } from './types.js';

export interface TaskCount {
  status: string;
  trigger_type: string;
  count: number;
}

/** A customer's message as `task status --why` sees it (the task model's shape, read from the store). */
export type SeenMessage = WhyMessage;

export class SqliteOps extends SqliteRepository {
  /**
   * Customers' recent messages, newest last: from the chat log (kept with their text when the agent runs), else
   * from the de-duplication keys (arrival only; kept 7 days). With fromId, that customer's; else anyone's.
   */
  recentMessages(options: { fromId?: string; limit: number }): Promise<SeenMessage[]> {
    return this.read(() => {
      const chat = (
        options.fromId === undefined
          ? this.statement(`SELECT acc_id, from_id, msg_id, text, at_ms FROM chat_messages WHERE role = 'customer' ORDER BY id DESC LIMIT ?`).all(options.limit)
          : this.statement(
              `SELECT acc_id, from_id, msg_id, text, at_ms FROM chat_messages INDEXED BY chat_messages_from WHERE from_id = ? AND role = 'customer' ORDER BY id DESC LIMIT ?`,
            ).all(options.fromId, options.limit)
      ) as Omit<SeenMessage, 'from_name'>[];
      const seen = new Set(chat.map((m) => `${m.acc_id}/${m.msg_id}`));
      const arrivals = (
        options.fromId === undefined
          ? this.statement(`SELECT acc_id, from_id, msg_id, NULL AS text, received_at AS at_ms FROM inbound_messages ORDER BY received_at DESC LIMIT ?`).all(options.limit)
          : this.statement(
              `SELECT acc_id, from_id, msg_id, NULL AS text, received_at AS at_ms FROM inbound_messages WHERE from_id = ? ORDER BY received_at DESC LIMIT ?`,
            ).all(options.fromId, options.limit)
      ) as Omit<SeenMessage, 'from_name'>[];
      const names = this.statement('SELECT name FROM contacts WHERE acc_id = ? AND from_id = ?');
      return [...chat, ...arrivals.filter((m) => !seen.has(`${m.acc_id}/${m.msg_id}`))]
        .sort((a, b) => b.at_ms - a.at_ms)
        .slice(0, options.limit)
        .reverse()
        .map((m) => ({ ...m, from_name: (names.get(m.acc_id, m.from_id) as { name: string | null } | undefined)?.name ?? null }));
    });
  }

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
