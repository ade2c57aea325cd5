import * as Flags from '@oclif/core/flags';
import { existsSync } from 'node:fs';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { table } from '../../cli/format.js';
import { assertNoDaemonOn, migrateStore, type MigrationReport } from '../../app/index.js';
import { inspectPidFile, pidFileFor, alreadyRunning } from '../../daemon/control/pid-file.js';
import { ExitCode, NotFoundError, ValidationError } from '../../errors.js';
import { MISSED_BEATS, openStore, parseStoreLocation, type DaemonRecord, type Store } from '../../store/index.js';

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override summary = 'Copy a whole store to another: SQLite to PostgreSQL, the way back, or SQLite to SQLite.';
  static override description = `Copies every table (tasks with their history and attempts, the outbox, received messages and callbacks, the
chat log, conversations and orders, answers not yet sent, the pause switch) page by page, writing only the rows the
target does not have yet, then counts both sides table by table. Running it again changes nothing. The target is
created (and its schema made) when it does not exist. A progress bar goes to stderr on a terminal.

The source must be still: a daemon running on it is refused (exit 5, naming it), found by its pid file (beside a
SQLite file, or --pid-file) and the daemons' registry in the database. Exit 1 when a table's counts differ after
the copy (the table says which).

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'Move to PostgreSQL (stop the daemon first, then start it with --db postgres://…)',
      command: '<%= config.bin %> db migrate --from db/task_db/tasks.db --to postgres://aics:secret@db.local/aics',
    },
    {
      description: 'The way back, into a new SQLite file',
      command: '<%= config.bin %> db migrate --from postgres://aics@db.local/aics --to back.db',
    },
    {
      description: 'For a script: per-table counts as JSON',
      command: '<%= config.bin %> db migrate --to postgres://aics@db.local/aics --json',
    },
  ];
  static override flags = {
    from: Flags.string({ summary: 'The store to copy: a SQLite file or postgres://… URL (default: --db / AICS_DB).' }),
    to: Flags.string({ summary: 'The store to copy into: a SQLite file or postgres://… URL.', required: true }),
  };

  async run(): Promise<MigrationReport> {
    const settings = this.settings();
    const from = this.flags.from ?? settings.db;
    const source = parseStoreLocation(from);
    const target = parseStoreLocation(this.flags.to);
    const name = (l: typeof source) => (l.kind === 'sqlite' ? l.file : l.url);
    if (name(source) === name(target)) throw new ValidationError('--to: is the same store as --from', '--to');
    if (source.kind === 'sqlite') {
      if (!existsSync(source.file))
        throw new NotFoundError(`database ${source.file} does not exist (nothing was created): name it with --from`);
      const found = inspectPidFile(pidFileFor({ pidFile: settings.pidFile, db: source.file }));
      if (found.state === 'running') throw alreadyRunning(found.pid, pidFileFor({ pidFile: settings.pidFile, db: source.file }));
    }
    const opened: Store[] = [];
    try {
      const sourceStore = await openStore(name(source));
      opened.push(sourceStore);
      assertNoDaemonOn(sourceStore, await daemonsOf(sourceStore), Date.now(), settings.heartbeatMs * MISSED_BEATS);
      const targetStore = await openStore(name(target));
      opened.push(targetStore);
      const report = await migrateStore(sourceStore, targetStore, { onProgress: progressBar() });
      this.say(
        table(
          ['table', 'source', 'copied now', 'target', ''],
          report.tables.map((t) => [t.table, t.source, t.copied, t.target, t.ok ? 'ok' : 'MISMATCH']),
        ),
      );
      this.say(
        report.ok
          ? `copied ${report.from} to ${report.to}: every table has as many rows on both sides`
          : 'counts differ: see MISMATCH above',
      );
      if (!report.ok) process.exitCode = ExitCode.unexpected;
      return report;
    } finally {
      for (const store of opened) await store.close();
    }
  }
}

/** The source's daemons; none on a database from before the registry. */
async function daemonsOf(store: Store): Promise<DaemonRecord[]> {
  try {
    return await store.daemons.list();
  } catch {
    return [];
  }
}

/** "tasks  1200/5000 [#####...............]" rewritten in place on a terminal's stderr; nothing elsewhere. */
function progressBar(): ((table: string, done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (name, done, total) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    process.stderr.write(`\r${name.padEnd(20)} ${String(done).padStart(9)}/${total} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
    if (done >= total) process.stderr.write('\n');
  };
}
