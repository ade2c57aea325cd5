/** Reads for operators: the counts /metrics exports, and what `aics task status --why` shows. */
import { SqliteRepository } from './repository.js';

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
