/**
 * The end-to-end scenarios (e2e-scenarios.ts) on the PostgreSQL store: one real server for the file, a fresh
 * database per desk; a desk started in another desk's folder shares its database (two daemons on one database).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { desksStoppedAfterEach } from '../support/desk.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { endToEndScenarios } from './e2e-scenarios.js';

if (postgresAvailable()) {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  // Registered first, so it runs after the desks are stopped.
  afterAll(() => server?.stop());
  const desk = desksStoppedAfterEach();
  const databaseOfFolder = new Map<string, string>();
  endToEndScenarios('postgres', async (options = {}) => {
    const db = (options.dir && databaseOfFolder.get(options.dir)) ?? (await server!.createDatabase());
    const d = await desk({ ...options, settings: { ...options.settings, db } });
    databaseOfFolder.set(d.dir, db);
    return d;
  });
} else {
  describe('postgres: end to end', () => {
    it.skip('skipped: PostgreSQL is not installed (Debian package "postgresql"; .ci/run installs it)', () => undefined);
  });
}
