/** `aics doctor` on a database server (a postgres:// --db): reachable with the URL's credentials, its schema usable. */
import { NotFoundError } from '../errors.js';
import { openStore, redactUrl } from '../store/index.js';
import type { CheckResult } from './check-result.js';

/** A database server: reachable with the URL's credentials, and its schema one this aics can use. Changes nothing. */
export async function serverDatabaseChecks(url: string): Promise<CheckResult[]> {
  const where = redactUrl(url);
  try {
    const store = await openStore(url, { readonly: true, poolSize: 1 });
    try {
      const { schema_version } = await store.tasks.stats();
      return [
        { check: 'database', verdict: 'ok', detail: `${where}: reachable` },
        { check: 'schema', verdict: 'ok', detail: `version ${schema_version}` },
      ];
    } finally {
      await store.close();
    }
  } catch (error) {
    const missing = error instanceof NotFoundError;
    return [
      {
        check: 'database',
        verdict: missing ? 'warn' : 'fail',
        detail: (error as Error).message,
        fix: missing
          ? 'the first "aics serve" or "aics task add" creates the tables'
          : 'check that the server runs, and the URL (--db, AICS_DB): host, port, user, password, database',
      },
    ];
  }
}
