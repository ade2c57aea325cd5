import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { SEED, call, startDaemon, task, untilLogLine, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(() => d.stop());

describe('POST /api/task/receive', () => {
  it("answers the seed's example with the seed's response, byte for byte in meaning", async () => {
    const res = await call(d.url, 'POST', '/api/task/receive', SEED.receive);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SEED.receive_response);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('is idempotent: the same task again is 200 with its current status, and stored once', async () => {
    const body = task('IDEM_1');
    const first = await call(d.url, 'POST', '/api/task/receive', body);
    expect(first.status).toBe(200);
    // A daemon with a bridge arms it (pending → waiting); a re-receive reports what it is now.
    const store = SqliteTaskStore.open(d.db);
    try {
      expect(await store.arm('test-engine', ['IDEM_1'])).toEqual(['IDEM_1']);
      const again = await call(d.url, 'POST', '/api/task/receive', body);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ code: 200, message: '任务接收成功', data: { task_id: 'IDEM_1', status: 'waiting' } });
      expect((await store.events('IDEM_1')).filter((e) => e.to_status === 'pending')).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('answers 409 when the same task_id comes with another body', async () => {
    await call(d.url, 'POST', '/api/task/receive', task('CONFLICT_1'));
    const res = await call(d.url, 'POST', '/api/task/receive', task('CONFLICT_1', { action: { type: 'send_message', message: '另一个' } }));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe(409);
    expect(res.body.message).toContain('CONFLICT_1');
    expect(res.body.data).toBeNull();
  });

  const invalid: [string, (t: Record<string, any>) => unknown, string][] = [
    ['trigger.keyword', (t) => void delete t.trigger.keyword, '参数错误: trigger.keyword: is required'],
    ['task_id', (t) => void delete t.task_id, '参数错误: task_id: is required'],
    ['trigger.type', (t) => void (t.trigger.type = 'when_i_feel_like_it'), '参数错误: trigger.type'],
    ['action.message', (t) => void (t.action.message = '   '), '参数错误: action.message: must not be empty'],
    ['priority', (t) => void (t.priority = 'asap'), '参数错误: priority: must be one of'],
    ['timeout_hours', (t) => void (t.timeout_hours = -1), '参数错误: timeout_hours: must be greater than 0'],
    ['trigger.keywords', (t) => void (t.trigger = { type: 'customer_keyword', keywords: [] }), '参数错误: trigger.keywords'],
    ['trigger.exact_match', (t) => void (t.trigger.exact_match = 'yes'), '参数错误: trigger.exact_match: must be boolean'],
    [
      'customer',
      (t) => void (delete t.customer, (t.trigger = { type: 'time_reach', time: '2099-01-01 09:00:00' })),
      '参数错误: customer: is required for a time_reach trigger',
    ],
    ['trigger.time', (t) => void (t.trigger = { type: 'time_reach', time: 'tomorrow-ish' }), '参数错误: trigger.time'],
  ];
  for (const [field, mutate, message] of invalid) {
    it(`answers 400 naming ${field}`, async () => {
      const body = task(`BAD_${field}`);
      mutate(body);
      const res = await call(d.url, 'POST', '/api/task/receive', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
      expect(res.body.message).toContain(message);
      expect(res.body.message.indexOf(message)).toBe(0);
      expect(res.body.data).toEqual({ field });
    });
  }

  it('refuses file_url values outside the policy, naming action.file_url', async () => {
    for (const fileUrl of ['file:///etc/passwd', '../secrets/a.pdf', 'docs/../../etc/passwd', '/etc/passwd', 'ftp://example.com/a.pdf']) {
      const res = await call(d.url, 'POST', '/api/task/receive', task('FILE_BAD', { action: { type: 'send_file', file_url: fileUrl } }));
      expect(res.status, fileUrl).toBe(400);
      expect(res.body.data).toEqual({ field: 'action.file_url' });
      expect(res.body.message).toMatch(/^参数错误: action\.file_url: /);
    }
  });

  it('accepts https URLs and paths inside the files folder', async () => {
    mkdirSync(join(d.dir, 'files'), { recursive: true });
    const ok1 = await call(
      d.url,
      'POST',
      '/api/task/receive',
      task('FILE_OK_1', { action: { type: 'send_file', file_url: 'https://cdn.example.com/a.pdf' } }),
    );
    const ok2 = await call(
      d.url,
      'POST',
      '/api/task/receive',
      task('FILE_OK_2', { action: { type: 'send_image', file_url: 'designs/a.png' } }),
    );
    const ok3 = await call(
      d.url,
      'POST',
      '/api/task/receive',
      task('FILE_OK_3', { action: { type: 'send_file', file_url: join(d.dir, 'files', 'b.pdf') } }),
    );
    expect([ok1.status, ok2.status, ok3.status]).toEqual([200, 200, 200]);
  });

  it('answers malformed JSON, an empty body and a non-object body with 400 naming the body', async () => {
    const bad = await call(d.url, 'POST', '/api/task/receive', '{"task_id": "X",', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 400, data: { field: 'body' } });
    expect(bad.body.message).toMatch(/^参数错误: body: is not valid JSON/);
    const empty = await call(d.url, 'POST', '/api/task/receive', '', { 'content-type': 'application/json' });
    expect(empty.status).toBe(400);
    expect(empty.body.data).toEqual({ field: 'body' });
    const list = await call(d.url, 'POST', '/api/task/receive', [1, 2]);
    expect(list.status).toBe(400);
    expect(list.body.code).toBe(400);
  });

  it('answers a body over 256 KiB with a 413 envelope', async () => {
    const res = await call(
      d.url,
      'POST',
      '/api/task/receive',
      task('BIG', { action: { type: 'send_message', message: 'x' }, padding: 'x'.repeat(300 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 413, data: null });
    expect(res.body.message).toMatch(/^请求体过大/);
  });

  it('answers a body that is not application/json with a 415 envelope', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await call(d.url, 'POST', '/api/task/receive', JSON.stringify(task('CT')), { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.body).toMatchObject({ code: 415, data: null });
    }
    const withCharset = await call(d.url, 'POST', '/api/task/receive', JSON.stringify(task('CT_UTF8')), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(withCharset.status).toBe(200);
  });

  it('commits before it answers: another connection sees the task at once', async () => {
    const res = await call(d.url, 'POST', '/api/task/receive', task('VISIBLE_1', { customer: { id: 'c_vis', name: '小红' } }));
    expect(res.status).toBe(200);
    const other = SqliteTaskStore.open(d.db);
    try {
      const stored = await other.get('VISIBLE_1');
      expect(stored).toMatchObject({ task_id: 'VISIBLE_1', customer_id: 'c_vis', customer_name: '小红' });
    } finally {
      other.close();
    }
  });

  it('logs 任务接收 with task_id and customer_id to the log file', async () => {
    await call(d.url, 'POST', '/api/task/receive', task('LOGGED_1', { customer: { id: 'c_log' } }));
    const line = await untilLogLine(d.logFile, '任务接收 LOGGED_1', 3000);
    expect(JSON.parse(line)).toMatchObject({ level: 'INFO', task_id: 'LOGGED_1', customer_id: 'c_log' });
  });
});
