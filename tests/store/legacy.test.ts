import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { matchesTrigger } from '../../src/tasks/index.js';
import { fileTempDir as tempDir } from '../support/fixtures.js';
import { SEED_SCHEMA } from '../support/seed-schema.js';

it("adopts the Python system's tasks.db: its tasks stay, keep their columns and can still fire", async () => {
  const file = join(tempDir(), 'db/task_db/tasks.db');
  const dir = join(file, '..');
  (await import('node:fs')).mkdirSync(dir, { recursive: true });
  const old = new Database(file);
  old.exec(SEED_SCHEMA);
  const now = new Date().toISOString();
  old
    .prepare(
      `INSERT INTO tasks (task_id, specified_customer_id, specified_customer_name, type, customer_name, customer_id, trigger_type,
       trigger_keyword, action_type, action_message, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
    )
    .run(
      'OLD_1',
      'customer_123',
      '小明',
      'send_file_after_reply',
      '小明',
      'customer_123',
      'specified_customer_reply',
      '好的',
      'send_message',
      '这是您要的文件',
      now,
      '设计师 lz',
    );
  old
    .prepare(
      `INSERT INTO tasks (task_id, type, trigger_type, trigger_keywords, action_type, action_file_url, status, created_at) VALUES (?,?,?,?,?,?,?,?)`,
    )
    .run('OLD_2', 'kw', 'customer_keyword', '["可以","行"]', 'send_file', 'https://cdn.example.com/a.pdf', 'failed', now);
  old.close();

  const store = SqliteTaskStore.open(file);
  const page = await store.list({});
  expect(page.total).toBe(2);
  const t1 = (await store.get('OLD_1'))!;
  expect(t1.trigger).toEqual({
    type: 'specified_customer_reply',
    customer_id: 'customer_123',
    customer_name: '小明',
    keyword: '好的',
    exact_match: false,
  });
  expect(matchesTrigger(t1, { acc_id: 'a', from_id: 'customer_123', content: '好的谢谢' })).toEqual({ keyword: '好的' });
  expect((await store.get('OLD_2'))!.trigger).toEqual({ type: 'customer_keyword', keywords: ['可以', '行'], exact_match: false });
  await store.arm('test');
  expect((await store.waitingForCustomer('customer_123')).map((t) => t.task_id)).toEqual(['OLD_1']);
  store.close();

  const db = new Database(file, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(db.prepare("SELECT task_id, error_message FROM tasks WHERE status='failed'").all()).toEqual([
    { task_id: 'OLD_2', error_message: null },
  ]);
  db.close();
});
