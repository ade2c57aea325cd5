/**
 * What only a store kept in a local file can do: report its files' sizes, copy itself while in use, check its pages,
 * and (the daemon) run its write-ahead log's checkpoints off the event loop.
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
  /**
   * The daemon's: the write-ahead log is copied into the file by a thread of its own from now on, instead of inside
   * the commit that fills it (on the event loop); until stop(). `onWarning` hears when that falls back.
   */
  startBackgroundCheckpoints(options: { onWarning: (message: string) => void }): BackgroundCheckpoints;
}

export interface BackgroundCheckpoints {
  /** Ends the thread; the connection checkpoints by itself again. */
  stop(): Promise<void>;
}
