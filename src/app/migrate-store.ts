/**
 * `aics db migrate`: copies every table of one store into another (SQLite → PostgreSQL, the way back, or SQLite →
 * SQLite), page by page, writing only rows not there yet, then counts both sides table by table. Running it again
 * changes nothing. A store that a daemon still writes to is refused: the copy would miss what it writes meanwhile.
 */
import { InvalidStateError } from '../errors.js';
import { daemonState, TRANSFER_TABLES, type DaemonRecord, type Store, type TransferTable } from '../store/index.js';

export interface TableCopy {
  table: TransferTable;
  source: number;
  /** Rows written now (0 on a second run). */
  copied: number;
  target: number;
  ok: boolean;
}

export interface MigrationReport {
  from: string;
  to: string;
  tables: TableCopy[];
  /** Every table has as many rows on both sides. */
  ok: boolean;
}

export interface MigrateOptions {
  pageSize?: number;
  /** After each page: the table, rows read of it so far, and its total. */
  onProgress?: (table: TransferTable, done: number, total: number) => void;
}

export async function migrateStore(from: Store, to: Store, options: MigrateOptions = {}): Promise<MigrationReport> {
  const pageSize = options.pageSize ?? 1000;
  const tables: TableCopy[] = [];
  for (const table of TRANSFER_TABLES) {
    const source = await from.transfer.count(table);
    let copied = 0;
    let done = 0;
    for (let cursor: number | null = 0; cursor !== null;) {
      const page = await from.transfer.readPage(table, cursor, pageSize);
      copied += await to.transfer.writeRows(table, page.rows);
      done += page.rows.length;
      options.onProgress?.(table, done, source);
      cursor = page.next;
    }
    const target = await to.transfer.count(table);
    tables.push({ table, source, copied, target, ok: target === source });
  }
  await to.transfer.finish();
  return { from: from.file, to: to.file, tables, ok: tables.every((t) => t.ok) };
}

/** A daemon still beating on the source (its registry): InvalidStateError (exit 5) naming it. */
export function assertNoDaemonOn(store: Pick<Store, 'file'>, daemons: readonly DaemonRecord[], nowMs: number, staleAfterMs: number): void {
  const alive = daemons.filter((d) => daemonState(d, nowMs, staleAfterMs) === 'alive');
  if (alive.length) {
    const who = alive.map((d) => `${d.id}${d.api_url ? ` at ${d.api_url}` : ''}`).join(', ');
    throw new InvalidStateError(`a daemon is running on ${store.file} (${who}): stop it ("aics stop") before migrating its database`);
  }
}
