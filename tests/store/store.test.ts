import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError, InvalidStateError, NotFoundError, SchemaTooNewError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { SqliteMaintenance, SqliteTaskStore } from '../../src/store/sqlite.js';
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
    for (const c of 'task_id specified_customer_id specified_customer_name type customer_name customer_id trigger_type trigger_keyword trigger_keywords action_type action_file_url action_message priority timeout_hours status retry_count max_retry created_at created_by triggered_at completed_at error_message result'.split(' ')) {
      expect(cols).toContain(c);
    }
    db.close();
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
    expect(db.prepare("SELECT status, COUNT(*) as count FROM tasks GROUP BY status").all()).toEqual([{ status: 'pending', count: 1 }]);
    db.close();
    expect(await store.events(task.task_id)).toMatchObject([{ from_status: null, to_status: 'pending', actor: '天网' }]);
  });

  it('is idempotent for the same payload and a conflict for another', async () => {
    const { store } = fixture();
    await store.receive(payload(), 'a');
    const again = await store.receive(payload(), 'a');
    expect(again.created).toBe(false);
    await expect(store.receive(payload({ priority: 'high' }), 'a')).rejects.toThrow(InvalidStateError);
    const page = await store.list({});
    expect(page.total).toBe(1);
    expect(page.items[0]!.priority).toBe('normal');
    expect(await store.events('TASK_20260227_001')).toHaveLength(1);
  });
});

describe('transitions', () => {
  beforeEach(() => undefined);

  it('runs pending → waiting → running → completed with one event each and a callback in the outbox', async () => {
    const { store, file } = fixture();
    await store.receive(payload(), 'api');
    expect(await store.arm('daemon')).toEqual(['TASK_20260227_001']);
    const claimed = await store.claim('TASK_20260227_001', {
      owner: 'd1',
      leaseMs: 30_000,
      target: { acc_id: '1688000001', from_id: 'customer_123', from_name: '小明' },
    });
    expect(claimed).toMatchObject({ status: 'running', attempt: 1, lease_owner: 'd1' });
    expect(claimed!.triggered_at).not.toBeNull();
    const done = await store.complete('TASK_20260227_001', 1, { msg_id: 'm1' }, 'd1');
    expect(done).toMatchObject({ status: 'completed', result: { msg_id: 'm1' } });
    expect((await store.events('TASK_20260227_001')).map((e) => `${e.from_status}→${e.to_status}`)).toEqual([
      'null→pending',
      'pending→waiting',
      'waiting→running',
      'running→completed',
    ]);
    const db = new Database(file, { readonly: true });
    const outbox = db.prepare('SELECT kind, payload FROM outbox').all() as { kind: string; payload: string }[];
    db.close();
    expect(outbox).toHaveLength(1);
    expect(JSON.parse(outbox[0]!.payload)).toMatchObject({ task_id: 'TASK_20260227_001', status: 'completed', customer_id: 'customer_123', attempts: 1 });
    expect((await store.stats()).outbox_backlog).toBe(1);
  });

  it('a second claim of the same task loses; a stale attempt cannot complete it', async () => {
    const { store } = fixture();
    await store.receive(payload(), 'api');
    await store.arm('d');
    expect(await store.claim('TASK_20260227_001', { owner: 'a', leaseMs: 1000 })).not.toBeNull();
    expect(await store.claim('TASK_20260227_001', { owner: 'b', leaseMs: 1000 })).toBeNull();
    expect(await store.complete('TASK_20260227_001', 7, null, 'a')).toBeNull();
    expect((await store.get('TASK_20260227_001'))!.status).toBe('running');
  });

  it('retries wait their backoff, then fail after the last attempt', async () => {
    const { store, clock } = fixture();
    await store.receive(payload(), 'api');
    await store.arm('d');
    await store.claim('TASK_20260227_001', { owner: 'a', leaseMs: 1000, target: { acc_id: 'acc', from_id: 'customer_123' } });
    const retried = await store.retry('TASK_20260227_001', 1, 'bridge timeout', clock.now + 5000, 'a');
    expect(retried).toMatchObject({ status: 'waiting', retry_count: 1, error_message: 'bridge timeout' });
    expect(await store.claim('TASK_20260227_001', { owner: 'a', leaseMs: 1000 })).toBeNull(); // still backing off
    clock.now += 5000;
    const second = await store.claim('TASK_20260227_001', { owner: 'a', leaseMs: 1000 });
    expect(second).toMatchObject({ attempt: 2, target: { from_id: 'customer_123', acc_id: 'acc' } }); // same customer
    const failed = await store.fail('TASK_20260227_001', 2, 'send refused', 'a');
    expect(failed).toMatchObject({ status: 'failed', error_message: 'send refused' });
  });

  it('cancels only before the task ran, naming the status otherwise', async () => {
    const { store } = fixture();
    await store.receive(payload(), 'api');
    await store.receive(payload({ task_id: 'T2' }), 'api');
    expect((await store.cancel('TASK_20260227_001', '客户取消订单', 'cli')).status).toBe('cancelled');
    await store.arm('d');
    await store.claim('T2', { owner: 'a', leaseMs: 1000 });
    await expect(store.cancel('T2', 'x', 'cli')).rejects.toThrow(/T2 is running/);
    await expect(store.cancel('NOPE', 'x', 'cli')).rejects.toThrow(NotFoundError);
    await expect(store.cancel('TASK_20260227_001', 'again', 'cli')).rejects.toThrow(InvalidStateError);
  });

  it('expiry wins over a claim in the same instant', async () => {
    const { store, clock } = fixture();
    await store.receive(payload({ timeout_hours: 1 }), 'api');
    await store.arm('d');
    clock.now += 3600_000;
    expect(await store.claim('TASK_20260227_001', { owner: 'a', leaseMs: 1000 })).toBeNull();
    expect(await store.expire('d')).toEqual(['TASK_20260227_001']);
    expect((await store.get('TASK_20260227_001'))!.status).toBe('expired');
  });

  it('does not arm a task that expired before any daemon saw it', async () => {
    const { store, clock } = fixture();
    await store.receive(payload({ timeout_hours: 1 }), 'api');
    clock.now += 2 * 3600_000;
    expect(await store.arm('d')).toEqual([]);
    expect(await store.expire('d')).toEqual(['TASK_20260227_001']);
  });

  it('time_reach is due at its time in the configured zone and cannot be claimed earlier', async () => {
    const { store, clock } = fixture(Date.parse('2026-02-27T00:00:00Z'));
    await store.receive(payload({ task_id: 'T', trigger: seed.triggers.time_reach }), 'api');
    const t = (await store.get('T'))!;
    expect(t.due_at).toBe('2026-02-28T01:00:00.000Z'); // 09:00 Asia/Shanghai
    expect((await store.stats()).next_due).toEqual({ task_id: 'T', due_at: '2026-02-28T01:00:00.000Z' });
    await store.arm('d');
    expect(await store.claim('T', { owner: 'a', leaseMs: 1000 })).toBeNull();
    clock.now = Date.parse('2026-02-28T01:00:00Z');
    expect(await store.claim('T', { owner: 'a', leaseMs: 1000 })).toMatchObject({ target: { from_id: 'customer_123' } });
  });

  it('a cron task goes back to waiting for its next run after completing', async () => {
    const { store, clock } = fixture(Date.parse('2026-02-27T00:00:00Z'));
    await store.receive(payload({ task_id: 'C', trigger: { type: 'cron', expression: '0 9 * * *' } }), 'api');
    await store.arm('d');
    clock.now = Date.parse('2026-02-27T01:00:00Z');
    const run1 = await store.claim('C', { owner: 'a', leaseMs: 1000 });
    const after = await store.complete('C', run1!.attempt, { ok: true }, 'a');
    expect(after).toMatchObject({ status: 'waiting', due_at: '2026-02-28T01:00:00.000Z' });
  });
});

describe('list and stats', () => {
  it('filters, pages and counts', async () => {
    const { store, clock } = fixture();
    for (let i = 0; i < 25; i++) {
      clock.now += 1000;
      await store.receive(payload({ task_id: `T${i}`, customer: { id: i % 2 ? 'odd' : 'even' } }), 'api');
    }
    const page = await store.list({ customerId: 'odd', page: 2, pageSize: 5 });
    expect(page.total).toBe(12);
    expect(page.items.map((t) => t.task_id)).toEqual(['T13', 'T11', 'T9', 'T7', 'T5']);
    await expect(store.list({ pageSize: 500 })).rejects.toThrow(/page_size/);
    const stats = await store.stats();
    expect(stats.total).toBe(25);
    expect(stats.by_status.pending).toBe(25);
    expect(stats.by_trigger_type).toEqual({ specified_customer_reply: 25 });
    expect(stats.oldest_pending!.task_id).toBe('T0');
    expect((await new SqliteMaintenance(store.db, store.file).fileSizes()).file_bytes).toBeGreaterThan(0);
  });
});

describe('backup and check', () => {
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
