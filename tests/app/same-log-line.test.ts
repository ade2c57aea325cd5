/**
 * The use-case layer (src/app): a task received or cancelled over HTTP and the same task added or cancelled with
 * `aics task add` / `aics task cancel` leave the same line in the log file, so the seed's `grep 任务接收` recipes
 * find both. The daemon runs in-process; the commands through the real binary, each on its own database.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aics, tempDir } from '../support/cli.js';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';

const ID = 'TASK_SAME_LOG_1';
let http: TestDaemon;
const cli = tempDir('aics-app-cli-');
const cliLog = join(cli.dir, 'logs', 'aics.log');

/** The log record whose message starts with `words`, without what differs between processes (time, pid). */
function lineOf(file: string, words: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(words)) continue;
    const { time: _time, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  }
  return null;
}

beforeAll(async () => {
  http = await startDaemon();
  // The command writes to the daemon's log file when it exists (it never creates one).
  mkdirSync(join(cli.dir, 'logs'), { recursive: true });
  writeFileSync(cliLog, '');
  writeFileSync(join(cli.dir, 'task.json'), JSON.stringify(task(ID)));
});

afterAll(async () => {
  await http?.stop();
  cli.cleanup();
});

describe('the HTTP path and the CLI path log the same line', () => {
  it('任务接收 <task_id> with the same fields', async () => {
    const answer = await call(http.url, 'POST', '/api/task/receive', task(ID));
    expect(answer.status).toBe(200);
    const fromHttp = await until(() => lineOf(http.logFile, `任务接收 ${ID}`), undefined, 'the daemon’s 任务接收 line');

    const run = await aics(['task', 'add', '--file', 'task.json'], { cwd: cli.dir });
    expect(run.code, run.stderr).toBe(0);
    const fromCli = lineOf(cliLog, `任务接收 ${ID}`);

    expect(fromHttp).toMatchObject({ level: 'INFO', msg: `任务接收 ${ID}`, task_id: ID, customer_id: 'customer_123' });
    expect(fromCli).toEqual(fromHttp);
  });

  it('任务取消 <task_id>: <reason> with the same fields', async () => {
    const answer = await call(http.url, 'POST', '/api/task/cancel', { task_id: ID, reason: '客户取消订单' });
    expect(answer.status).toBe(200);
    const fromHttp = await until(() => lineOf(http.logFile, `任务取消 ${ID}`), undefined, 'the daemon’s 任务取消 line');

    const run = await aics(['task', 'cancel', ID, '--reason', '客户取消订单'], { cwd: cli.dir });
    expect(run.code, run.stderr).toBe(0);
    const fromCli = lineOf(cliLog, `任务取消 ${ID}`);

    expect(fromHttp).toMatchObject({ level: 'INFO', msg: `任务取消 ${ID}: 客户取消订单`, task_id: ID, reason: '客户取消订单' });
    expect(fromCli).toEqual(fromHttp);
  });

  it('a command creates no log file where there is none', async () => {
    const bare = tempDir('aics-app-bare-');
    try {
      writeFileSync(join(bare.dir, 'task.json'), JSON.stringify(task('TASK_SAME_LOG_2')));
      const run = await aics(['task', 'add', '--file', 'task.json', '--db', 'tasks.db'], { cwd: bare.dir });
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(join(bare.dir, 'logs'))).toBe(false);
    } finally {
      bare.cleanup();
    }
  });
});
