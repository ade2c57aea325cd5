/**
 * The Python system's tasks.db (the seed's exact CREATE TABLE), with one row of every trigger type, through every
 * command and API route: nothing crashes, and a row the seed's columns cannot describe fully (a time_reach or cron
 * task keeps its time elsewhere) says what is missing and how to fix it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AicsClient } from '../../src/api/client.js';
import { renderToString } from 'ink';
import { createElement } from 'react';
import { MonitorView } from '../../src/tui/monitor.js';
import { takeSnapshot } from '../../src/tui/snapshot.js';
import { aics, json, tempDir } from '../support/cli.js';
import { call, startDaemon, type TestDaemon } from '../support/daemon.js';
import { SEED_SCHEMA } from '../support/seed-schema.js';

const ROWS: [string, string, Record<string, string>][] = [
  ['OLD_SPEC', 'specified_customer_reply', { specified_customer_id: 'customer_123', trigger_keyword: '好的' }],
  ['OLD_REPLY', 'customer_reply', { trigger_keyword: '收到' }],
  ['OLD_KW', 'customer_keyword', { trigger_keywords: '["可以","行"]' }],
  ['OLD_PAY', 'customer_payment', {}],
  ['OLD_TIME', 'time_reach', {}],
  ['OLD_CRON', 'cron', {}],
];
const IDS = ROWS.map(([id]) => id);

function seedDatabase(file: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const db = new Database(file);
  db.exec(SEED_SCHEMA);
  const now = new Date().toISOString();
  for (const [id, trigger, extra] of ROWS) {
    const cols = {
      task_id: id,
      type: 'task',
      trigger_type: trigger,
      action_type: 'send_message',
      action_message: '您好',
      created_at: now,
      ...extra,
    };
    const names = Object.keys(cols);
    db.prepare(`INSERT INTO tasks (${names.join(',')}) VALUES (${names.map((n) => `@${n}`).join(',')})`).run(cols);
  }
  db.close();
}

const ws = tempDir('aics-seeddb-');
const file = join(ws.dir, 'db/task_db/tasks.db');
// Each spawn of the binary can take seconds on a loaded machine: the limit only bounds a hang.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });
const run = (args: string[]) => aics([...args, '--db', file], { cwd: ws.dir });
beforeAll(() => seedDatabase(file));
afterAll(() => ws.cleanup());

describe('commands', () => {
  it('task list shows every row, and the time_reach row says it has no time', async () => {
    const r = await run(['task', 'list']);
    expect(r.code, r.stderr).toBe(0);
    for (const id of IDS) expect(r.stdout).toContain(id);
    expect(r.stdout).toMatch(/OLD_TIME.*no time/);
    const page = json(await run(['task', 'list', '--json']));
    expect(page.total).toBe(ROWS.length);
    const time = page.items.find((t: { task_id: string }) => t.task_id === 'OLD_TIME');
    expect(time.problem).toMatch(/no time.*aics task reschedule OLD_TIME --time/);
    expect(page.items.find((t: { task_id: string }) => t.task_id === 'OLD_SPEC').problem).toBeUndefined();
  });

  it('task status works for every row and tells how to fix the incomplete ones', async () => {
    const runs = await Promise.all(IDS.map((id) => run(['task', 'status', id])));
    IDS.forEach((id, i) => expect(runs[i]!.code, `${id}: ${runs[i]!.stderr}`).toBe(0));
    expect(runs[IDS.indexOf('OLD_TIME')]!.stdout).toMatch(/problem .*no time.*aics task reschedule OLD_TIME --time/);
    expect(runs[IDS.indexOf('OLD_CRON')]!.stdout).toMatch(/problem .*no expression.*aics task cancel OLD_CRON/);
  });

  it('task list --trigger, db stats and db check work on it', async () => {
    const [list, stats, check] = await Promise.all([
      run(['task', 'list', '--trigger', 'time_reach', '--json']),
      run(['db', 'stats', '--json']),
      run(['db', 'check']),
    ]);
    expect(json(list).total).toBe(1);
    expect(json(stats).total).toBe(ROWS.length);
    expect(check.code, check.stderr).toBe(0);
  });

  it('task reschedule gives the time_reach row its time; it is then due like any other', async () => {
    const r = await run(['task', 'reschedule', 'OLD_TIME', '--time', '2099-01-01 09:00:00', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const t = json(r).task;
    expect(t.trigger).toEqual({ type: 'time_reach', time: '2099-01-01 09:00:00' });
    expect(t.due_at).toBe('2099-01-01T01:00:00.000Z');
    expect(t.problem).toBeUndefined();
    const shown = await run(['task', 'list', '--trigger', 'time_reach']);
    expect(shown.stdout).toContain('2099-01-01 09:00:00');
    // a task that is not clock-triggered is refused with the reason
    const bad = await run(['task', 'reschedule', 'OLD_SPEC', '--time', '2099-01-01 09:00:00']);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/OLD_SPEC.*specified_customer_reply/);
  });

  it('task cancel works on the cron row', async () => {
    const r = await run(['task', 'cancel', 'OLD_CRON', '--reason', 'no expression']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('API routes and the monitor', () => {
  let d: TestDaemon;
  const apiFile = join(ws.dir, 'api/tasks.db');
  beforeAll(async () => {
    seedDatabase(apiFile);
    d = await startDaemon({ db: apiFile });
  });
  afterAll(async () => d?.stop());

  it('list, status, health and cancel answer for every row', async () => {
    const list = await call(d.url, 'GET', '/api/task/list?page_size=100');
    expect(list.status, list.text).toBe(200);
    expect(list.body.data.total).toBe(ROWS.length);
    for (const id of IDS) {
      const s = await call(d.url, 'GET', `/api/task/status/${id}`);
      expect(s.status, `${id}: ${s.text}`).toBe(200);
    }
    const time = await call(d.url, 'GET', '/api/task/status/OLD_TIME');
    expect(JSON.stringify(time.body)).toMatch(/no time/);
    expect((await call(d.url, 'GET', '/api/health')).status).toBe(200);
    expect((await call(d.url, 'POST', '/api/task/cancel', { task_id: 'OLD_TIME', reason: 'x' })).status).toBe(200);
  });

  it('the monitor takes its snapshot', async () => {
    const snap = await takeSnapshot(new AicsClient({ baseUrl: d.url }), 20);
    expect(snap.error).toBeNull();
    expect(snap.recent.map((t) => t.task_id).sort()).toEqual([...IDS].sort());
    const frame = renderToString(createElement(MonitorView, { snap, baseUrl: d.url, intervalMs: 1000, formatTime: (iso) => iso }), {
      columns: 400,
    });
    expect(frame).toMatch(/OLD_TIME .*⚠ time_reach trigger has no time/);
    expect(frame).toContain('(aics task status OLD_TIME)');
  });
});
