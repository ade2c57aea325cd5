/**
 * `aics db` on a PostgreSQL database, through the real binary: stats counts what the store holds; backup and check
 * are the server's own tools' job, and say which (exit 2, nothing connected to or written).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { payload } from '../store/contract/factory.js';
import { aics, json, tempDir } from '../support/cli.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';

describe.skipIf(!postgresAvailable())('aics db on a PostgreSQL database', () => {
  let server: PostgresServer;
  let url: string;
  const ws = tempDir('aics-db-pg-');
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
    const store = await openStore(url);
    await store.tasks.receive(payload({ task_id: 'A' }), 'api');
    await store.tasks.receive(payload({ task_id: 'B' }), 'api');
    await store.tasks.arm('d', ['B']);
    await store.close();
  });
  afterAll(async () => {
    await server?.stop();
    ws.cleanup();
  });

  it('db stats counts the tasks by status, with no file sizes', async () => {
    const r = await aics(['db', 'stats', '--json', '--db', url], { cwd: ws.dir });
    expect(r.code).toBe(0);
    const stats = json(r);
    expect(stats).toMatchObject({ total: 2, by_status: { pending: 1, waiting: 1 }, oldest_pending: { task_id: 'A' } });
    expect(stats.file).toBe(url);
    expect(stats.file_bytes).toBeUndefined();
    const text = await aics(['db', 'stats', '--db', url], { cwd: ws.dir });
    expect(text.stdout).toMatch(/tasks\s+2/);
  });

  it('db backup names pg_dump and db check names pg_amcheck, exit 2, without the password, writing nothing', async () => {
    const withPassword = url.replace('aics@', 'aics:s3cret@');
    const backup = await aics(['db', 'backup', join(ws.dir, 'copy.db'), '--db', withPassword], { cwd: ws.dir });
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(/^error: --db: postgres:\/\/aics:\*\*\*@[^ ]+ is a PostgreSQL database; .*pg_dump/);
    expect(backup.stderr).not.toContain('s3cret');
    expect(existsSync(join(ws.dir, 'copy.db'))).toBe(false);
    const check = await aics(['db', 'check', '--db', withPassword], { cwd: ws.dir });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('pg_amcheck');
  });
});
