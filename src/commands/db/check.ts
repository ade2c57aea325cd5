import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { DatabaseError, ExitCode } from '../../errors.js';

export interface CheckResult {
  ok: boolean;
  file: string;
  /** ["ok"], or what SQLite found wrong. */
  problems: string[];
  advice: string | null;
}

export default class DbCheck extends BaseCommand<typeof DbCheck> {
  static override summary = 'Check that the task database is intact (PRAGMA integrity_check).';
  static override description = `Opens the database read-only and runs SQLite's integrity check over every page and index. Prints
"ok: …" and exits 0 when the database is intact; prints "DAMAGED: …" with what to do and exits 7 when it is not,
including when the file is not a SQLite database at all. A database that is merely locked or unreadable also
exits 7, with that reason.

A PostgreSQL database (--db postgres://…) is checked with the server's own tool, pg_amcheck; this command
refuses it (exit 2).

A damaged database is never deleted or changed by aics. Restore the latest copy made with "aics db backup"
(the old system's advice to delete tasks.db loses every task).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'After a crash or a full disk', command: '<%= config.bin %> db check' },
    { description: 'Check a backup before restoring it', command: '<%= config.bin %> db check --db backups/tasks-2026-02-28.db' },
    { description: 'From a monitoring script (exit 7 = damaged)', command: '<%= config.bin %> db check --json' },
  ];

  async run(): Promise<CheckResult> {
    const file = this.existingDatabase();
    let problems: string[];
    try {
      const report = await (await this.maintenance("pg_amcheck, the server's own check (e.g. pg_amcheck --heapallindexed DBNAME)")).check();
      problems = report.ok ? [] : report.problems;
    } catch (error) {
      // A file that SQLite cannot even read as a database is the worst kind of damage: report it as such.
      if (!(error instanceof DatabaseError && error.failure === 'damaged')) throw error;
      problems = [error.detail ?? error.message];
    }

    if (problems.length === 0) {
      this.say(`ok: database ${file} is intact (integrity_check found no problems)`);
      return { ok: true, file, problems: ['ok'], advice: null };
    }
    const advice =
      `stop the daemon; keep this file (do not delete it, it may still be needed to recover tasks); restore the latest ` +
      `backup made with "aics db backup":  cp BACKUP ${file} && rm -f ${file}-wal ${file}-shm  then run "aics db check" again`;
    this.say(`DAMAGED: database ${file} is damaged:`);
    for (const p of problems.slice(0, 20)) this.say(`  ${p}`);
    if (problems.length > 20) this.say(`  … and ${problems.length - 20} more`);
    this.say(`what to do: ${advice}`);
    process.exitCode = ExitCode.database;
    return { ok: false, file, problems, advice };
  }
}
