import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, startDaemon, task, until } from '../support/daemon.js';

describe('server errors', () => {
  it('answer with a 500 envelope, and are logged at level ERROR with the stack', async () => {
    const d = await startDaemon();
    try {
      // Break the store under the running server: the next receive throws something nobody expected.
      (d.daemon as unknown as { store: { close(): void } }).store.close();
      const res = await call(d.url, 'POST', '/api/task/receive', task('BROKEN_1'));
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ code: 500, message: '服务器内部错误', data: null });
      const line = await until(
        () =>
          readFileSync(d.logFile, 'utf8')
            .split('\n')
            .find((l) => l.includes('"level":"ERROR"') && l.includes('POST /api/task/receive')),
        3000,
        'the error line',
      );
      const record = JSON.parse(line);
      expect(record.msg).toBe('服务器内部错误 (POST /api/task/receive)');
      expect(record.err.stack).toMatch(/database connection is not open/);
    } finally {
      await d.stop();
    }
  });
});
