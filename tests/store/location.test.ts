/** --db / AICS_DB names where the store lives: a path as in the seed, a file:/sqlite: URL, or a postgres:// URL. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config.js';
import { DatabaseError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { aics, tempDir } from '../support/cli.js';
import { fileTempDir } from '../support/fixtures.js';

const cwd = '/srv/shop';
/** Port 1 on the loopback: nothing listens, so the connection is refused at once. */
const NO_SERVER = 'postgres://aics:s3cret@127.0.0.1:1/aics';

describe('the --db value', () => {
  it('a path stays relative to the working folder, as in the seed; file: and sqlite: URLs name files too', () => {
    expect(resolveSettings({}, {}, cwd).db).toBe('/srv/shop/db/task_db/tasks.db');
    expect(resolveSettings({ db: 'data/t.db' }, {}, cwd).db).toBe('/srv/shop/data/t.db');
    expect(resolveSettings({}, { AICS_DB: 'odd:name.db' }, cwd).db).toBe('/srv/shop/odd:name.db');
    expect(resolveSettings({ db: 'file:///var/lib/aics/t.db' }, {}, cwd).db).toBe('/var/lib/aics/t.db');
    expect(resolveSettings({ db: 'sqlite:data/t.db' }, {}, cwd).db).toBe('/srv/shop/data/t.db');
    expect(resolveSettings({ db: 'sqlite:///var/lib/aics/t.db' }, {}, cwd).db).toBe('/var/lib/aics/t.db');
  });

  it('a postgres:// URL is kept as it is, not turned into a path', () => {
    expect(resolveSettings({}, { AICS_DB: 'postgres://aics:pw@db.local/aics' }, cwd).db).toBe('postgres://aics:pw@db.local/aics');
    expect(resolveSettings({ db: 'postgresql://db.local/aics' }, {}, cwd).db).toBe('postgresql://db.local/aics');
  });

  it('openStore opens a sqlite: URL as its file, and a postgres:// URL on its server, naming it without the password', async () => {
    const dir = fileTempDir();
    const store = await openStore(`sqlite://${join(dir, 'u.db')}`);
    await store.close();
    expect(existsSync(join(dir, 'u.db'))).toBe(true);
    const unreachable = openStore(NO_SERVER);
    await expect(unreachable).rejects.toThrow(DatabaseError);
    await expect(unreachable).rejects.toThrow(/^database postgres:\/\/aics:\*\*\*@127\.0\.0\.1:1\/aics cannot be reached/);
    await expect(openStore('mysql://db.local/aics')).rejects.toThrow(
      /--db \/ AICS_DB: "mysql:\/\/db\.local\/aics" is not a store aics knows/,
    );
  });

  it('a command given a postgres:// --db whose server is not there says so (exit 7), without the password, and creates nothing', async () => {
    const ws = tempDir('aics-db-url-');
    try {
      const r = await aics(['task', 'list', '--db', NO_SERVER], { cwd: ws.dir });
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/^error: database postgres:\/\/aics:\*\*\*@127\.0\.0\.1:1\/aics cannot be reached/);
      expect(r.stderr).not.toContain('s3cret');
      expect(existsSync(join(ws.dir, 'postgres:'))).toBe(false);
      const doctor = await aics(['doctor', '--json', '--db', NO_SERVER], { cwd: ws.dir });
      expect(doctor.stdout).not.toContain('s3cret');
      expect(JSON.parse(doctor.stdout).checks).toContainEqual(
        expect.objectContaining({ check: 'database', verdict: 'fail', detail: expect.stringContaining('cannot be reached') }),
      );
      const serve = await aics(['serve', '--api-only', '--port', '0'], { cwd: ws.dir, env: { AICS_DB: NO_SERVER } });
      expect(serve.code).toBe(7);
      expect(serve.stderr).toContain('cannot be reached');
    } finally {
      ws.cleanup();
    }
  });
});
