/**
 * One daemon per database: a foreground `aics serve` holds the pid file beside the database like --detach does, so
 * a second one (foreground, from the same folder or naming the same file with --db) is refused with exit 5 naming
 * the pid, and `aics status` finds the foreground daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { aics, tempDir } from '../support/cli.js';
import { runToEnd, startServe, type Running } from '../support/spawn.js';

const ws = tempDir('aics-one-daemon-');
let first: (Running & { url: string }) | undefined;
afterAll(async () => {
  if (first && first.child.exitCode === null) {
    first.child.kill('SIGTERM');
    await first.exit;
  }
  ws.cleanup();
});

it('a second foreground serve on the same database exits 5 naming the pid; status finds the first', async () => {
  first = await startServe(['--api-only', '--port', '0'], { cwd: ws.dir });
  const pid = first.child.pid!;
  const pidFile = join(ws.dir, 'db/task_db/aics.pid');
  expect(readFileSync(pidFile, 'utf8')).toBe(`${pid}\n`);

  const [same, byPath] = await Promise.all([
    runToEnd(['serve', '--api-only', '--port', '0'], { cwd: ws.dir, timeoutMs: 120_000 }),
    runToEnd(['serve', '--api-only', '--port', '0', '--db', join(ws.dir, 'db/task_db/tasks.db'), '--log-file', join(ws.dir, 'other.log')], {
      cwd: '/',
      timeoutMs: 120_000,
    }),
  ]);
  for (const r of [same, byPath]) {
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`^error: already running, pid ${pid} \\(pid file ${pidFile}\\)`));
  }
  expect(readFileSync(pidFile, 'utf8')).toBe(`${pid}\n`);

  const status = await aics(['status', '--json'], { cwd: ws.dir });
  expect(status.code, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ pid, url: first.url });

  first.child.kill('SIGTERM');
  expect((await first.exit).code).toBe(0);
  expect(existsSync(pidFile)).toBe(false);
});
