import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/format.js';
import { ValidationError } from '../../errors.js';
import { databaseFileAt } from '../../store/index.js';

export interface BackupResult {
  file: string;
  bytes: number;
  source: string;
  /** true when --force replaced an existing file. */
  replaced: boolean;
}

export default class DbBackup extends BaseCommand<typeof DbBackup> {
  static override summary = 'Write a consistent copy of the task database to FILE, while the daemon keeps running.';
  static override description = `Uses SQLite's online backup, so the copy is consistent even while the daemon writes, and it is
one self-contained file (no -wal beside it). The copy is written next to FILE first and renamed over it at the
end, so an interrupted backup never leaves a half-written FILE. An existing FILE is kept unless --force is given.

To restore: stop the daemon, copy the backup over the database file, and remove the database's -wal and -shm
files if they are left, then start the daemon again.

A PostgreSQL database (--db postgres://…) is backed up with the server's own tool, pg_dump; this command
refuses it (exit 2).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'A dated copy before an upgrade', command: '<%= config.bin %> db backup backups/tasks-$(date +%F).db' },
    { description: 'Replace last night’s copy (from cron)', command: '<%= config.bin %> db backup /var/backups/aics/tasks.db --force' },
  ];
  static override args = {
    file: Args.string({ required: true, description: 'Where to write the copy.' }),
  };
  static override flags = {
    force: Flags.boolean({ summary: 'Overwrite FILE if it exists.' }),
  };

  async run(): Promise<BackupResult> {
    const source = this.existingDatabase();
    const maintenance = await this.maintenance("pg_dump, the server's own backup (e.g. pg_dump --format=custom --file=aics.dump URL)");
    const target = resolve(this.args.file);
    if (target === source) throw new ValidationError('FILE: the backup must not be the database itself', 'FILE');
    // The same file under another name (a link, a symlinked folder, its -wal or -shm): writing there would replace
    // the live database or its journal.
    const live = databaseFileAt(target, source);
    if (live)
      throw new ValidationError(
        `FILE: ${target} is the database's own file ${live} (through a link or another name); choose another file`,
        'FILE',
      );
    const exists = existsSync(target);
    if (exists && statSync(target).isDirectory()) throw new ValidationError(`FILE: ${target} is a folder; name a file`, 'FILE');
    if (exists && !this.flags.force) throw new ValidationError(`FILE: ${target} already exists; give --force to overwrite it`, 'FILE');

    const partial = `${target}.partial-${process.pid}`;
    try {
      await maintenance.backup(partial);
      renameSync(partial, target);
    } finally {
      rmSync(partial, { force: true });
    }
    // A -wal or -shm left by the file we replaced belongs to it; SQLite would replay it onto the new copy.
    if (exists) for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });

    const bytes = statSync(target).size;
    this.say(`backup written: ${target} (${formatBytes(bytes)})`);
    this.say(`to restore it: stop the daemon, then  cp ${target} ${source} && rm -f ${source}-wal ${source}-shm`);
    return { file: target, bytes, source, replaced: exists };
  }
}
