/**
 * The use cases (src/app) on their own: a real SQLite store in a temp folder, a logger that keeps its lines, a
 * wake callback that counts — what the HTTP routes and the commands both rely on.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cancelTask, failedTaskIds, receiveTask, retryTasks, taskStatus, type AppContext } from '../../src/app/index.js';
import { InvalidStateError, NotFoundError, ValidationError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { SEED, fileTempDir } from '../support/fixtures.js';

const dir = fileTempDir('aics-app-');
const opened = openSqliteStore(join(dir, 'tasks.db'), { timeZone: 'Asia/Shanghai' });
const tasks = opened.tasks;
afterAll(() => opened.close());

const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
const woken: string[] = [];
const ctx: AppContext = {
  store: { tasks },
  logger: {
    info: (fields, msg) => lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => lines.push({ level: 'warn', msg, fields }),
  },
  clock: Date.now,
  wake: (id) => woken.push(id),
};
const caller = { actor: 'test' };
const receiveOptions = { ...caller, filesDir: join(dir, 'files'), scopeAnyCustomer: false };
const body = (id: string, changes: Record<string, unknown> = {}) => ({ ...structuredClone(SEED.receive), task_id: id, ...changes });

describe('receiveTask', () => {
  it('stores a new task, wakes the scheduler once and logs 任务接收; a repeat logs 重复 and wakes nothing', async () => {
    const first = await receiveTask(ctx, body('TASK_UC_1'), receiveOptions);
    expect(first).toMatchObject({ created: true, task: { task_id: 'TASK_UC_1', status: 'pending' } });
    const again = await receiveTask(ctx, body('TASK_UC_1'), receiveOptions);
    expect(again.created).toBe(false);
    expect(woken).toEqual(['TASK_UC_1']);
    expect(lines.map((l) => l.msg)).toEqual(['任务接收 TASK_UC_1', '任务接收 TASK_UC_1 (重复: 已存在, pending)']);
    expect(lines[0]!.fields).toMatchObject({ task_id: 'TASK_UC_1', customer_id: 'customer_123', trigger_type: 'specified_customer_reply' });
  });

  it('refuses a bad body naming the field, storing and logging nothing', async () => {
    lines.length = 0;
    const bad = body('TASK_UC_BAD', { trigger: { type: 'specified_customer_reply', keyword: '好的' } });
    const error = await receiveTask(ctx, bad, receiveOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/trigger/);
    expect(await tasks.get('TASK_UC_BAD')).toBeNull();
    expect(lines).toEqual([]);
  });
});

describe('cancelTask', () => {
  it('validates the request naming the field', async () => {
    const error = await cancelTask(ctx, { task_id: '  ' }, caller).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('task_id');
  });

  it('cancels a waiting task and logs 任务取消 with the reason; a second cancel is refused', async () => {
    lines.length = 0;
    const { task } = await cancelTask(ctx, { task_id: 'TASK_UC_1', reason: '客户取消订单' }, caller);
    expect(task.status).toBe('cancelled');
    expect(lines.map((l) => l.msg)).toEqual(['任务取消 TASK_UC_1: 客户取消订单']);
    await expect(cancelTask(ctx, { task_id: 'TASK_UC_1' }, caller)).rejects.toBeInstanceOf(InvalidStateError);
  });
});

describe('taskStatus and retryTasks', () => {
  it('an unknown task is NotFound, naming the database only when asked', async () => {
    await expect(taskStatus(ctx, 'NOPE', { scopeAnyCustomer: false })).rejects.toThrow(/^task NOPE not found$/);
    await expect(taskStatus(ctx, 'NOPE', { scopeAnyCustomer: false, nameDatabase: true })).rejects.toThrow(/not found in .*tasks\.db/);
  });

  it('a failed task goes back to waiting, logged 任务重试, the scheduler woken', async () => {
    await receiveTask(ctx, body('TASK_UC_2'), receiveOptions);
    await tasks.arm('test');
    await tasks.claim('TASK_UC_2', { owner: 'test', leaseMs: 30_000, target: { acc_id: 'a', from_id: 'customer_123' } });
    await tasks.fail('TASK_UC_2', 1, 'file gone', 'test');
    expect(await failedTaskIds(ctx, null)).toEqual(['TASK_UC_2']);
    lines.length = 0;
    woken.length = 0;
    const [task] = await retryTasks(ctx, ['TASK_UC_2'], 'file is back', caller);
    expect(task).toMatchObject({ status: 'waiting' });
    expect(lines[0]!.msg).toMatch(/^任务重试 TASK_UC_2: waiting, due now/);
    expect(woken).toEqual(['TASK_UC_2']);
    const report = await taskStatus(ctx, 'TASK_UC_2', { scopeAnyCustomer: false });
    expect(report.events.at(-1)).toMatchObject({ from_status: 'failed', to_status: 'waiting' });
    expect(report.attempts.length).toBeGreaterThan(0);
  });

  it('NotFound for an unknown task to retry', async () => {
    await expect(retryTasks(ctx, ['NOPE'], '', caller)).rejects.toBeInstanceOf(NotFoundError);
  });
});
