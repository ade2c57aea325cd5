/** The store contract against the SQLite store: one file per store, in a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../../src/store/index.js';
import type { StoreFactory } from './factory.js';
import { runStoreContract } from './run-contract.js';

function sqliteFactory(): StoreFactory {
  const dir = mkdtempSync(join(tmpdir(), 'aics-contract-'));
  const opened: Store[] = [];
  let n = 0;
  const track = (store: Store) => (opened.push(store), store);
  return {
    name: 'sqlite',
    open: async (options) => track(await openStore(join(dir, `s${++n}`, 'tasks.db'), options)),
    openAgain: async (store, options) => track(await openStore(store.file, options)),
    cleanup: async () => {
      for (const store of opened.splice(0)) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runStoreContract(sqliteFactory());
