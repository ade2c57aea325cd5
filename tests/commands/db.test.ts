/**
 * `aics db stats`, `db backup` and `db check` through the real binary, on a healthy database, a missing one, a
 * file that is not a database, and a SQLite file with damaged pages.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { SqliteMaintenance, SqliteTaskStore } from '../../src/store/sqlite.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics, errorLine, json, seedExamples, tempDir } from '../support/cli.js';

const seed = seedExamples();
const ws = tempDir('aics-db-');
const db = join(ws.dir, 'tasks.db');
const run = (args: string[], file = db) => aics([...args, '--db', file], { cwd: ws.dir });
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A store with what db stats reports: two pending tasks (one time-triggered), one cancelled, one callback due. */
async function fill(file: string, extra = 0): Promise<string[]> {
  const store = SqliteTaskStore.open(file, { timeZone: 'Asia/Shanghai' });
  try {
    await store.receive(parseTaskPayload(seed.receive), 'test');
    await store.receive(
      parseTaskPayload({ ...seed.receive, task_id: 'TASK_AT_NINE', trigger: { type: 'time_reach', time: '2099-01-01 09:00:00' } }),
      'test',
    );
    await store.receive(parseTaskPayload({ ...seed.receive, task_id: 'TASK_CANCELLED' }), 'test');
    await store.cancel('TASK_CANCELLED', '客户取消订单', 'test');
    for (let i = 0; i < extra; i++) await store.receive(parseTaskPayload({ ...seed.receive, task_id: `TASK_BULK_${i}` }), 'test');
    return (await store.list({ pageSize: 200 })).items.map((t) => t.task_id).sort();
  } finally {
    store.close();
  }
}

let ids: string[];
beforeAll(async () => {
  ids = await fill(db);
});
afterAll(() => ws.cleanup());

describe('db stats', () => {
  it('--json: counts by status and trigger, oldest pending, next due, outbox, schema, sizes', async () => {
    const r = await run(['db', 'stats', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const stats = json(r);
    expect(stats).toMatchObject({
      file: db,
      schema_version: SCHEMA_VERSION,
      total: 3,
      by_status: { pending: 2, waiting: 0, running: 0, completed: 0, failed: 0, cancelled: 1, expired: 0 },
      by_trigger_type: { specified_customer_reply: 2, time_reach: 1 },
      oldest_pending: { task_id: seed.receive.task_id },
      next_due: { task_id: 'TASK_AT_NINE', due_at: '2099-01-01T01:00:00.000Z' },
      outbox_backlog: 1, // the "cancelled" callback to Tianwang
    });
    expect(stats.file_bytes).toBeGreaterThan(0);
  });

  it('for a person: sizes in KiB, times in AICS_TZ, tables of counts', async () => {
    const r = await run(['db', 'stats']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/size\s+\d+\.\d KiB \(WAL \d+(\.\d)? (B|KiB)\)/);
    expect(r.stdout).toMatch(/next due\s+TASK_AT_NINE at 2099-01-01 09:00:00/);
    expect(r.stdout).toMatch(/outbox\s+1 callback not yet delivered/);
    expect(r.stdout).toMatch(/│ cancelled\s+│ 1\s+│/);
  });

  it('a database that does not exist: exit 4, and none is created', async () => {
    const missing = join(ws.dir, 'typo', 'tasks.db');
    const r = await run(['db', 'stats'], missing);
    expect(r.code).toBe(4);
    expect(errorLine(r)).toBe(
      `error: database ${missing} does not exist (nothing was created): pass --db FILE or set AICS_DB, or run it in the folder where aics serve runs`,
    );
    expect(existsSync(missing)).toBe(false);
  });
});

describe('db backup', () => {
  const copy = join(ws.dir, 'backups', 'copy.db');

  it('writes a consistent copy that opens and has every task, and says how to restore', async () => {
    const r = await run(['db', 'backup', 'backups/copy.db']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^backup written: ${copy} \\(\\d+\\.\\d KiB\\)\\n`));
    expect(r.stdout).toContain(`cp ${copy} ${db} && rm -f ${db}-wal ${db}-shm`);
    const conn = new Database(copy, { readonly: true });
    try {
      expect((conn.prepare('SELECT task_id FROM tasks ORDER BY task_id').all() as { task_id: string }[]).map((t) => t.task_id)).toEqual(
        ids,
      );
      expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      conn.close();
    }
  });

  it('refuses to overwrite an existing file without --force (exit 2, file untouched)', async () => {
    const before = sha(copy);
    const r = await run(['db', 'backup', 'backups/copy.db']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(`error: FILE: ${copy} already exists; give --force to overwrite it`);
    expect(sha(copy)).toBe(before);
  });

  it('overwrites it with --force, even when it was not a database', async () => {
    writeFileSync(copy, 'not a database');
    const r = await run(['db', 'backup', copy, '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ file: copy, source: db, replaced: true });
    const conn = new Database(copy, { readonly: true });
    try {
      expect(conn.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n: ids.length });
    } finally {
      conn.close();
    }
  });

  it('refuses to write over the database itself (exit 2)', async () => {
    const before = sha(db);
    const r = await run(['db', 'backup', db, '--force']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe('error: FILE: the backup must not be the database itself');
    expect(sha(db)).toBe(before);
  });

  it('refuses the live database or its -wal/-shm under another name (links, a symlinked folder), even with --force', async () => {
    const live = join(ws.dir, 'live');
    mkdirSync(live, { recursive: true });
    const file = join(live, 'tasks.db');
    await fill(file);
    // The daemon holds it open: its -wal and -shm exist and hold acknowledged tasks not yet in the main file.
    const store = SqliteTaskStore.open(file, { timeZone: 'Asia/Shanghai' });
    try {
      await store.receive(parseTaskPayload({ ...seed.receive, task_id: 'TASK_IN_WAL' }), 'test');
      symlinkSync(file, join(ws.dir, 'sym.db'));
      linkSync(file, join(ws.dir, 'hard.db'));
      symlinkSync(live, join(ws.dir, 'livedir'));
      linkSync(`${file}-wal`, join(ws.dir, 'hard-wal'));
      const attempts: [string, string][] = [
        [join(ws.dir, 'sym.db'), file],
        [join(ws.dir, 'hard.db'), file],
        [join(ws.dir, 'livedir', 'tasks.db'), file],
        [`${file}-wal`, `${file}-wal`],
        [`${file}-shm`, `${file}-shm`],
        [join(ws.dir, 'hard-wal'), `${file}-wal`],
      ];
      for (const [target, which] of attempts) {
        const r = await run(['db', 'backup', target, '--force'], file);
        expect(r.code, target).toBe(2);
        expect(errorLine(r)).toBe(
          `error: FILE: ${target} is the database's own file ${which} (through a link or another name); choose another file`,
        );
      }
      expect((await store.get('TASK_IN_WAL'))?.task_id).toBe('TASK_IN_WAL');
      expect((await new SqliteMaintenance(store.db, store.file).check({ quick: false })).ok).toBe(true);
    } finally {
      store.close();
    }
    const conn = new Database(file, { readonly: true });
    try {
      expect(conn.prepare("SELECT COUNT(*) AS n FROM tasks WHERE task_id = 'TASK_IN_WAL'").get()).toEqual({ n: 1 });
    } finally {
      conn.close();
    }
  }, 120_000);
});

describe('db check', () => {
  it('a healthy database: "ok", exit 0', async () => {
    const r = await run(['db', 'check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`ok: database ${db} is intact (integrity_check found no problems)\n`);
  });

  it('a file of garbage bytes: a DAMAGED verdict, exit 7, and the file is kept as it was', async () => {
    const garbage = join(ws.dir, 'garbage.db');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 131 + 7) % 256)));
    const before = sha(garbage);
    const r = await run(['db', 'check'], garbage);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(new RegExp(`^DAMAGED: database ${garbage} is damaged:\\n  file is not a database\\n`));
    expect(r.stdout).toMatch(/what to do: stop the daemon; keep this file \(do not delete it.*restore the latest backup/);
    expect(r.stderr).toBe('');
    expect(sha(garbage)).toBe(before);

    const asJson = await run(['db', 'check', '--json'], garbage);
    expect(asJson.code).toBe(7);
    expect(json(asJson)).toMatchObject({ ok: false, file: garbage, problems: ['file is not a database'] });
  });

  it('a SQLite file with damaged pages: DAMAGED, exit 7, file kept', async () => {
    const damaged = join(ws.dir, 'damaged.db');
    await fill(damaged, 60); // several pages of tasks
    const bytes = readFileSync(damaged);
    bytes.fill(0x5a, 4096, 4096 * 4); // pages 2–4: table and index b-trees
    writeFileSync(damaged, bytes);
    const r = await run(['db', 'check'], damaged);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(new RegExp(`^DAMAGED: database ${damaged} is damaged:\\n`));
    expect(existsSync(damaged)).toBe(true);
  });

  it('a database that does not exist: exit 4, not "ok"', async () => {
    const r = await run(['db', 'check'], join(ws.dir, 'nope.db'));
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
  });

  it('other commands on a damaged file say so in one line (exit 7)', async () => {
    const r = await run(['db', 'stats'], join(ws.dir, 'garbage.db'));
    expect(r.code).toBe(7);
    expect(errorLine(r)).toMatch(/is damaged \(file is not a database\): run "aics db check"/);
  });
});
