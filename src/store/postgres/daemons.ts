/** The daemon registry on PostgreSQL: one row per daemon, beaten every few seconds (see ports/daemons.ts). */
import type { DaemonRecord, DaemonRegistry } from '../ports/daemons.js';
import { safeParse } from '../rows.js';
import { PgRepository } from './repository.js';

interface DaemonRow extends Omit<DaemonRecord, 'accounts'> {
  accounts: string;
  [column: string]: unknown;
}

export class PgDaemonRegistry extends PgRepository implements DaemonRegistry {
  async heartbeat(record: Omit<DaemonRecord, 'stopped_at'>): Promise<void> {
    await this.query(
      `INSERT INTO daemons (id, host, pid, accounts, api_url, version, started_at, heartbeat_at, stopped_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, accounts = excluded.accounts,
         api_url = excluded.api_url, version = excluded.version, started_at = excluded.started_at,
         heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
      [
        record.id,
        record.host,
        record.pid,
        JSON.stringify([...record.accounts].sort()),
        record.api_url,
        record.version,
        record.started_at,
        record.heartbeat_at,
      ],
    );
  }

  async stopped(id: string, atIso: string): Promise<void> {
    await this.query('UPDATE daemons SET stopped_at = $1 WHERE id = $2', [atIso, id]);
  }

  async list(): Promise<DaemonRecord[]> {
    return (await this.query<DaemonRow>('SELECT * FROM daemons ORDER BY id')).map((row) => ({
      id: row.id,
      host: row.host,
      pid: Number(row.pid),
      accounts: accountsOf(row.accounts),
      api_url: row.api_url,
      version: row.version,
      started_at: row.started_at,
      heartbeat_at: Number(row.heartbeat_at),
      stopped_at: row.stopped_at,
    }));
  }

  async forget(id: string): Promise<boolean> {
    return (await this.query<{ id: string }>('DELETE FROM daemons WHERE id = $1 RETURNING id', [id])).length > 0;
  }
}

function accountsOf(json: string): string[] {
  const parsed = safeParse(json);
  return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === 'string') : [];
}
