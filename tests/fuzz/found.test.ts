/**
 * Inputs the fuzzers found that broke the daemon, kept as plain cases so they stay fixed whatever seed the fuzzers
 * run with. Each names what it broke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startDaemon, task, type TestDaemon } from '../support/daemon.js';
import { deepObjectText, rawHttp } from '../support/fuzz.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(() => d.stop());

const JSON_TYPE = { 'content-type': 'application/json' };

describe('inputs found by the HTTP fuzz', () => {
  it('a callback body nested 5 000 levels deep: was 500 (JSON.stringify overflowed), now 400 naming the body', async () => {
    for (const body of [deepObjectText(5_000), `{"task_id":"T","extra":${deepObjectText(65)}}`]) {
      const res = await call(d.url, 'POST', '/api/task/callback', body, JSON_TYPE);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, message: '参数错误: body: is nested deeper than 64 levels', data: { field: 'body' } });
    }
    // 64 levels are still taken.
    expect((await call(d.url, 'POST', '/api/task/callback', `{"task_id":"T","extra":${deepObjectText(63)}}`, JSON_TYPE)).status).toBe(200);
  });

  it("headers over 16 KiB: were 431 with fastify's own body, now the envelope", async () => {
    for (const res of [
      await call(d.url, 'GET', '/api/health', undefined, { 'x-big': 'h'.repeat(20_000) }),
      await call(d.url, 'GET', `/api/task/status/${'x'.repeat(20_000)}`),
    ]) {
      expect(res.status).toBe(431);
      expect(res.body).toEqual({ code: 431, message: '请求头过大: the request line and headers are larger than 16 KiB', data: null });
    }
  });

  it('a request the HTTP parser refuses (lower-case method, NUL in a header, Content-Length with chunked): 400 envelope naming the request', async () => {
    const host = `Host: ${new URL(d.url).host}\r\n`;
    for (const raw of [
      `get /api/health HTTP/1.1\r\n${host}\r\n`,
      `GET /api/health HTTP/1.1\r\n${host}X-Nul: a\u0000b\r\n\r\n`,
      `POST /api/task/receive HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
    ]) {
      const { responses } = await rawHttp(d.url, raw);
      expect(responses, JSON.stringify(raw)).toHaveLength(1);
      expect(responses[0]!.status).toBe(400);
      expect(JSON.parse(responses[0]!.body)).toMatchObject({ code: 400, data: { field: 'request' } });
      expect(JSON.parse(responses[0]!.body).message).toMatch(/^参数错误: request: is not valid HTTP\/1\.1 \(HPE_/);
    }
  });

  it('a task_id of 101 to 128 characters: receive took it, status answered 414; now found', async () => {
    const id = `LONG_${'x'.repeat(123)}`;
    expect(id).toHaveLength(128);
    expect((await call(d.url, 'POST', '/api/task/receive', task(id))).status).toBe(200);
    const res = await call(d.url, 'GET', `/api/task/status/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.data.task_id).toBe(id);
    expect((await call(d.url, 'GET', `/api/task/status/${id}x`)).status).toBe(404);
  });

  it('a lone surrogate in a text field: was stored as U+FFFD bytes (a task_id then answered under another id); now 400 naming the field', async () => {
    const cases: [string, string][] = [
      [JSON.stringify(task('LONE_PLACEHOLDER')).replace('LONE_PLACEHOLDER', 'LONE_\\ud800'), 'task_id'],
      [
        JSON.stringify(task('LONE_2', { action: { type: 'send_message', message: 'PLACEHOLDER' } })).replace('PLACEHOLDER', 'a\\udc00b'),
        'action.message',
      ],
      [JSON.stringify(task('LONE_3')).replace('"好的"', '"好的\\ud83d"'), 'trigger.keyword'],
    ];
    for (const [body, field] of cases) {
      const res = await call(d.url, 'POST', '/api/task/receive', body, JSON_TYPE);
      expect(res.status, field).toBe(400);
      expect(res.body).toEqual({
        code: 400,
        message: `参数错误: ${field}: must be valid Unicode (it holds a lone surrogate)`,
        data: { field },
      });
    }
    // A pair is one character, and fine.
    expect((await call(d.url, 'POST', '/api/task/receive', task('EMOJI_😀'))).status).toBe(200);
    expect((await call(d.url, 'GET', `/api/task/status/${encodeURIComponent('EMOJI_😀')}`)).body.data.task_id).toBe('EMOJI_😀');
  });
});
