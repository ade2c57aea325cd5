import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DatabaseError, SchemaTooNewError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { SqliteMaintenance, SqliteTaskStore, openDatabase } from '../../src/store/sqlite.js';
import { parseTaskPayload, type TaskPayloadInput } from '../../src/tasks/index.js';
import { SEED as seed, SEED_ROW, fileTempDir as tempDir } from '../support/fixtures.js';

const run = promisify(execFile);
const dir = tempDir();
let n = 0;
const freshFile = () => join(dir, `t${++n}`, 'tasks.db');

/** A store on a fresh file with a clock the test moves. */
function fixture(start = Date.parse('2026-02-27T08:00:00Z')) {
  const clock = { now: start };
  const file = freshFile();
  const store = SqliteTaskStore.open(file, { clock: () => clock.now, timeZone: 'Asia/Shanghai' });
  return { store, clock, file };
}
const payload = (over: Partial<TaskPayloadInput> = {}) => parseTaskPayload({ ...seed.receive, ...over });

describe('opening and migrations', () => {
  it('creates folders, uses WAL and records the schema version', () => {
    const { store, file } = fixture();
    store.close();
    expect(existsSync(file)).toBe(true);
    const db = new Database(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const cols = (db.prepare('PRAGMA table_info(tasks)').all() as { name: string }[]).map((c) => c.name);
    // every column of the seed's schema, with the same names
    for (const c of 'task_id specified_customer_id specified_customer_name type customer_name customer_id trigger_type trigger_keyword trigger_keywords action_type action_file_url action_message priority timeout_hours status retry_count max_retry created_at created_by triggered_at completed_at error_message result'.split(
      ' ',
    )) {
      expect(cols).toContain(c);
    }
    db.close();
  });

  it('commits with synchronous=NORMAL by default, FULL (fsync each commit) with sync: full', () => {
    const SQLITE_SYNC = { NORMAL: 1, FULL: 2 };
    for (const [sync, expected] of [
      [undefined, SQLITE_SYNC.NORMAL],
      ['normal', SQLITE_SYNC.NORMAL],
      ['full', SQLITE_SYNC.FULL],
    ] as const) {
      const db = openDatabase(freshFile(), { sync });
      expect(db.pragma('synchronous', { simple: true }), String(sync)).toBe(expected);
      db.close();
    }
  });

  it('re-opening an up-to-date database changes nothing', async () => {
    const { store, file } = fixture();
    await store.receive(payload(), 'test');
    store.close();
    const again = SqliteTaskStore.open(file);
    expect((await again.list({})).total).toBe(1);
    again.close();
  });

  it('refuses a database written by a newer aics and leaves it untouched', () => {
    const { store, file } = fixture();
    store.close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(file);
    expect(() => SqliteTaskStore.open(file)).toThrow(SchemaTooNewError);
    expect(() => SqliteTaskStore.open(file)).toThrow(/upgrade aics/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('reports a file that is not a database as damaged, without deleting it', () => {
    const file = join(dir, 'garbage.db');
    writeFileSync(file, 'this is not sqlite'.repeat(400));
    expect(() => SqliteTaskStore.open(file)).toThrow(DatabaseError);
    expect(() => SqliteTaskStore.open(file)).toThrow(/damaged.*aics db check/);
    expect(existsSync(file)).toBe(true);
  });
});

describe('receive', () => {
  it('stores the seed columns so the seed queries read them', async () => {
    const { store, file } = fixture();
    const { task, created } = await store.receive(payload(), '天网');
    expect(created).toBe(true);
    expect(task.status).toBe('pending');
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT * FROM tasks WHERE task_id = ?').get('TASK_20260227_001') as Record<string, unknown>;
    expect(row).toMatchObject(SEED_ROW);
    expect(db.prepare('SELECT status, COUNT(*) as count FROM tasks GROUP BY status').all()).toEqual([{ status: 'pending', count: 1 }]);
    db.close();
    expect(await store.events(task.task_id)).toMatchObject([{ from_status: null, to_status: 'pending', actor: '天网' }]);
  });
});

// What every store does (receive, transitions, leases, lists, stats …) is in tests/store/contract; below is SQLite's own.

describe('backup and check', () => {
  it('reports the sizes of the file and its WAL', async () => {
    const { store } = fixture();
    await store.receive(payload(), 'api');
    const sizes = await new SqliteMaintenance(store.db, store.file).fileSizes();
    expect(sizes.file_bytes).toBeGreaterThan(0);
    expect(sizes.wal_bytes).toBeGreaterThan(0);
  });

  it('makes a consistent copy that opens with the same rows, and checks integrity', async () => {
    const { store } = fixture();
    await store.receive(payload(), 'api');
    const copy = join(dir, 'backups', 'copy.db');
    const { bytes } = await new SqliteMaintenance(store.db, store.file).backup(copy);
    expect(bytes).toBeGreaterThan(0);
    const restored = SqliteTaskStore.open(copy);
    expect((await restored.get('TASK_20260227_001'))!.status).toBe('pending');
    expect(await new SqliteMaintenance(restored.db, restored.file).check()).toEqual({ ok: true, problems: ['ok'] });
    restored.close();
  });
});

describe('two processes on one file', () => {
  it('never both claim a task', async () => {
    const { store, file } = fixture(Date.now());
    const ids = Array.from({ length: 200 }, (_, i) => `R${i}`);
    for (const id of ids) await store.receive(payload({ task_id: id }), 'api');
    await store.arm('d');
    store.close();
    const worker = join(import.meta.dirname, '../support/claim-worker.ts');
    const results = await Promise.all(
      ['p1', 'p2', 'p3'].map((owner) =>
        run(process.execPath, ['--import', 'tsx', worker, file, owner, JSON.stringify(ids)], { cwd: join(import.meta.dirname, '../..') }),
      ),
    );
    const won = results.flatMap((r) => JSON.parse(r.stdout) as string[]);
    expect(won.sort()).toEqual([...ids].sort());
    const check = SqliteTaskStore.open(file);
    expect((await check.stats()).by_status.running).toBe(200);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) AS n FROM task_events WHERE to_status = 'running'").get()).toEqual({ n: 200 });
    db.close();
    check.close();
  });
});
