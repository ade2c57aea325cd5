/**
 * The store contract against the PostgreSQL store: one real server per file (tests/support/postgres.ts), a fresh
 * database per store, and a second pool on the same database as another daemon's view. Skipped, saying so, where
 * the server is not installed.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../support/postgres.js';
import type { StoreFactory } from './factory.js';
import { CONTRACTS, runStoreContract, type ContractName } from './run-contract.js';

function postgresFactory(server: () => PostgresServer): StoreFactory {
  const opened: Store[] = [];
  const urls = new Map<Store, string>();
  const track = (store: Store, url: string) => (opened.push(store), urls.set(store, url), store);
  return {
    name: 'postgres',
    open: async (options) => {
      const url = await server().createDatabase();
      return track(await openStore(url, options), url);
    },
    openAgain: async (store, options) => {
      const url = urls.get(store)!;
      return track(await openStore(url, options), url);
    },
    cleanup: async () => {
      for (const store of opened.splice(0)) await store.close();
    },
  };
}

if (postgresAvailable()) {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  // Registered before the contracts' own afterAll hooks, so it runs after them (vitest runs afterAll in reverse).
  afterAll(() => server?.stop());
  // The shard scope serves `serve --multi`, which runs on SQLite only for now (refused on PostgreSQL).
  const names = (Object.keys(CONTRACTS) as ContractName[]).filter((name) => name !== 'taskShard');
  runStoreContract(
    postgresFactory(() => server!),
    names,
  );
} else {
  describe('postgres store contract', () => {
    it.skip('skipped: PostgreSQL is not installed (Debian package "postgresql"; .ci/run installs it)', () => undefined);
  });
}
