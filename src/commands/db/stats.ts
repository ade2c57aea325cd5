import { taskStats } from '../../app/index.js';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { formatBytes, keyValues, localTime, table } from '../../cli/format.js';
import type { StoreFileSizes, StoreStats } from '../../store/index.js';
import { TRIGGER_TYPES } from '../../tasks/index.js';
import { TASK_STATUSES } from '../../tasks/status.js';

export default class DbStats extends BaseCommand<typeof DbStats> {
  static override summary = 'Counts of tasks by status and trigger, what is due next, and the database’s size.';
  static override description = `Opens the database read-only, so it is safe while the daemon runs. Shows the counts the seed's
"SELECT status, COUNT(*) … GROUP BY status" gave, and more: tasks by trigger type, the oldest task still
pending (a daemon that is not arming tasks shows here), the next clock-triggered task, callbacks not yet
delivered to Tianwang (the outbox), the schema version and the sizes of the database and its WAL file.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'How the default database is doing', command: '<%= config.bin %> db stats' },
    { description: 'Another database, as JSON for monitoring', command: '<%= config.bin %> db stats --db /srv/aics/tasks.db --json' },
  ];

  /** The sizes only for a store kept in a local file (SQLite). */
  async run(): Promise<StoreStats & Partial<StoreFileSizes>> {
    this.existingDatabase();
    const store = await this.repositories({ readonly: true });
    const stats = { ...(await taskStats({ store })), ...(await store.maintenance?.fileSizes()) };
    const zone = this.settings().timeZone;
    this.say(
      keyValues([
        ['database', stats.file],
        ...(stats.file_bytes === undefined
          ? []
          : [['size', `${formatBytes(stats.file_bytes)} (WAL ${formatBytes(stats.wal_bytes ?? 0)})`] as [string, string]]),
        ['schema', `version ${stats.schema_version}`],
        ['tasks', stats.total],
        [
          'oldest pending',
          stats.oldest_pending ? `${stats.oldest_pending.task_id}, received ${localTime(stats.oldest_pending.created_at, zone)}` : 'none',
        ],
        ['next due', stats.next_due ? `${stats.next_due.task_id} at ${localTime(stats.next_due.due_at, zone)}` : 'none'],
        ['outbox', `${stats.outbox_backlog} callback${stats.outbox_backlog === 1 ? '' : 's'} not yet delivered`],
      ]),
    );
    this.say('');
    this.say(
      table(
        ['STATUS', 'TASKS'],
        TASK_STATUSES.map((s) => [s, stats.by_status[s] ?? 0]),
      ),
    );
    const triggers = [...new Set([...TRIGGER_TYPES, ...Object.keys(stats.by_trigger_type)])];
    this.say(
      table(
        ['TRIGGER', 'TASKS'],
        triggers.map((t) => [t, stats.by_trigger_type[t] ?? 0]),
      ),
    );
    return stats;
  }
}
