/** The daemon registry on SQLite: one row per daemon, beaten every few seconds (see ports/daemons.ts). */
import { SqliteRepository } from './repository.js';
import type { DaemonRecord, DaemonRegistry } from './ports/daemons.js';
import { safeParse } from './rows.js';

interface DaemonRow extends Omit<DaemonRecord, 'accounts'> {
  accounts: string;
}

export class SqliteDaemonRegistry extends SqliteRepository implements DaemonRegistry {
  heartbeat(record: Omit<DaemonRecord, 'stopped_at'>): Promise<void> {
    return this.write(() => {
      this.statement(
        `INSERT INTO daemons (id, host, pid, accounts, api_url, version, started_at, heartbeat_at, stopped_at)
         VALUES (@id, @host, @pid, @accounts, @api_url, @version, @started_at, @heartbeat_at, NULL)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, accounts = excluded.accounts,
           api_url = excluded.api_url, version = excluded.version, started_at = excluded.started_at,
           heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
      ).run({ ...record, accounts: JSON.stringify([...record.accounts].sort()) });
    });
  }

  stopped(id: string, atIso: string): Promise<void> {
    return this.write(() => {
      this.statement('UPDATE daemons SET stopped_at = ? WHERE id = ?').run(atIso, id);
    });
  }

  list(): Promise<DaemonRecord[]> {
    return this.read(() =>
      (this.statement('SELECT * FROM daemons ORDER BY id').all() as DaemonRow[]).map((row) => ({
        ...row,
        accounts: accountsOf(row.accounts),
      })),
    );
  }

  forget(id: string): Promise<boolean> {
    return this.write(() => this.statement('DELETE FROM daemons WHERE id = ?').run(id).changes > 0);
  }
}

function accountsOf(json: string): string[] {
  const parsed = safeParse(json);
  return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === 'string') : [];
}
