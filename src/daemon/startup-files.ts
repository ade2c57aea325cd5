/**
 * What the daemon opens on disk besides its log: the store (refused when damaged) and its background checkpoints, the
 * pid file (one daemon per database) and the start record beside it that `aics restart` and `aics status` read.
 */
import { clientHost, type Settings } from '../config.js';
import { AicsError, DatabaseError } from '../errors.js';
import type { Logger } from '../log.js';
import { openStore, parseStoreLocation, translateSqliteError, type BackgroundCheckpoints, type Store } from '../store/index.js';
import { acquirePidFile, defaultPidFile, processStartTicks, writeStartRecord } from './control/pid-file.js';
import type { DaemonOptions } from './daemon-options.js';

/** The store, refused when damaged: one line, exit 7, and the file left as it is. */
export async function openCheckedStore(
  settings: Pick<Settings, 'db' | 'timeZone' | 'dbPool'> & Partial<Pick<Settings, 'dbSync'>>,
  clock: () => number,
): Promise<Store> {
  const store = await openStore(settings.db, { timeZone: settings.timeZone, clock, poolSize: settings.dbPool, sync: settings.dbSync });
  try {
    // Only a store kept in a local file has a quick check to run (maintenance); a server checks its own.
    const integrity = (await store.maintenance?.check({ quick: true })) ?? { ok: true, problems: [] };
    if (!integrity.ok) {
      throw new DatabaseError(
        `database ${store.file} is damaged (${integrity.problems.slice(0, 3).join('; ')}): run "aics db check", then restore the latest "aics db backup" copy; nothing was deleted`,
        'damaged',
        integrity.problems.join('; '),
      );
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * A SQLite store's WAL checkpoints on a thread of their own, so that no commit of the daemon's pays for one on the
 * event loop (src/store/wal-checkpointer.ts); null for a database server. Stopped before the store closes.
 */
export function startBackgroundCheckpoints(store: Store, logger: Logger): BackgroundCheckpoints | null {
  return store.maintenance?.startBackgroundCheckpoints({ onWarning: (message) => logger.warn({ db: store.file }, message) }) ?? null;
}

/** Written once the daemon listens: how it was started and where it answers. */
export function writeDaemonStartRecord(o: Pick<DaemonOptions, 'pidFile' | 'settings' | 'mode'>, port: number, startedAtMs: number): void {
  const p = o.pidFile;
  if (!p) return;
  writeStartRecord(p.path, {
    pid: process.pid,
    argv: p.argv,
    cwd: p.cwd,
    env: p.env,
    started_at: new Date(startedAtMs).toISOString(),
    url: `http://${clientHost(o.settings.host)}:${port}`,
    log_file: o.settings.logFile,
    mode: o.mode,
    db: o.settings.db,
    proc_start: processStartTicks(process.pid),
    detached: p.detached,
  });
}

/** The pid file; one that cannot be written beside the database (a read-only mount) is the database's problem. */
export function takePidFile(pidFile: string, db: string): { replaced: string | null } {
  try {
    return acquirePidFile(pidFile);
  } catch (error) {
    const where = parseStoreLocation(db);
    if (error instanceof AicsError || where.kind !== 'sqlite' || pidFile !== defaultPidFile(db)) throw error;
    throw translateSqliteError(error, where.file);
  }
}
