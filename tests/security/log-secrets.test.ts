/**
 * Secrets never reach a log line (issue #6, security): the real `aics serve --api-only` process, started with
 * AICS_API_TOKEN and AICS_LLM_API_KEY set and every request logged (AICS_LOG_LEVEL=debug), is called with the right
 * token, wrong ones close to it, and the LLM key as a token; neither secret appears in its log file, stdout or stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, task, tempDir, until } from '../support/daemon.js';
import { startServe } from '../support/spawn.js';

const TOKEN = 'tok-Zq8R2mW5xV7nB4kD9sF1gH3jL6pT0yC';
const LLM_KEY = 'sk-llm-Pw4Ue7Ri2Ty5Qa8Sd1Fg3Hj6Kl9Zx0Cv';

const ws = tempDir('aics-secrets-');
afterAll(() => ws.cleanup());

/** The secret whole, and long pieces of it (a log that cut it, or quoted half of it, still leaks it). */
function pieces(secret: string): string[] {
  return [secret, secret.slice(0, 16), secret.slice(-16), secret.slice(8, 24)];
}

describe('aics serve --api-only with AICS_API_TOKEN and AICS_LLM_API_KEY', () => {
  it('writes neither secret to its log file, stdout or stderr, whatever the requests carry', async () => {
    const serve = await startServe(['--api-only', '--port', '0'], {
      cwd: ws.dir,
      env: { AICS_API_TOKEN: TOKEN, AICS_LLM_API_KEY: LLM_KEY, AICS_LOG_LEVEL: 'debug' },
    });
    try {
      const good = { authorization: `Bearer ${TOKEN}` };
      const wrong: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
        { authorization: TOKEN },
        { authorization: `Basic ${Buffer.from(`aics:${TOKEN}`).toString('base64')}` },
        { authorization: `Bearer ${LLM_KEY}` },
        { 'x-api-key': TOKEN },
      ];
      expect((await call(serve.url, 'POST', '/api/task/receive', task('SECRET_1'), good)).status).toBe(200);
      expect((await call(serve.url, 'POST', '/api/task/receive', { task_id: 'SECRET_BAD' }, good)).status).toBe(400);
      expect((await call(serve.url, 'GET', '/api/task/status/SECRET_1', undefined, good)).status).toBe(200);
      expect((await call(serve.url, 'GET', '/api/task/status/NOPE', undefined, good)).status).toBe(404);
      expect((await call(serve.url, 'POST', '/api/task/cancel', { task_id: 'SECRET_1', reason: 'test' }, good)).status).toBe(200);
      expect((await call(serve.url, 'GET', '/api/health', undefined, good)).status).toBe(200);
      for (const headers of wrong) {
        for (const [method, path] of [
          ['GET', '/api/task/list'],
          ['POST', '/api/task/receive'],
          ['GET', '/api/health'],
        ] as const) {
          const res = await call(serve.url, method, path, method === 'POST' ? task('SECRET_2') : undefined, headers);
          expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(path === '/api/health' ? 200 : 401);
        }
      }
      // The callback of the cancel goes to the daemon's own sink, with the token in its header.
      await until(
        () => readFileSync(join(ws.dir, 'logs', 'aics.log'), 'utf8').includes('callback delivered'),
        5000,
        'the callback delivered',
      );
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exit;
    }
    const log = readFileSync(join(ws.dir, 'logs', 'aics.log'), 'utf8');
    // The log did record the requests, refused ones included…
    expect(log).toContain('任务接收 SECRET_1');
    expect(log).toMatch(/→ 401 missing or wrong bearer token/);
    // …and nowhere a secret.
    for (const [where, text] of [
      ['log file', log],
      ['stdout', serve.stdout()],
      ['stderr', serve.stderr()],
    ] as const) {
      for (const piece of [...pieces(TOKEN), ...pieces(LLM_KEY)]) expect(text.includes(piece), `${where} contains ${piece}`).toBe(false);
    }
  });
});
