import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { call, startDaemon, task, until, untilLogLine } from '../support/daemon.js';
import { startDesk } from '../support/desk.js';

describe('api-only housekeeping', () => {
  it('a daemon with a bridge arms received tasks within a second, at the default interval', async () => {
    const d = await startDesk({ daemon: { pollMs: undefined } });
    try {
      await d.receive(task('ARM_1'));
      const t0 = Date.now();
      await d.until('ARM_1', 'waiting');
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await d.stop();
    }
  });

  it('expires overdue tasks and logs 任务过期 with task_id and customer_id', async () => {
    let now = Date.parse('2026-02-27T01:00:00Z');
    const d = await startDaemon({}, { clock: () => now });
    try {
      await call(d.url, 'POST', '/api/task/receive', task('EXPIRE_1', { timeout_hours: 1, customer: { id: 'c_exp' } }));
      await call(d.url, 'POST', '/api/task/receive', task('EXPIRE_2', { timeout_hours: 48 }));
      now += 2 * 3_600_000;
      await until(async () => (await call(d.url, 'GET', '/api/task/status/EXPIRE_1')).body.data.status === 'expired', 3000, 'expiry');
      // --api-only arms nothing: the task not yet due stays pending (nobody listens for it yet).
      expect((await call(d.url, 'GET', '/api/task/status/EXPIRE_2')).body.data.status).toBe('pending');
      const line = await untilLogLine(d.logFile, '任务过期 EXPIRE_1', 3000);
      expect(JSON.parse(line)).toMatchObject({ level: 'INFO', task_id: 'EXPIRE_1', customer_id: 'c_exp' });
      // The callback for the terminal status, queued in the same transaction, reaches the sink (here the daemon's own).
      const store = await openStore(d.db);
      try {
        const got = await until(async () => (await store.callbacks.list({ taskId: 'EXPIRE_1' }))[0], 5000, 'callback');
        expect(got.body).toMatchObject({ task_id: 'EXPIRE_1', status: 'expired' });
        await until(async () => (await store.outbox.backlog()).count === 0, 3000, 'outbox drained');
      } finally {
        store.close();
      }
    } finally {
      await d.stop();
    }
  });
});
