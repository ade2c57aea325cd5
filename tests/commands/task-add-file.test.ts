/**
 * `aics task add --file`: the seed's receive example end to end, the seed's sqlite3 recipes on what it stored,
 * idempotency, conflicts and bad files — through the real binary.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics, errorLine, hasSqlite3, json, seedExamples, snapshot, tempDir } from '../support/cli.js';
import { SEED_ROW } from '../support/fixtures.js';

const seed = seedExamples();
const SEED_ID = 'TASK_20260227_001';
const ws = tempDir('aics-add-file-');
const db = join(ws.dir, 'data', 'tasks.db');
const run = (args: string[], input?: string) => aics([...args, '--db', db], { cwd: ws.dir, input });
const write = (name: string, content: unknown) => {
  const file = join(ws.dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
};

afterAll(() => ws.cleanup());

describe('task add --file with the seed example', () => {
  beforeAll(async () => {
    write('seed.json', seed.receive);
  });

  it('stores it pending and says 任务接收成功', async () => {
    const r = await run(['task', 'add', '--file', 'seed.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`任务接收成功: ${SEED_ID} (pending)`);
    expect(r.stdout).toContain('specified_customer_reply: 好的');
  });

  it('task list --status pending --json shows it', async () => {
    const page = json(await run(['task', 'list', '--status', 'pending', '--json']));
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      task_id: SEED_ID,
      type: 'send_file_after_reply',
      status: 'pending',
      customer_id: 'customer_123',
      customer_name: '小明',
      created_by: '设计师 lz',
      trigger: { type: 'specified_customer_reply', customer_id: 'customer_123', keyword: '好的', exact_match: false },
      action: { type: 'send_message', message: '这是您要的文件' },
    });
  });

  it('adding the same file again is idempotent: exit 0, created false, nothing changes', async () => {
    const before = snapshot(db);
    const r = await run(['task', 'add', '--file', 'seed.json', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ task_id: SEED_ID, status: 'pending', created: false, task: { task_id: SEED_ID } });
    expect(snapshot(db)).toBe(before);
    const human = await run(['task', 'add', '--file', 'seed.json']);
    expect(human.stdout).toContain('already stored (idempotent)');
  });

  it('the same task_id with another payload is a conflict: exit 5, nothing changes', async () => {
    const before = snapshot(db);
    write('other.json', { ...seed.receive, action: { type: 'send_message', message: '另一个文件' } });
    const r = await run(['task', 'add', '--file', 'other.json']);
    expect(r.code).toBe(5);
    expect(errorLine(r)).toMatch(new RegExp(`${SEED_ID} already exists with a different payload`));
    expect(snapshot(db)).toBe(before);
  });

  it('reads the task from stdin with --file -', async () => {
    const body = { ...seed.receive, task_id: 'TASK_STDIN_1' };
    const r = await run(['task', 'add', '--file', '-', '--json'], JSON.stringify(body));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ task_id: 'TASK_STDIN_1', status: 'pending', created: true });
  });
});

describe('the seed’s sqlite3 recipes work on the database', () => {
  const QUERIES = {
    recent: 'SELECT task_id, type, status, created_at FROM tasks ORDER BY created_at DESC LIMIT 10;',
    pending: "SELECT * FROM tasks WHERE status='pending';",
    failed: "SELECT task_id, error_message FROM tasks WHERE status='failed';",
    counts: 'SELECT status, COUNT(*) as count FROM tasks GROUP BY status;',
  };

  beforeAll(async () => {
    // One failed task, made the way the daemon would: received, armed, claimed, failed.
    const store = SqliteTaskStore.open(db, { timeZone: 'Asia/Shanghai' });
    try {
      await store.receive(parseTaskPayload({ ...seed.receive, task_id: 'TASK_FAILED_1' }), 'test');
      await store.arm('test', ['TASK_FAILED_1']);
      const claimed = await store.claim('TASK_FAILED_1', {
        owner: 'test',
        leaseMs: 60_000,
        target: { acc_id: 'acc', from_id: 'customer_123' },
      });
      await store.fail('TASK_FAILED_1', claimed!.attempt, '轻简 bridge offline', 'test');
    } finally {
      store.close();
    }
  });

  it('with better-sqlite3', () => {
    const conn = new Database(db, { readonly: true });
    try {
      const recent = conn.prepare(QUERIES.recent).all() as { task_id: string; type: string; status: string; created_at: string }[];
      expect(recent.map((r) => r.task_id).sort()).toEqual([SEED_ID, 'TASK_FAILED_1', 'TASK_STDIN_1'].sort());
      expect(recent.find((r) => r.task_id === SEED_ID)).toMatchObject({ type: 'send_file_after_reply', status: 'pending' });
      const pending = conn.prepare(QUERIES.pending).all() as Record<string, unknown>[];
      expect(pending.map((r) => r.task_id).sort()).toEqual([SEED_ID, 'TASK_STDIN_1']);
      // the seed's columns, with the seed's meanings
      expect(pending.find((r) => r.task_id === SEED_ID)).toMatchObject(SEED_ROW);
      expect(conn.prepare(QUERIES.failed).all()).toEqual([{ task_id: 'TASK_FAILED_1', error_message: '轻简 bridge offline' }]);
      expect(conn.prepare(QUERIES.counts).all()).toEqual(
        expect.arrayContaining([
          { status: 'pending', count: 2 },
          { status: 'failed', count: 1 },
        ]),
      );
    } finally {
      conn.close();
    }
  });

  it.skipIf(!hasSqlite3)('with the sqlite3 command-line tool (skipped when sqlite3 is not installed)', () => {
    const sqlite = (sql: string) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
    const recent = sqlite(QUERIES.recent).trim().split('\n');
    expect(recent).toHaveLength(3);
    expect(recent.find((l) => l.startsWith(`${SEED_ID}|`))).toMatch(
      /^TASK_20260227_001\|send_file_after_reply\|pending\|\d{4}-\d{2}-\d{2}T/,
    );
    const pending = sqlite(QUERIES.pending).trim().split('\n');
    expect(pending.map((l) => l.split('|')[0]).sort()).toEqual([SEED_ID, 'TASK_STDIN_1']);
    expect(sqlite(QUERIES.failed).trim()).toBe('TASK_FAILED_1|轻简 bridge offline');
    expect(sqlite(QUERIES.counts).trim().split('\n').sort()).toEqual(['failed|1', 'pending|2']);
  });
});

// The last suite, so running its cases side by side cannot overlap the suites above that write.
describe.concurrent('task add --file refuses bad input and stores nothing', () => {
  let baseline: string;
  beforeAll(() => {
    baseline = snapshot(db);
  });

  const cases: { name: string; file: () => string; field: RegExp }[] = [
    {
      name: 'a missing field names it',
      file: () => {
        const body = structuredClone(seed.receive) as { trigger: Record<string, unknown> };
        delete body.trigger.keyword;
        return write('no-keyword.json', { ...body, task_id: 'TASK_BAD_1' });
      },
      field: /^error: no-keyword\.json: trigger\.keyword: is required$/,
    },
    {
      name: 'a missing task_id names it',
      file: () => {
        const { task_id: _, ...body } = seed.receive;
        return write('no-id.json', body);
      },
      field: /^error: no-id\.json: task_id: is required$/,
    },
    {
      name: 'an unknown trigger type names trigger.type',
      file: () =>
        write('bad-trigger.json', { ...seed.receive, task_id: 'TASK_BAD_2', trigger: { type: 'customer_smiles', keyword: '好的' } }),
      field: /^error: bad-trigger\.json: trigger\.type: /,
    },
    {
      name: 'malformed JSON names the file and the position',
      file: () =>
        write(
          'broken.json',
          '{\n  "task_id": "TASK_BAD_3",\n  "type": "x",\n  "trigger": {"type": "customer_reply" "keyword": "好的"}\n}\n',
        ),
      field: /^error: broken\.json: not valid JSON at line 4, column 40: expected ',' or '}', found '"'$/,
    },
    {
      name: 'a file_url outside the files folder names action.file_url',
      file: () => write('etc.json', { ...seed.receive, task_id: 'TASK_BAD_4', action: { type: 'send_file', file_url: '/etc/passwd' } }),
      field: /^error: etc\.json: action\.file_url: path must be inside the files folder/,
    },
    {
      name: 'a file that does not exist names --file',
      file: () => 'nope.json',
      field: /^error: --file: cannot read nope\.json: no such file$/,
    },
  ];

  for (const c of cases) {
    it(`${c.name} (exit 2)`, async ({ expect }) => {
      const name = c.file();
      const r = await run(['task', 'add', '--file', name]);
      expect(r.code).toBe(2);
      expect(errorLine(r)).toMatch(c.field);
      expect(r.stdout).toBe('');
      expect(snapshot(db)).toBe(baseline);
    });
  }

  it('malformed JSON on stdin is named "stdin"', async ({ expect }) => {
    const r = await run(['task', 'add', '--file', '-'], '{"task_id": "X",}');
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(`error: stdin: not valid JSON at line 1, column 17: expected a "quoted" property name, found '}'`);
    expect(snapshot(db)).toBe(baseline);
  });

  it('under --json the error is JSON on stdout with the field', async ({ expect }) => {
    const body = structuredClone(seed.receive) as { trigger: Record<string, unknown> };
    delete body.trigger.customer_id;
    const r = await run(['task', 'add', '--file', '-', '--json'], JSON.stringify({ ...body, task_id: 'TASK_BAD_5' }));
    expect(r.code).toBe(2);
    expect(json(r)).toEqual({
      error: { name: 'ValidationError', message: 'stdin: trigger.customer_id: is required', exit_code: 2, field: 'trigger.customer_id' },
    });
  });

  it('--file with a payload flag is refused, naming both', async ({ expect }) => {
    const r = await run(['task', 'add', '--file', 'seed.json', '--keyword', '好的']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe('error: --file: cannot be combined with --keyword (the file holds the whole task)');
  });
});
