/**
 * What only a store kept in a local file can do: report its files' sizes, copy itself while in use, check its pages.
 * A store without it (a database server, which has its own tools) has `maintenance: null`, and the commands that
 * need it (`aics db backup/check`) say so.
 */
export interface IntegrityReport {
  ok: boolean;
  /** "ok", or the list of problems found. */
  problems: string[];
}

export interface StoreFileSizes {
  file_bytes: number;
  /** The write-ahead log beside the file (SQLite's -wal). */
  wal_bytes: number;
}

export interface StoreMaintenance {
  /** The database file. */
  readonly file: string;
  fileSizes(): Promise<StoreFileSizes>;
  /** A consistent copy while others keep writing. */
  backup(destination: string): Promise<{ file: string; bytes: number }>;
  /** A full integrity check, or with `quick` a linear one fit for start-up. */
  check(options?: { quick?: boolean }): Promise<IntegrityReport>;
}
