/**
 * Issue #17 point 8, through real sockets: without a token, a request whose Host is not a loopback name (a page
 * using DNS rebinding) is refused before any route runs, unless AICS_ALLOWED_HOSTS lists it; with a token Host does
 * not matter. The open callback sink refuses an oversized body and stores a bounded amount under a flood.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startDaemon, task, type TestDaemon } from '../support/daemon.js';
import { fileTempDir } from '../support/fixtures.js';
import { startServe } from '../support/spawn.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One request with a Host header of our choosing (undici sets its own). */
function withHost(url: string, method: string, path: string, host: string, body?: unknown, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(url);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; body: any; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method, path, headers: { host, ...(data ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text || 'null'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function daemon(flags: Parameters<typeof startDaemon>[0] = {}): Promise<TestDaemon> {
  const d = await startDaemon(flags);
  cleanups.push(() => d.stop());
  return d;
}

describe('the Host header without a token', () => {
  it('refuses a name that is not loopback (DNS rebinding): nothing listed, nothing created', async () => {
    const d = await daemon();
    const port = new URL(d.url).port;
    const list = await withHost(d.url, 'GET', '/api/task/list', `rebind.attacker.example:${port}`);
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({ code: 403, data: null });
    expect(list.body.message).toMatch(/^禁止访问: Host "rebind\.attacker\.example:\d+" is not a loopback name/);
    const created = await withHost(d.url, 'POST', '/api/task/receive', 'rebind.attacker.example', task('REBIND_1'));
    expect(created.status).toBe(403);
    expect((await withHost(d.url, 'GET', '/api/health', 'evil.example')).status).toBe(403);
    expect((await call(d.url, 'GET', '/api/task/status/REBIND_1')).status).toBe(404);
  });

  it('serves localhost, 127.x.x.x and [::1], with or without a port', async () => {
    const d = await daemon();
    const port = new URL(d.url).port;
    for (const host of [`localhost:${port}`, 'LOCALHOST', `127.0.0.1:${port}`, '127.1.2.3', `[::1]:${port}`]) {
      expect((await withHost(d.url, 'GET', '/api/task/list', host)).status, host).toBe(200);
    }
  });

  it('serves the names in the allowed list', async () => {
    const d = await daemon({ allowedHosts: ['aics.lan', 'desk.internal:6060'] });
    expect((await withHost(d.url, 'GET', '/api/task/list', 'aics.lan:6060')).status).toBe(200);
    expect((await withHost(d.url, 'GET', '/api/task/list', 'desk.internal')).status).toBe(200);
    expect((await withHost(d.url, 'GET', '/api/task/list', 'other.lan')).status).toBe(403);
  });

  it('with a token, Host is not checked (the token is)', async () => {
    const d = await daemon({ apiToken: 'host-test-token-1234567890' });
    const auth = { authorization: 'Bearer host-test-token-1234567890' };
    expect((await withHost(d.url, 'GET', '/api/task/list', 'aics.example.com', undefined, auth)).status).toBe(200);
    expect((await withHost(d.url, 'GET', '/api/task/list', 'aics.example.com')).status).toBe(401);
  });

  it('the binary reads AICS_ALLOWED_HOSTS', async () => {
    const cwd = fileTempDir();
    const serve = await startServe(['--api-only', '--port', '0', '--db', 'tasks.db'], {
      cwd,
      env: { AICS_ALLOWED_HOSTS: 'aics.lan, shop.box' },
    });
    cleanups.push(async () => {
      serve.child.kill('SIGTERM');
      await serve.exit;
    });
    expect((await withHost(serve.url, 'GET', '/api/task/list', 'shop.box:80')).status).toBe(200);
    expect((await withHost(serve.url, 'GET', '/api/task/list', 'evil.box')).status).toBe(403);
  }, 30_000);
});

describe('the open callback sink', () => {
  it('refuses a body over 64 KiB with 413 and stores nothing', async () => {
    const d = await daemon();
    const res = await call(d.url, 'POST', '/api/task/callback', { task_id: 'BIG', pad: 'x'.repeat(100 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/^请求体过大: a callback body is at most 64 KiB/);
    expect((await call(d.url, 'POST', '/api/task/callback', { task_id: 'SMALL', status: 'completed' })).status).toBe(200);
  });

  it('under a flood stores a bounded amount and answers 429 with Retry-After', async () => {
    const d = await daemon();
    const pad = 'y'.repeat(60 * 1024);
    const t0 = Date.now();
    let refused = 0;
    let retryAfter: unknown;
    for (let i = 0; i < 200; i++) {
      const res = await call(d.url, 'POST', '/api/task/callback', { task_id: `FLOOD_${i}`, pad });
      if (res.status === 429) {
        refused++;
        retryAfter = res.headers['retry-after'];
        expect(res.body.message).toMatch(/^请求过于频繁/);
      } else expect(res.status).toBe(200);
    }
    const seconds = (Date.now() - t0) / 1000;
    expect(refused).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const stored = 200 - refused;
    // 4 MiB of burst plus 256 KiB a second of the time the flood took.
    expect(stored * 60 * 1024).toBeLessThanOrEqual(4 * 1024 * 1024 + 256 * 1024 * (seconds + 1));
  });
});
