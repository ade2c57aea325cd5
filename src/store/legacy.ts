/**
 * Adopting a tasks.db written by the Python system this replaces (the seed's schema, user_version 0): the seed
 * columns are kept as they are and the engine's columns are added and filled from them, so existing tasks stay
 * visible, keep firing, and the seed's sqlite3 queries still work. Runs inside migration 1's transaction.
 */
import { PRIORITY_RANK, canonicalJson, triggerDescriptor, type Priority } from '../tasks/index.js';
import type { Db } from './db.js';

/** Columns of the seed's CREATE TABLE and the ones aics adds, with what ALTER TABLE needs to add each. */
const COLUMNS: Record<string, string> = {
  specified_customer_id: 'TEXT',
  specified_customer_name: 'TEXT',
  customer_name: 'TEXT',
  customer_id: 'TEXT',
  trigger_type: 'TEXT',
  trigger_keyword: 'TEXT',
  trigger_keywords: 'TEXT',
  action_type: 'TEXT',
  action_file_url: 'TEXT',
  action_message: 'TEXT',
  priority: "TEXT DEFAULT 'normal'",
  timeout_hours: 'INTEGER DEFAULT 24',
  status: "TEXT DEFAULT 'pending'",
  retry_count: 'INTEGER DEFAULT 0',
  max_retry: 'INTEGER DEFAULT 3',
  created_at: 'TEXT',
  created_by: 'TEXT',
  triggered_at: 'TEXT',
  completed_at: 'TEXT',
  error_message: 'TEXT',
  result: 'TEXT',
  acc_id: 'TEXT',
  exact_match: 'INTEGER NOT NULL DEFAULT 0',
  trigger_time: 'TEXT',
  trigger_json: "TEXT NOT NULL DEFAULT '{}'",
  action_json: "TEXT NOT NULL DEFAULT '{}'",
  payload: "TEXT NOT NULL DEFAULT '{}'",
  priority_rank: 'INTEGER NOT NULL DEFAULT 1',
  due_at: 'INTEGER',
  expires_at: 'INTEGER',
  attempt: 'INTEGER NOT NULL DEFAULT 0',
  lease_owner: 'TEXT',
  lease_expires_at: 'INTEGER',
  target_acc_id: 'TEXT',
  target_from_id: 'TEXT',
  target_from_name: 'TEXT',
  updated_at: 'TEXT',
};

interface SeedRow {
  rowid: number;
  task_id: string;
  type: string | null;
  specified_customer_id: string | null;
  specified_customer_name: string | null;
  customer_id: string | null;
  customer_name: string | null;
  trigger_type: string | null;
  trigger_keyword: string | null;
  trigger_keywords: string | null;
  action_type: string | null;
  action_file_url: string | null;
  action_message: string | null;
  priority: string | null;
  timeout_hours: number | null;
  max_retry: number | null;
  created_at: string | null;
  created_by: string | null;
  status: string | null;
}

/** True when this database has a tasks table that aics did not create (the seed's). */
export function hasSeedTasksTable(db: Db): boolean {
  const cols = db.prepare("SELECT name FROM pragma_table_info('tasks')").all() as { name: string }[];
  return cols.length > 0 && !cols.some((c) => c.name === 'trigger_json');
}

export function adoptSeedTasksTable(db: Db): number {
  const existing = new Set((db.prepare("SELECT name FROM pragma_table_info('tasks')").all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of Object.entries(COLUMNS)) {
    if (!existing.has(name)) db.exec(`ALTER TABLE tasks ADD COLUMN ${name} ${type}`);
  }
  const rows = db.prepare('SELECT rowid, * FROM tasks').all() as SeedRow[];
  const update = db.prepare(
    `UPDATE tasks SET trigger_json = @trigger_json, action_json = @action_json, payload = @payload, priority_rank = @rank,
       expires_at = @expires_at, lease_expires_at = @lease_expires_at, updated_at = COALESCE(updated_at, created_at), type = COALESCE(type, 'task')
     WHERE rowid = @rowid`,
  );
  for (const row of rows) {
    const trigger = seedTrigger(row);
    const action = seedAction(row);
    const priority = (row.priority ?? 'normal') as Priority;
    const created = row.created_at ? Date.parse(row.created_at) : NaN;
    update.run({
      rowid: row.rowid,
      trigger_json: canonicalJson(trigger),
      action_json: canonicalJson(action),
      payload: canonicalJson({
        task_id: row.task_id,
        type: row.type ?? 'task',
        ...(row.customer_id ? { customer: { id: row.customer_id, ...(row.customer_name ? { name: row.customer_name } : {}) } } : {}),
        trigger,
        action,
        priority,
        timeout_hours: row.timeout_hours ?? 24,
        max_retry: row.max_retry ?? 3,
        ...(row.created_by ? { created_by: row.created_by } : {}),
      }),
      rank: PRIORITY_RANK[priority] ?? PRIORITY_RANK.normal,
      expires_at: Number.isNaN(created) ? null : created + (row.timeout_hours ?? 24) * 3_600_000,
      // A task the old system left running died with it: let the lease recovery retry it.
      lease_expires_at: row.status === 'running' ? 0 : null,
    });
  }
  return rows.length;
}

function keywords(row: SeedRow): string[] {
  if (!row.trigger_keywords) return row.trigger_keyword ? [row.trigger_keyword] : [];
  try {
    const parsed = JSON.parse(row.trigger_keywords) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // the old system may have stored "a,b,c"
  }
  return row.trigger_keywords
    .split(/[,，]/)
    .map((k) => k.trim())
    .filter(Boolean);
}

/** Each trigger type rebuilds itself from the seed's columns (src/tasks/triggers); an unknown type keeps its name. */
function seedTrigger(row: SeedRow): Record<string, unknown> {
  const type = row.trigger_type ?? 'unknown';
  const descriptor = triggerDescriptor(type);
  // time_reach kept its time outside the seed's columns: the task stays visible, and fails if it ever fires.
  if (!descriptor?.fromSeedRow) return { type };
  return descriptor.fromSeedRow({
    trigger_type: type,
    specified_customer_id: row.specified_customer_id ?? null,
    specified_customer_name: row.specified_customer_name ?? null,
    customer_id: row.customer_id ?? null,
    trigger_keyword: row.trigger_keyword ?? null,
    keywords: keywords(row),
  });
}

function seedAction(row: SeedRow): Record<string, unknown> {
  const type = row.action_type ?? 'send_message';
  if (type === 'send_message') return { type, message: row.action_message ?? '' };
  return { type, file_url: row.action_file_url ?? '', ...(row.action_message ? { message: row.action_message } : {}) };
}
