/** The crash scenario (crash-scenario.ts) on the PostgreSQL store: a fresh database on a real server. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { crashScenario } from './crash-scenario.js';

if (postgresAvailable()) {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());
  crashScenario('postgres', () => server!.createDatabase());
} else {
  describe('postgres: crash', () => {
    it.skip('skipped: PostgreSQL is not installed (Debian package "postgresql"; .ci/run installs it)', () => undefined);
  });
}
