/** StoreTransfer on SQLite: pages by rowid (insertion order), INSERT OR IGNORE by each table's keys. */
import { SqliteRepository } from './repository.js';
import type { StoreTransfer, TransferPage, TransferRow, TransferTable } from './ports/transfer.js';
import { transferTable as known } from './ports/transfer.js';

export class SqliteTransfer extends SqliteRepository implements StoreTransfer {
  private readonly columnsOf = new Map<string, Set<string>>();

  count(table: TransferTable): Promise<number> {
    return this.read(() => (this.statement(`SELECT COUNT(*) AS n FROM ${known(table)}`).get() as { n: number }).n);
  }

  readPage(table: TransferTable, cursor: number, limit: number): Promise<TransferPage> {
    const byKey = this.keyOrder(table);
    if (byKey) {
      // A WITHOUT ROWID table: its key order, by offset (the source is still while it is copied).
      return this.read(() => {
        const rows = this.statement(`SELECT * FROM ${known(table)} ORDER BY ${byKey} LIMIT ? OFFSET ?`).all(limit, cursor) as TransferRow[];
        return { rows, next: rows.length === limit ? cursor + rows.length : null };
      });
    }
    return this.read(() => {
      const rows = this.statement(`SELECT rowid AS aics_cursor, * FROM ${known(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`).all(
        cursor,
        limit,
      ) as TransferRow[];
      const last = rows.at(-1)?.aics_cursor;
      for (const row of rows) delete row.aics_cursor;
      return { rows, next: rows.length === limit && typeof last === 'number' ? last : null };
    });
  }

  writeRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number> {
    if (!rows.length) return Promise.resolve(0);
    return this.write(() => {
      const columns = Object.keys(rows[0]!).filter((c) => this.columns(table).has(c));
      const insert = this.statement(
        `INSERT OR IGNORE INTO ${known(table)} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      let added = 0;
      for (const row of rows) added += insert.run(...columns.map((c) => row[c] ?? null)).changes;
      return added;
    });
  }

  finish(): Promise<void> {
    return Promise.resolve(); // INTEGER PRIMARY KEY goes on after the largest id by itself
  }

  /** The primary key's columns of a WITHOUT ROWID table, "a, b"; null for a table with a rowid. */
  private keyOrder(table: TransferTable): string | null {
    const sql = (
      this.statement(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) as { sql: string } | undefined
    )?.sql;
    if (!sql || !/WITHOUT\s+ROWID/i.test(sql)) return null;
    const key = (this.db.pragma(`table_info(${known(table)})`) as { name: string; pk: number }[])
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk);
    return key.map((c) => `"${c.name}"`).join(', ');
  }

  private columns(table: TransferTable): Set<string> {
    let set = this.columnsOf.get(table);
    if (!set) {
      set = new Set((this.db.pragma(`table_info(${known(table)})`) as { name: string }[]).map((c) => c.name));
      this.columnsOf.set(table, set);
    }
    return set;
  }
}
