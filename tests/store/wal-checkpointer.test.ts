/**
 * The daemon's WAL checkpoints on a thread of their own (src/store/wal-checkpointer.ts), on real SQLite files: the
 * daemon's connection no longer checkpoints inside its commits, the thread copies the WAL into the file (and truncates
 * it past a size bound), stop() ends the thread, and a thread that cannot start gives the checkpoints back to SQLite.
 */
import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/connection.js';
import { WalCheckpointer, type CheckpointResult } from '../../src/store/wal-checkpointer.js';
import { fileTempDir } from '../support/fixtures.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const dir = fileTempDir('aics-wal-');
let n = 0;
const PAGE = 4096;
/** Far more than SQLite's automatic checkpoint (1,000 pages). */
const PAGES = 3000;

const open: { db: Db; checkpointer?: WalCheckpointer }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.checkpointer?.stop();
    if (o.db.open) o.db.close();
  }
});

function fresh(): { db: Db; file: string } {
  const file = join(dir, `d${++n}`, 'tasks.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE filler (b BLOB)');
  open.push({ db });
  return { db, file };
}

function start(db: Db, file: string, options: ConstructorParameters<typeof WalCheckpointer>[2] = {}): WalCheckpointer {
  const checkpointer = new WalCheckpointer(db, file, options);
  open.push({ db, checkpointer });
  return checkpointer;
}

/** One page-sized row per commit, as the daemon commits: many small transactions. */
function writePages(db: Db, pages: number): void {
  const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4000))');
  for (let i = 0; i < pages; i++) insert.run();
}

const size = (path: string) => statSync(path).size;
const autocheckpoint = (db: Db) => db.pragma('wal_autocheckpoint', { simple: true }) as number;

describe('the WAL checkpointer', () => {
  it('without it (a short command), SQLite checkpoints inside the commits: the WAL never holds much over 1,000 pages', () => {
    const { db, file } = fresh();
    expect(autocheckpoint(db)).toBe(1000);
    writePages(db, PAGES);
    expect(size(`${file}-wal`)).toBeLessThan(1100 * (PAGE + 24));
    expect(size(file)).toBeGreaterThan(1000 * PAGE);
  });

  it('turns the connection’s own checkpoint off; the thread copies the WAL into the file', async () => {
    const { db, file } = fresh();
    const checkpointer = start(db, file, { intervalMs: 3_600_000 });
    expect(await checkpointer.ready).toBe(true);
    expect(checkpointer.state).toBe('running');
    expect(autocheckpoint(db)).toBe(0);
    writePages(db, PAGES);
    // The commits checkpointed nothing: every page is still in the WAL, none in the file.
    expect(size(`${file}-wal`)).toBeGreaterThan(PAGES * PAGE);
    expect(size(file)).toBeLessThan(100 * PAGE);
    const result = await checkpointer.checkpointNow();
    expect(result).toMatchObject({ mode: 'PASSIVE', busy: 0 });
    expect(result.log).toBeGreaterThanOrEqual(PAGES);
    expect(result.checkpointed).toBe(result.log);
    expect(size(file)).toBeGreaterThan(PAGES * PAGE);
    expect(db.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: PAGES });
  });

  it('checkpoints every interval by itself while the daemon writes', async () => {
    const { db, file } = fresh();
    const seen: CheckpointResult[] = [];
    let copiedAll: (r: CheckpointResult) => void = () => undefined;
    const allCopied = new Promise<CheckpointResult>((resolve) => (copiedAll = resolve));
    let written = false;
    const checkpointer = start(db, file, {
      intervalMs: 5,
      onCheckpoint: (r) => {
        seen.push(r);
        // A checkpoint after the last write that found every page in the WAL and left them all in the file.
        if (written && r.checkpointed === r.log && r.busy === 0 && size(file) > PAGES * PAGE) copiedAll(r);
      },
    });
    expect(await checkpointer.ready).toBe(true);
    writePages(db, PAGES);
    written = true;
    await allCopied;
    expect(autocheckpoint(db)).toBe(0);
    expect(seen.every((r) => r.mode === 'PASSIVE')).toBe(true);
  });

  it('truncates the WAL once it is over the size bound', async () => {
    const { db, file } = fresh();
    const checkpointer = start(db, file, { intervalMs: 3_600_000, truncateAboveBytes: 1024 * 1024 });
    expect(await checkpointer.ready).toBe(true);
    writePages(db, PAGES);
    expect(size(`${file}-wal`)).toBeGreaterThan(1024 * 1024);
    const result = await checkpointer.checkpointNow();
    expect(result).toMatchObject({ mode: 'TRUNCATE', busy: 0, wal_bytes: 0 });
    expect(result.log).toBeGreaterThanOrEqual(PAGES);
    expect(result.checkpointed).toBe(result.log);
    expect(size(`${file}-wal`)).toBe(0);
    // Below the bound, a PASSIVE checkpoint is enough.
    writePages(db, 10);
    expect(await checkpointer.checkpointNow()).toMatchObject({ mode: 'PASSIVE', busy: 0 });
  });

  it('stop() ends the thread and gives the connection back its own checkpoint', async () => {
    const { db, file } = fresh();
    const checkpointer = start(db, file, { intervalMs: 5 });
    expect(await checkpointer.ready).toBe(true);
    await checkpointer.stop();
    expect(checkpointer.state).toBe('stopped');
    expect(autocheckpoint(db)).toBe(1000);
    await expect(checkpointer.checkpointNow()).rejects.toThrow(/not running/);
    await checkpointer.stop();
  });

  it.each(['stop', 'leave'])('a process whose checkpointer runs exits by itself (%s)', async (how) => {
    const file = join(dir, `d${++n}`, 'tasks.db');
    const child = join(import.meta.dirname, '../support/checkpointer-child.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, file, how], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ running: true, checkpointed: expect.any(Number), state: how === 'stop' ? 'stopped' : 'running' });
  });

  it('a stop() before the thread is ready still waits for it, and the process exits', async () => {
    const file = join(dir, `d${++n}`, 'tasks.db');
    const child = join(import.meta.dirname, '../support/checkpointer-child.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, file, 'stop-at-once'], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ state: 'stopped' });
  });

  it('a thread that dies: back to SQLite’s own checkpoint, said once', async () => {
    const { db, file } = fresh();
    // better-sqlite3 as it would fail on a disk error in the middle of a checkpoint.
    const driver = join(dir, `failing-driver-${n}.cjs`);
    writeFileSync(
      driver,
      `const Real = require(${JSON.stringify(require.resolve('better-sqlite3'))});
module.exports = class extends Real {
  pragma(sql, o) { if (sql.startsWith('wal_checkpoint')) throw new Error('disk I/O error'); return super.pragma(sql, o); }
};`,
    );
    const warnings: string[] = [];
    const checkpointer = start(db, file, { intervalMs: 3_600_000, driverPath: driver, onWarning: (m) => warnings.push(m) });
    expect(await checkpointer.ready).toBe(true);
    expect(autocheckpoint(db)).toBe(0);
    await expect(checkpointer.checkpointNow()).rejects.toThrow(/disk I\/O error/);
    expect(checkpointer.state).toBe('fallback');
    expect(autocheckpoint(db)).toBe(1000);
    expect(warnings).toEqual([expect.stringMatching(/disk I\/O error.*back to SQLite's automatic checkpoint/)]);
  });

  it('a thread that cannot start: back to SQLite’s own checkpoint, said once', async () => {
    const { db, file } = fresh();
    const warnings: string[] = [];
    const checkpointer = start(db, file, {
      intervalMs: 5,
      driverPath: join(dir, 'no-such-driver.js'),
      onWarning: (m) => warnings.push(m),
    });
    expect(await checkpointer.ready).toBe(false);
    expect(checkpointer.state).toBe('fallback');
    expect(autocheckpoint(db)).toBe(1000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no-such-driver.*back to SQLite's automatic checkpoint/s);
    // The connection checkpoints by itself again: the WAL stays near 1,000 pages.
    writePages(db, PAGES);
    expect(size(`${file}-wal`)).toBeLessThan(1100 * (PAGE + 24));
    await checkpointer.stop();
    expect(warnings).toHaveLength(1);
  });
});
