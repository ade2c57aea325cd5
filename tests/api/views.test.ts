/**
 * The HTTP contract's own types (src/api/types.ts) are mapped from the store's records in one place
 * (src/daemon/http/views.ts): the JSON a client reads stays byte for byte what the store's record gave, in the same
 * field order, for a task that went through every column (a target, a result, attempts, events).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbStatsView, taskAttemptView, taskEventView, taskPageView, taskView } from '../../src/daemon/http/views.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { SEED, fileTempDir } from '../support/fixtures.js';

const dir = fileTempDir('aics-views-');
const opened = openSqliteStore(join(dir, 'tasks.db'), { timeZone: 'Asia/Shanghai' });
const store = opened.tasks;
afterAll(() => opened.close());

describe('store records → API views', () => {
  it('write the same JSON as the records, field for field and in order', async () => {
    const id = SEED.receive.task_id as string;
    await store.receive(parseTaskPayload(SEED.receive), 'api');
    await store.arm('daemon');
    await store.claim(id, { owner: 'd1', leaseMs: 30_000, target: { acc_id: '1688000001', from_id: 'customer_123', from_name: '小明' } });
    const task = (await store.complete(id, 1, { msg_id: 'm1' }, 'd1'))!;
    const events = await store.events(id);
    const attempts = await store.attempts(id);
    expect(attempts.length).toBeGreaterThan(0);

    expect(JSON.stringify(taskView(task))).toBe(JSON.stringify(task));
    expect(JSON.stringify(events.map(taskEventView))).toBe(JSON.stringify(events));
    expect(JSON.stringify(attempts.map(taskAttemptView))).toBe(JSON.stringify(attempts));
    const page = await store.list({ page: 1, pageSize: 20 });
    expect(JSON.stringify(taskPageView(page))).toBe(JSON.stringify(page));
    const withProblem = { ...task, problem: 'no time: reschedule it' };
    expect(JSON.stringify(taskView(withProblem))).toBe(JSON.stringify(withProblem));
  });

  it('show /api/health only the database fields it always showed (the file sizes only for a store in a file)', async () => {
    const stats = await store.stats();
    const sizes = await opened.maintenance!.fileSizes();
    expect(Object.keys(dbStatsView(stats, sizes))).toEqual([
      'file',
      'schema_version',
      'file_bytes',
      'wal_bytes',
      'total',
      'oldest_pending',
      'next_due',
    ]);
    expect(Object.keys(dbStatsView(stats))).toEqual(['file', 'schema_version', 'total', 'oldest_pending', 'next_due']);
  });
});
