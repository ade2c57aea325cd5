/**
 * `aics task status` and `aics task cancel` through the real binary, on tasks in every state a user meets:
 * pending, cancelled, completed (made by the store library the way the daemon does), unknown.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics, errorLine, json, seedExamples, snapshot, tempDir } from '../support/cli.js';

const seed = seedExamples();
const SEED_ID = seed.receive.task_id as string;
const ws = tempDir('aics-status-cancel-');
const db = join(ws.dir, 'tasks.db');
const run = (...args: string[]) => aics([...args, '--db', db], { cwd: ws.dir });

beforeAll(async () => {
  const store = SqliteTaskStore.open(db, { timeZone: 'Asia/Shanghai' });
  try {
    await store.receive(parseTaskPayload(seed.receive), 'test');
    await store.receive(parseTaskPayload({ ...seed.receive, task_id: 'TASK_TO_CANCEL' }), 'test');
    // completed the way the daemon does it: received → armed → claimed by a reply → completed
    await store.receive(parseTaskPayload({ ...seed.receive, task_id: 'TASK_DONE' }), 'test');
    await store.arm('daemon:test', ['TASK_DONE']);
    const claimed = await store.claim('TASK_DONE', {
      owner: 'daemon:test',
      leaseMs: 60_000,
      target: { acc_id: '1688000001', from_id: 'customer_123', from_name: '小明' },
    });
    if (!claimed) throw new Error('claim failed');
    await store.complete('TASK_DONE', claimed.attempt, { msg_id: 'm-1' }, 'daemon:test');
  } finally {
    store.close();
  }
});
afterAll(() => ws.cleanup());

describe('task status', () => {
  it('shows the task and its history (--json: {task, events})', async () => {
    const r = await run('task', 'status', 'TASK_DONE', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { task, events } = json(r);
    expect(task).toMatchObject({
      task_id: 'TASK_DONE',
      status: 'completed',
      result: { msg_id: 'm-1' },
      target: { from_id: 'customer_123' },
    });
    expect(events.map((e: { from_status: string | null; to_status: string }) => `${e.from_status}→${e.to_status}`)).toEqual([
      'null→pending',
      'pending→waiting',
      'waiting→running',
      'running→completed',
    ]);
  });

  it('prints key fields and the events table for a person', async () => {
    const r = await run('task', 'status', 'TASK_DONE');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/status\s+completed/);
    expect(r.stdout).toMatch(/sent to\s+customer_123 小明 via 1688000001/);
    expect(r.stdout).toContain('running → completed');
    expect(r.stdout).toContain('任务完成');
    // times in AICS_TZ (Asia/Shanghai), never raw ISO with Z
    expect(r.stdout).toMatch(/created\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    expect(r.stdout).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/);
  });

  it('an unknown task id exits 4', async () => {
    const r = await run('task', 'status', 'TASK_NOPE');
    expect(r.code).toBe(4);
    expect(errorLine(r)).toBe(`error: task TASK_NOPE not found in ${db}`);
  });
});

describe('task cancel', () => {
  it('cancels a pending task with the reason, and status shows it', async () => {
    const r = await run('task', 'cancel', 'TASK_TO_CANCEL', '--reason', '客户取消订单');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('任务取消: TASK_TO_CANCEL (客户取消订单)\n');
    const { task, events } = json(await run('task', 'status', 'TASK_TO_CANCEL', '--json'));
    expect(task).toMatchObject({ status: 'cancelled', error_message: '客户取消订单' });
    expect(events.at(-1)).toMatchObject({ from_status: 'pending', to_status: 'cancelled', reason: '任务取消: 客户取消订单' });
  });

  it('--json returns the cancelled task', async () => {
    const r = await run('task', 'cancel', SEED_ID, '--reason', 'duplicate', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ task_id: SEED_ID, status: 'cancelled', reason: 'duplicate', task: { status: 'cancelled' } });
  });

  const refused: [string, string[], number, RegExp][] = [
    [
      'a completed task (exit 5)',
      ['TASK_DONE', '--reason', 'too late'],
      5,
      /^error: task TASK_DONE is completed: only a task that has not run yet \(pending or waiting\) can be cancelled$/,
    ],
    ['a task cancelled already (exit 5)', ['TASK_TO_CANCEL', '--reason', 'again'], 5, /^error: task TASK_TO_CANCEL is cancelled: /],
    ['an unknown task id (exit 4)', ['TASK_NOPE', '--reason', 'x'], 4, /^error: task TASK_NOPE not found in \/.*tasks\.db$/],
    ['no --reason (exit 2)', ['TASK_DONE'], 2, /^error: --reason: is required/],
    ['an empty --reason (exit 2)', ['TASK_DONE', '--reason', '  '], 2, /^error: --reason: must not be empty$/],
  ];
  for (const [name, args, code, message] of refused) {
    it(`refuses ${name} and changes nothing`, async () => {
      const before = snapshot(db);
      const r = await run('task', 'cancel', ...args);
      expect(r.code).toBe(code);
      expect(errorLine(r)).toMatch(message);
      expect(snapshot(db)).toBe(before);
    });
  }
});
