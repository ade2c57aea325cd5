/**
 * StoreTransfer on PostgreSQL: pages in insertion order (seq, else id, else the primary key), INSERT … ON CONFLICT
 * DO NOTHING; the identity columns go on after the copied ids (finish).
 */
import type { StoreTransfer, TransferPage, TransferRow, TransferTable } from '../ports/transfer.js';
import { TRANSFER_TABLES, transferTable as known } from '../ports/transfer.js';
import { PgRepository } from './repository.js';

interface TableShape {
  /** Columns that can be written (not GENERATED ALWAYS). */
  writable: Set<string>;
  order: string;
}

export class PgTransfer extends PgRepository implements StoreTransfer {
  private readonly shapes = new Map<string, TableShape>();

  async count(table: TransferTable): Promise<number> {
    return Number((await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${known(table)}`))?.n ?? 0);
  }

  async readPage(table: TransferTable, cursor: number, limit: number): Promise<TransferPage> {
    const shape = await this.shape(table);
    const rows = await this.query(`SELECT * FROM ${known(table)} ORDER BY ${shape.order} LIMIT $1 OFFSET $2`, [limit, cursor]);
    for (const row of rows) for (const column of Object.keys(row)) if (!shape.writable.has(column)) delete row[column];
    return { rows, next: rows.length === limit ? cursor + rows.length : null };
  }

  async writeRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number> {
    if (!rows.length) return 0;
    const shape = await this.shape(table);
    const columns = Object.keys(rows[0]!).filter((c) => shape.writable.has(c));
    const params: unknown[] = [];
    const tuples = rows.map((row) => `(${columns.map((c) => (params.push(row[c] ?? null), `$${params.length}`)).join(', ')})`);
    return this.write(async (client) => {
      const result = await client.query(
        `INSERT INTO ${known(table)} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
        params,
      );
      return result.rowCount ?? 0;
    });
  }

  async finish(): Promise<void> {
    for (const table of TRANSFER_TABLES) {
      if (!(await this.shape(table)).writable.has('id')) continue;
      await this.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1), (SELECT COUNT(*) > 0 FROM ${table}))`,
      );
    }
  }

  private async shape(table: TransferTable): Promise<TableShape> {
    let shape = this.shapes.get(table);
    if (!shape) {
      const columns = await this.query<{ column_name: string; is_generated: string; identity_generation: string | null }>(
        `SELECT column_name, is_generated, identity_generation FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1`,
        [known(table)],
      );
      const names = new Set(columns.map((c) => c.column_name));
      const writable = new Set(
        columns.filter((c) => c.is_generated !== 'ALWAYS' && c.identity_generation !== 'ALWAYS').map((c) => c.column_name),
      );
      const key = await this.query<{ column: string }>(
        `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [table],
      );
      const order = names.has('seq') ? 'seq' : names.has('id') ? 'id' : key.map((k) => `"${k.column}"`).join(', ') || '1';
      shape = { writable, order };
      this.shapes.set(table, shape);
    }
    return shape;
  }
}
