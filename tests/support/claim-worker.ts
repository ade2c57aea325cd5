/** A separate process that tries to claim every waiting task of a database; prints the ids it won as JSON. */
import { SqliteTaskStore } from '../../src/store/sqlite.js';

const [file, owner, idsJson] = process.argv.slice(2) as [string, string, string];
const store = SqliteTaskStore.open(file, { busyTimeoutMs: 20_000 });
const won: string[] = [];
for (const id of JSON.parse(idsJson) as string[]) {
  if (await store.claim(id, { owner, leaseMs: 60_000 })) won.push(id);
}
store.close();
process.stdout.write(JSON.stringify(won));
