/**
 * Notices a database damaged or replaced while the daemon runs (issue #17 point 11), instead of at the next start:
 * every few minutes the file's identity (device and inode) is compared with the one opened at start, and SQLite's
 * quick_check runs. A problem is logged at ERROR once and shown by /api/health as status "degraded" with the reason.
 * Nothing is repaired or deleted: the operator runs "aics db check" and restores a backup. It watches a store kept in
 * a local file only (one with a maintenance part); for any other store it finds nothing.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Store } from '../store/index.js';
import { errorText, type Logger } from './ports.js';
import { TimerLoop } from './timer-loop.js';

export const INTEGRITY_CHECK_EVERY_MS = 5 * 60_000;

export interface IntegrityWatchOptions {
  store: Pick<Store, 'maintenance'>;
  logger: Logger;
  everyMs?: number;
}

function safeHeader(file: string): boolean {
  try {
    return hasSqliteHeader(file);
  } catch {
    return false;
  }
}

function identity(file: string): string | null {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Whether the file on disk still starts with SQLite's header. Read from the file itself: SQLite's page cache (in WAL
 * mode) would go on showing the pages it read before someone wrote over the file.
 */
function hasSqliteHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

export class IntegrityWatch {
  private readonly loop = new TimerLoop(() => this.pass());
  private readonly opened: string | null;
  private first = true;
  private current: string[] = [];

  constructor(private readonly o: IntegrityWatchOptions) {
    this.opened = o.store.maintenance ? identity(o.store.maintenance.file) : null;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** What the last check found wrong; empty when the database looked healthy. */
  problems(): string[] {
    return this.current;
  }

  /** One check now; returns the problems found. */
  async check(): Promise<string[]> {
    const maintenance = this.o.store.maintenance;
    if (!maintenance) return [];
    const file = maintenance.file;
    const now = identity(file);
    const found: string[] = [];
    if (now !== this.opened) {
      found.push(
        now === null
          ? `database file ${file} was removed while the daemon runs`
          : `database file ${file} was replaced while the daemon runs`,
      );
    } else if (!safeHeader(file)) {
      found.push(`database file ${file} was overwritten while the daemon runs (it no longer starts with the SQLite header)`);
    } else {
      try {
        const report = await maintenance.check({ quick: true });
        if (!report.ok) found.push(`database ${file} is damaged: ${report.problems.slice(0, 3).join('; ')}`);
      } catch (error) {
        found.push(`database ${file} cannot be checked: ${errorText(error)}`);
      }
    }
    for (const p of found) {
      if (!this.current.includes(p)) {
        this.o.logger.error(
          { db: file, problem: p },
          `${p}: run "aics db check", then stop the daemon and restore the latest "aics db backup" copy`,
        );
      }
    }
    this.current = found;
    return found;
  }

  private async pass(): Promise<number> {
    const every = this.o.everyMs ?? INTEGRITY_CHECK_EVERY_MS;
    if (this.first) {
      this.first = false;
      return every;
    }
    await this.check();
    return every;
  }
}
