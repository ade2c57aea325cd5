/**
 * Commands that read a database never create one by accident: pointed at a missing file they exit 4 with one line
 * naming the path they looked at and how to point them at the right one, and the folder stays empty.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { aics, errorLine, tempDir } from '../support/cli.js';

vi.setConfig({ testTimeout: 180_000 });
const ws = tempDir('aics-missing-db-');
afterAll(() => ws.cleanup());

const COMMANDS: string[][] = [
  ['task', 'list'],
  ['task', 'list', '--status', 'pending', '--json'],
  ['task', 'status', 'TASK_X'],
  ['task', 'cancel', 'TASK_X', '--reason', 'x'],
  ['task', 'reschedule', 'TASK_X', '--time', '2099-01-01 09:00:00'],
  ['db', 'stats'],
  ['db', 'check'],
  ['agent', 'log', 'customer_123'],
];

it('read-only commands on a missing database: exit 4, the path and the hint, nothing created', async () => {
  // the default path, relative to the working folder, as an operator in the wrong folder meets it
  const expected = join(ws.dir, 'db/task_db/tasks.db');
  const runs = await Promise.all(COMMANDS.map((args) => aics(args, { cwd: ws.dir })));
  runs.forEach((r, i) => {
    const what = COMMANDS[i]!.join(' ');
    expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(4);
    if (!COMMANDS[i]!.includes('--json')) {
      expect(errorLine(r), what).toBe(
        `error: database ${expected} does not exist (nothing was created): pass --db FILE or set AICS_DB, or run it in the folder where aics serve runs`,
      );
    } else {
      expect(JSON.parse(r.stdout).error.message, what).toContain(expected);
    }
  });
  expect(existsSync(join(ws.dir, 'db'))).toBe(false);
  expect(readdirSync(ws.dir)).toEqual([]);
});

it('logs grep on a missing log file names it and creates nothing', async () => {
  const r = await aics(['logs', 'grep', 'x'], { cwd: ws.dir });
  expect(r.code).toBe(4);
  expect(errorLine(r)).toContain(join(ws.dir, 'logs/aics.log'));
  expect(readdirSync(ws.dir)).toEqual([]);
});
