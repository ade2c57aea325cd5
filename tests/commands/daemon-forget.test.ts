/**
 * aics daemon forget: a daemon that will not come back leaves the registry (and so "aics status" and the others'
 * account scope); one still beating is refused (exit 5), an unknown id is not found (exit 4), and nothing else goes.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { aics, json, tempDir } from '../support/cli.js';

const { dir, cleanup } = tempDir('aics-forget-');
afterAll(cleanup);

describe('aics daemon forget', () => {
  it('forgets a stale daemon, refuses a beating one, names the recorded ones for an unknown id', async () => {
    const db = join(dir, 'tasks.db');
    const store = await openStore(db);
    const beat = (id: string, host: string, accounts: string[], heartbeatAt: number) =>
      store.daemons.heartbeat({
        id,
        host,
        pid: 1,
        accounts,
        api_url: null,
        version: '0.1.0',
        started_at: new Date(0).toISOString(),
        heartbeat_at: heartbeatAt,
      });
    await beat('daemon:pc-1:100', 'pc-1', ['wx_a'], Date.now());
    await beat('daemon:pc-2:200', 'pc-2', ['wx_b'], Date.now() - 3_600_000);
    await store.close();
    const env = { AICS_DB: db };

    const alive = await aics(['daemon', 'forget', 'daemon:pc-1:100'], { cwd: dir, env });
    expect(alive.code).toBe(5);
    expect(alive.stderr).toContain('daemon:pc-1:100 is alive');

    const unknown = await aics(['daemon', 'forget', 'daemon:pc-9:900'], { cwd: dir, env });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('recorded: daemon:pc-1:100, daemon:pc-2:200');

    const gone = await aics(['daemon', 'forget', 'daemon:pc-2:200', '--json'], { cwd: dir, env });
    expect(gone.code).toBe(0);
    expect(json(gone)).toMatchObject({ id: 'daemon:pc-2:200', state: 'stale', accounts: ['wx_b'] });

    const after = await openStore(db);
    try {
      expect((await after.daemons.list()).map((d) => d.id)).toEqual(['daemon:pc-1:100']);
    } finally {
      await after.close();
    }
  });
});
