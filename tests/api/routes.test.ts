import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { call, startDaemon, task, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(() => d.stop());

describe('GET /api/task/status/:task_id', () => {
  it('answers the whole task and its events', async () => {
    await call(d.url, 'POST', '/api/task/receive', task('STATUS_1'));
    const res = await call(d.url, 'GET', '/api/task/status/STATUS_1');
    expect(res.status).toBe(200);
    expect(res.body.code).toBe(200);
    expect(res.body.message).toBe('OK');
    expect(res.body.data).toMatchObject({
      task_id: 'STATUS_1',
      type: 'send_file_after_reply',
      customer_id: 'customer_123',
      trigger: { type: 'specified_customer_reply', keyword: '好的' },
      action: { type: 'send_message', message: '这是您要的文件' },
      created_by: '设计师 lz',
    });
    expect(res.body.data.events[0]).toMatchObject({ from_status: null, to_status: 'pending', reason: '任务接收' });
  });

  it('answers 404 任务不存在 for an unknown task', async () => {
    const res = await call(d.url, 'GET', '/api/task/status/NO_SUCH_TASK');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: '任务不存在', data: null });
  });
});

describe('POST /api/task/cancel', () => {
  it("cancels a task that has not run, with the seed's message", async () => {
    await call(d.url, 'POST', '/api/task/receive', task('CANCEL_1'));
    const res = await call(d.url, 'POST', '/api/task/cancel', { task_id: 'CANCEL_1', reason: '客户取消订单' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      message: '任务取消成功',
      data: { task_id: 'CANCEL_1', status: 'cancelled', reason: '客户取消订单' },
    });
    const status = await call(d.url, 'GET', '/api/task/status/CANCEL_1');
    expect(status.body.data.status).toBe('cancelled');
    expect(status.body.data.events.at(-1)).toMatchObject({ to_status: 'cancelled', reason: '任务取消: 客户取消订单' });
  });

  it('answers 409 for a task that already ran (or was cancelled)', async () => {
    await call(d.url, 'POST', '/api/task/receive', task('CANCEL_RAN'));
    // Another daemon (the engine) on the same database arms, claims and completes it.
    const engine = SqliteTaskStore.open(d.db);
    try {
      expect(await engine.arm('test-engine', ['CANCEL_RAN'])).toEqual(['CANCEL_RAN']);
      const claimed = await engine.claim('CANCEL_RAN', { owner: 'test-engine', leaseMs: 60_000 });
      expect(claimed?.status).toBe('running');
    } finally {
      engine.close();
    }
    const res = await call(d.url, 'POST', '/api/task/cancel', { task_id: 'CANCEL_RAN', reason: 'too late' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe(409);
    expect(res.body.message).toContain('running');
  });

  it('answers 404 for an unknown task and 400 naming task_id when it is missing', async () => {
    const missing = await call(d.url, 'POST', '/api/task/cancel', { task_id: 'NOPE', reason: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 404, message: '任务不存在', data: null });
    const bad = await call(d.url, 'POST', '/api/task/cancel', { reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: 400, message: '参数错误: task_id: is required', data: { field: 'task_id' } });
    const wrongType = await call(d.url, 'POST', '/api/task/cancel', { task_id: 42 });
    expect(wrongType.body).toEqual({ code: 400, message: '参数错误: task_id: must be string', data: { field: 'task_id' } });
  });
});

describe('GET /api/task/list', () => {
  it('filters by customer and status, pages, and reports the total', async () => {
    for (let i = 1; i <= 5; i++) {
      await call(
        d.url,
        'POST',
        '/api/task/receive',
        task(`LIST_${i}`, { customer: { id: 'c_list' }, trigger: { type: 'customer_reply', keyword: `k${i}` } }),
      );
    }
    await call(d.url, 'POST', '/api/task/cancel', { task_id: 'LIST_5', reason: 'x' });
    const page1 = await call(d.url, 'GET', '/api/task/list?customer_id=c_list&page=1&page_size=2');
    expect(page1.status).toBe(200);
    expect(page1.body.data).toMatchObject({ total: 5, page: 1, page_size: 2 });
    expect(page1.body.data.items.map((t: { task_id: string }) => t.task_id)).toEqual(['LIST_5', 'LIST_4']);
    const page3 = await call(d.url, 'GET', '/api/task/list?customer_id=c_list&page=3&page_size=2');
    expect(page3.body.data.items.map((t: { task_id: string }) => t.task_id)).toEqual(['LIST_1']);
    const cancelled = await call(d.url, 'GET', '/api/task/list?customer_id=c_list&status=cancelled');
    expect(cancelled.body.data).toMatchObject({ total: 1, page: 1, page_size: 20 });
  });

  const bad: [string, string][] = [
    ['page=0', 'page'],
    ['page=abc', 'page'],
    ['page_size=201', 'page_size'],
    ['page_size=-1', 'page_size'],
    ['page_size=1.5', 'page_size'],
    ['status=done', 'status'],
    ['trigger_type=whenever', 'trigger_type'],
    ['status=pending&status=waiting', 'status'],
  ];
  for (const [query, field] of bad) {
    it(`answers 400 naming ${field} for ?${query}`, async () => {
      const res = await call(d.url, 'GET', `/api/task/list?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.data).toEqual({ field });
      expect(res.body.message).toMatch(new RegExp(`^参数错误: ${field}: `));
    });
  }

  it('accepts page_size 200, the maximum', async () => {
    const res = await call(d.url, 'GET', '/api/task/list?page_size=200');
    expect(res.status).toBe(200);
    expect(res.body.data.page_size).toBe(200);
  });
});

describe('GET /api/health', () => {
  it("answers the seed's shape with mode, uptime, db and counts", async () => {
    const res = await call(d.url, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: 'OK', data: { service: 'ai-cs-tianwang-bridge' } });
    const data = res.body.data;
    expect(data).toMatchObject({ mode: 'api-only', qingjian: { connected: false, state: 'disabled' }, outbox_backlog: expect.any(Number) });
    expect(data.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(data.uptime_s).toBeGreaterThanOrEqual(0);
    expect(data.db).toMatchObject({ file: d.db, schema_version: SCHEMA_VERSION });
    expect(Object.keys(data.tasks).sort()).toEqual(['cancelled', 'completed', 'expired', 'failed', 'pending', 'running', 'waiting']);
  });
});

describe('POST /api/task/callback (sink)', () => {
  it('records what it receives and answers 200', async () => {
    const body = { event_id: 'CB_1:completed:1', task_id: 'CB_1', status: 'completed', result: { msg_id: 'm1' } };
    const res = await call(d.url, 'POST', '/api/task/callback', body, { 'x-aics-signature': 'sha256=abc' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, message: '回调接收成功', data: { id: expect.any(Number) } });
    const store = await openStore(d.db);
    try {
      const got = await store.callbacks.list({ taskId: 'CB_1' });
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        id: res.body.data.id,
        event_id: 'CB_1:completed:1',
        status: 'completed',
        body,
        signature: 'sha256=abc',
      });
    } finally {
      store.close();
    }
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const res = await call(d.url, 'POST', '/api/task/callback', [1]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, message: '参数错误: body: must be a JSON object', data: { field: 'body' } });
  });
});

describe('envelope for everything else', () => {
  it('answers an unknown route with a 404 envelope', async () => {
    const res = await call(d.url, 'GET', '/api/nothing/here?x=1');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: '接口不存在: GET /api/nothing/here', data: null });
  });

  it('answers a known route with the wrong method with 405 and Allow', async () => {
    const get = await call(d.url, 'GET', '/api/task/receive');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.body).toMatchObject({ code: 405, data: null });
    const del = await call(d.url, 'DELETE', '/api/task/status/X');
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
  });
});
