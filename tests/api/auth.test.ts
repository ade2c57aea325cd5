import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { tokenChecker } from '../../src/daemon/http/auth.js';
import { AicsError, ExitCode } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { call, startDaemon, task, tempDir, testSettings, until, type TestDaemon } from '../support/daemon.js';

const TOKEN = 'test-token-5f0c8e2a9b7d4c1e';

describe('a daemon bound to 0.0.0.0 with AICS_API_TOKEN', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon({ host: '0.0.0.0', apiToken: TOKEN });
  });
  afterAll(() => d.stop());

  it('answers 401 without a token and with a wrong one, on every route', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/task/receive', task('AUTH_1')],
      ['GET', '/api/task/status/AUTH_1', undefined],
      ['POST', '/api/task/cancel', { task_id: 'AUTH_1' }],
      ['GET', '/api/task/list', undefined],
      ['POST', '/api/task/callback', { task_id: 'AUTH_1' }],
    ] as const) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }]) {
        const res = await call(d.url, method, path, body, headers as Record<string, string>);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.body).toMatchObject({ code: 401, data: null });
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
    }
    // Nothing was stored by the refused requests.
    const status = await call(d.url, 'GET', '/api/task/status/AUTH_1', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(status.status).toBe(404);
  });

  it('answers 200 with the right token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call(d.url, 'POST', '/api/task/receive', task('AUTH_2'), auth)).status).toBe(200);
    expect((await call(d.url, 'GET', '/api/task/status/AUTH_2', undefined, auth)).status).toBe(200);
    expect((await call(d.url, 'GET', '/api/task/list', undefined, { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('answers /api/health minimally without the token, fully with it', async () => {
    const open = await call(d.url, 'GET', '/api/health');
    expect(open.status).toBe(200);
    expect(open.body).toEqual({ code: 200, message: 'OK', data: { service: 'ai-cs-tianwang-bridge', status: 'ok' } });
    const full = await call(d.url, 'GET', '/api/health', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(full.body.data).toMatchObject({ mode: 'api-only', db: { schema_version: SCHEMA_VERSION } });
  });

  it('never writes the token to the log', async () => {
    await call(d.url, 'POST', '/api/task/receive', task('AUTH_3'), { authorization: `Bearer ${TOKEN}` });
    await call(d.url, 'GET', '/api/task/list', undefined, { authorization: `Bearer ${TOKEN}x` });
    const log = await until(
      () => {
        const text = readFileSync(d.logFile, 'utf8');
        return text.includes('AUTH_3') && text.includes('→ 401') && text;
      },
      3000,
      'the log lines',
    );
    expect(log).not.toContain(TOKEN);
  });
});

describe('start-up refusals', () => {
  it('refuses a non-loopback host without a token (exit code 2), before opening anything', () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
        let error: unknown;
        try {
          new Daemon({ settings: testSettings(dir, { host }), mode: 'api-only' });
        } catch (e) {
          error = e;
        }
        expect(error, host).toBeInstanceOf(AicsError);
        expect((error as AicsError).exitCode).toBe(ExitCode.usage);
        expect((error as AicsError).message).toMatch(/AICS_API_TOKEN/);
      }
    } finally {
      cleanup();
    }
  });

  it('requires the token on loopback too once it is set', async () => {
    const d = await startDaemon({ apiToken: TOKEN });
    try {
      expect((await call(d.url, 'GET', '/api/task/list')).status).toBe(401);
      expect((await call(d.url, 'GET', '/api/task/list', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    } finally {
      await d.stop();
    }
  });

  it('refuses --multi without a bridge, on PostgreSQL, or with a --workers count out of range, with exit code 2', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(() => new Daemon({ settings: testSettings(dir), mode: 'api-only', workers: 4 })).toThrow(/--multi .*needs the bridge/);
      for (const workers of [0, 65]) {
        expect(() => new Daemon({ settings: testSettings(dir), mode: 'bridge', workers })).toThrow(/--workers must be 1 to 64/);
      }
      const onPostgres = { ...testSettings(dir), db: 'postgres://aics@db.local/aics' };
      expect(() => new Daemon({ settings: onPostgres, mode: 'bridge', workers: 2 })).toThrow(
        /--multi runs on a SQLite database file for now/,
      );
    } finally {
      cleanup();
    }
  });
});

describe('tokenChecker', () => {
  it('accepts exactly "Bearer <token>" (scheme in any case) and nothing else', () => {
    const check = tokenChecker('s3cret');
    expect(check('Bearer s3cret')).toBe(true);
    expect(check('bearer   s3cret')).toBe(true);
    expect(check('Bearer s3cre')).toBe(false);
    expect(check('Bearer s3cret2')).toBe(false);
    expect(check('s3cret')).toBe(false);
    expect(check('Basic s3cret')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(check('Bearer ')).toBe(false);
  });
});
