/**
 * The bearer token on a public bind (issue #6, security): every method of every route, known or not, answers 401
 * without the right token; only GET/HEAD /api/health answer, minimally. The token goes where it is needed (the
 * daemon's own callback sink) and nowhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';
import { tableCounts } from '../support/fuzz.js';
import { startHttpSink } from '../support/http-sink.js';

const TOKEN = 'sec-token-3b9f6a0c1d2e4f5a6b7c8d9e';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const PATHS = [
  '/api/task/receive',
  '/api/task/status/SEC_1',
  '/api/task/cancel',
  '/api/task/list',
  '/api/task/callback',
  '/api/health',
  '/api/no-such-route',
  '/',
];
const WRONG: Record<string, string>[] = [
  {},
  { authorization: '' },
  { authorization: 'Bearer' },
  { authorization: 'Bearer wrong' },
  { authorization: `Bearer ${TOKEN}x` },
  { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
  { authorization: `Bearer x${TOKEN}` },
  { authorization: TOKEN },
  { authorization: `Token ${TOKEN}` },
  { authorization: `Basic ${Buffer.from(`aics:${TOKEN}`).toString('base64')}` },
  { authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` },
  { 'x-api-key': TOKEN },
];

describe('bound to 0.0.0.0 with AICS_API_TOKEN, called through 127.0.0.1', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon({ host: '0.0.0.0', apiToken: TOKEN });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterAll(() => d.stop());

  it('answers 401 to every method of every route without the right token, and stores nothing', async () => {
    const before = tableCounts(d.db);
    const wrongAnswers: string[] = [];
    for (const path of PATHS) {
      for (const method of METHODS) {
        for (const headers of WRONG) {
          const hasBody = !['GET', 'HEAD'].includes(method);
          const body = hasBody ? (path.endsWith('/cancel') ? { task_id: 'SEC_1', reason: 'x' } : task('SEC_1')) : undefined;
          const res = await call(d.url, method, path, body, headers);
          const healthOpen = path === '/api/health' && (method === 'GET' || method === 'HEAD');
          const what = `${method} ${path} ${JSON.stringify(headers).slice(0, 60)} → ${res.status}`;
          if (healthOpen) {
            if (res.status !== 200) wrongAnswers.push(what);
            else if (method === 'GET' && JSON.stringify(res.body.data) !== '{"service":"ai-cs-tianwang-bridge","status":"ok"}')
              wrongAnswers.push(`${what} said more than "ok"`);
            continue;
          }
          if (res.status !== 401 || res.headers['www-authenticate'] !== 'Bearer') wrongAnswers.push(what);
          else if (method !== 'HEAD' && (res.body?.code !== 401 || res.body?.data !== null))
            wrongAnswers.push(`${what} without the 401 envelope`);
        }
      }
    }
    expect(wrongAnswers).toEqual([]);
    expect(tableCounts(d.db)).toEqual(before);
  });

  it('answers with the right token, the scheme in any case', async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER   ${TOKEN}  `]) {
      expect((await call(d.url, 'GET', '/api/task/list', undefined, { authorization })).status, authorization).toBe(200);
    }
    expect((await call(d.url, 'POST', '/api/task/receive', task('SEC_2'), AUTH)).status).toBe(200);
    expect((await call(d.url, 'GET', '/api/health', undefined, AUTH)).body.data.mode).toBe('api-only');
  });
});

describe('callbacks when a token is set', () => {
  it("reach the daemon's own callback sink (the default callback URL) with the token, instead of 401 forever", async () => {
    const d = await startDaemon({ apiToken: TOKEN });
    const store = await openStore(d.db);
    try {
      expect((await call(d.url, 'POST', '/api/task/receive', task('SEC_CB_1'), AUTH)).status).toBe(200);
      expect((await call(d.url, 'POST', '/api/task/cancel', { task_id: 'SEC_CB_1', reason: 'test' }, AUTH)).status).toBe(200);
      const [received] = (await until(
        async () => {
          const list = await store.callbacks.list({ taskId: 'SEC_CB_1' });
          return list.length ? list : null;
        },
        5000,
        'the callback in the sink',
      ))!;
      expect(received!.body).toMatchObject({ task_id: 'SEC_CB_1', status: 'cancelled' });
      expect((await call(d.url, 'GET', '/api/health', undefined, AUTH)).body.data.outbox_backlog).toBe(0);
    } finally {
      store.close();
      await d.stop();
    }
  });

  it('never carry the token to a callback URL that was configured', async () => {
    const sink = await startHttpSink();
    const d = await startDaemon({ apiToken: TOKEN, callbackUrl: sink.url });
    try {
      await call(d.url, 'POST', '/api/task/receive', task('SEC_CB_2'), AUTH);
      await call(d.url, 'POST', '/api/task/cancel', { task_id: 'SEC_CB_2', reason: 'test' }, AUTH);
      const [got] = await sink.waitFor(1, 5000);
      expect(got!.body).toMatchObject({ task_id: 'SEC_CB_2', status: 'cancelled' });
      expect(got!.headers.authorization).toBeUndefined();
      expect(got!.raw).not.toContain(TOKEN);
      expect(JSON.stringify(got!.headers)).not.toContain(TOKEN);
    } finally {
      await d.stop();
      await sink.close();
    }
  });
});
