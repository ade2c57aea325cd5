/**
 * Issue #17 point 11: a database replaced or damaged while the daemon runs is noticed by the periodic check, not
 * at the next start — /api/health says "degraded" with the reason and the log has one ERROR line. A real daemon on a
 * real SQLite file, the file then changed underneath it as an operator's mistaken `mv` or `cp` would.
 */
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startDaemon, task, until, untilLogLine, type TestDaemon } from '../support/daemon.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(): Promise<TestDaemon> {
  const d = await startDaemon({}, { integrityCheckMs: 200 });
  cleanups.push(() => d.stop());
  expect((await call(d.url, 'POST', '/api/task/receive', task('KEEP_1'))).status).toBe(200);
  expect((await call(d.url, 'GET', '/api/health')).body.data.status).toBe('ok');
  return d;
}

describe('the database changed underneath a running daemon', () => {
  it('replaced by another file (mv): health turns degraded and the log says what to do', async () => {
    const d = await daemon();
    copyFileSync(d.db, `${d.db}.other`);
    renameSync(`${d.db}.other`, d.db);
    const health = await until(
      async () => {
        const h = (await call(d.url, 'GET', '/api/health')).body.data;
        return h.status === 'degraded' ? h : null;
      },
      10_000,
      'health to turn degraded',
    );
    expect(health.problems[0]).toBe(`database file ${d.db} was replaced while the daemon runs`);
    // The log is written asynchronously: health can say degraded a moment before the line reaches the file.
    const line = await untilLogLine(d.logFile, '"level":"ERROR"', 10_000);
    expect(line).toMatch(/"level":"ERROR".*was replaced while the daemon runs: run \\"aics db check\\"/);
  });

  it('overwritten in place with garbage (cp): health turns degraded', async () => {
    const d = await daemon();
    writeFileSync(d.db, Buffer.alloc(64 * 1024, 0x5a));
    const health = await until(
      async () => {
        const h = (await call(d.url, 'GET', '/api/health')).body?.data;
        return h?.status === 'degraded' ? h : null;
      },
      10_000,
      'health to turn degraded',
    );
    expect(health.problems[0]).toBe(
      `database file ${d.db} was overwritten while the daemon runs (it no longer starts with the SQLite header)`,
    );
  });
});
