/**
 * A process that opens a database, starts the WAL checkpointer, writes, and then stops it (`stop`), leaves it running
 * (`leave`), or stops it before its thread has said it is ready (`stop-at-once`, a SIGTERM during the daemon's
 * start). It never calls process.exit: it ends, with its line on stdout, only if the checkpointer lets it. Run by
 * tests/store/wal-checkpointer.test.ts with `node --import tsx`.
 */
import { openDatabase } from '../../src/store/connection.js';
import { WalCheckpointer } from '../../src/store/wal-checkpointer.js';

const [file, how] = process.argv.slice(2) as [string, 'stop' | 'leave' | 'stop-at-once'];
const db = openDatabase(file);
const checkpointer = new WalCheckpointer(db, file, { intervalMs: 10 });
if (how === 'stop-at-once') {
  await checkpointer.stop();
  db.close();
  process.stdout.write(`${JSON.stringify({ state: checkpointer.state })}\n`);
} else {
  const running = await checkpointer.ready;
  db.exec('CREATE TABLE IF NOT EXISTS filler (b BLOB)');
  db.prepare('INSERT INTO filler VALUES (randomblob(4000))').run();
  const result = await checkpointer.checkpointNow();
  if (how === 'stop') {
    await checkpointer.stop();
    db.close();
  }
  process.stdout.write(`${JSON.stringify({ running, checkpointed: result.checkpointed, state: checkpointer.state })}\n`);
}
