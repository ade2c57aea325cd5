/**
 * Whether two paths name the same file, by what the file system says (device and inode), not by their spelling: a
 * symbolic link, a hard link or a symlinked folder reaches the database under another name (issue #17 point 9).
 */
import { statSync } from 'node:fs';

/** The files SQLite keeps for a database: the file itself and, in WAL mode, its -wal and -shm beside it. */
export const SQLITE_SIDE_FILES = ['', '-wal', '-shm'] as const;

function identity(path: string): string | null {
  try {
    const s = statSync(path); // follows symbolic links
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/**
 * Which of the database's files (`db`, `db-wal`, `db-shm`) `path` — or `path-wal`, `path-shm`, which a backup
 * over `path` removes — is, or null when none. Files that do not exist match nothing.
 */
export function databaseFileAt(path: string, db: string): string | null {
  const live = new Map<string, string>();
  for (const suffix of SQLITE_SIDE_FILES) {
    const id = identity(`${db}${suffix}`);
    if (id) live.set(id, `${db}${suffix}`);
  }
  for (const suffix of SQLITE_SIDE_FILES) {
    const id = identity(`${path}${suffix}`);
    if (id && live.has(id)) return live.get(id)!;
  }
  return null;
}
