/** --db / AICS_DB names where the store lives: a path as in the seed, a file:/sqlite: URL, or (later) postgres://. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { aics, tempDir } from '../support/cli.js';
import { fileTempDir } from '../support/fixtures.js';

const cwd = '/srv/shop';

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

  it('openStore opens a sqlite: URL as its file, and refuses postgres:// naming --db, without the password', async () => {
    const dir = fileTempDir();
    const store = await openStore(`sqlite://${join(dir, 'u.db')}`);
    await store.close();
    expect(existsSync(join(dir, 'u.db'))).toBe(true);
    const refused = openStore('postgres://aics:s3cret@db.local/aics');
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toThrow(
      /^--db \/ AICS_DB: the PostgreSQL store is not built yet \(postgres:\/\/aics:\*\*\*@db\.local\/aics\)/,
    );
    await expect(openStore('mysql://db.local/aics')).rejects.toThrow(
      /--db \/ AICS_DB: "mysql:\/\/db\.local\/aics" is not a store aics knows/,
    );
  });

  it('a command given a postgres:// --db says the store is not built yet (exit 2) and creates nothing', async () => {
    const ws = tempDir('aics-db-url-');
    try {
      const r = await aics(['task', 'list', '--db', 'postgres://aics:s3cret@db.local/aics'], { cwd: ws.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --db \/ AICS_DB: the PostgreSQL store is not built yet/);
      expect(r.stderr).not.toContain('s3cret');
      expect(existsSync(join(ws.dir, 'postgres:'))).toBe(false);
      const doctor = await aics(['doctor', '--json', '--db', 'postgres://aics:s3cret@db.local/aics'], { cwd: ws.dir });
      expect(doctor.stdout).not.toContain('s3cret');
      expect(JSON.parse(doctor.stdout).checks).toContainEqual(
        expect.objectContaining({
          check: 'database',
          verdict: 'fail',
          detail: 'postgres://aics:***@db.local/aics: the PostgreSQL store is not built yet',
        }),
      );
      const serve = await aics(['serve', '--api-only', '--port', '0'], { cwd: ws.dir, env: { AICS_DB: 'postgresql://db.local/aics' } });
      expect(serve.code).toBe(2);
      expect(serve.stderr).toContain('the PostgreSQL store is not built yet');
    } finally {
      ws.cleanup();
    }
  });
});
