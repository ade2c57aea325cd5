/**
 * `aics pause` / `aics resume` and `aics task retry`, run through the real binary against a running desk (a real
 * daemon, the 轻简 simulator, a callback sink) on the same database.
 */
import { describe, expect, it } from 'vitest';
import type { SqliteTaskStore } from '../../src/store/sqlite.js';
import { aics, json } from '../support/cli.js';
import { SEED, call, until } from '../support/daemon.js';
import { desksStoppedAfterEach, type Desk } from '../support/desk.js';

const desk = desksStoppedAfterEach();
const cli = (d: Desk, ...args: string[]) => aics([...args, '--db', d.db], { cwd: d.dir });
// CLI runs take seconds each on a loaded machine: the time limits below only bound a hang.
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A time_reach task already due (a second ago, as Tianwang writes times with an offset). */
const dueNow = () => new Date(Date.now() - 1000 + 8 * 3600_000).toISOString().replace('Z', '+08:00').replace(/\.\d+/, '');

describe('aics pause / aics resume', () => {
  it('while paused nothing fires or is sent, messages are still received; after resume everything held goes out', async () => {
    const d = await desk();
    await d.receive({ ...SEED.receive });
    await d.until('TASK_20260227_001', 'waiting');

    const paused = await cli(d, 'pause', '--reason', 'PC maintenance');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/paused since .* \(PC maintenance\): nothing fires or is sent until "aics resume"/);
    // The daemon sees it within its poll and says so in its health.
    await until(async () => (await call(d.url, 'GET', '/api/health')).body.data.paused, 5000, 'health shows the pause');

    await d.receive({
      ...SEED.receive,
      task_id: 'TIME_1',
      trigger: { type: 'time_reach', time: dueNow() },
      action: { type: 'send_message', message: '到点了' },
    });
    // The customer's reply is still received and matched: the task is claimed, but its send is held.
    d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
    await d.until('TASK_20260227_001', 'running');
    await quiet(300);
    expect(d.sim.commands).toHaveLength(0);
    expect((await d.store.tasks.get('TIME_1'))!.status).toBe('waiting');

    // Shown where operators look.
    const status = await cli(d, 'task', 'status', 'TIME_1');
    expect(status.stderr).toMatch(/warning: the desk is paused since .* \(PC maintenance\)/);
    const monitor = await aics(['monitor', '--once', '--url', d.url], { cwd: d.dir });
    expect(monitor.stdout).toMatch(/PAUSED since .* \(PC maintenance\): nothing fires or is sent until "aics resume"/);
    const list = await cli(d, 'task', 'list', '--json');
    expect(list.stderr).toMatch(/paused/);
    expect(json(list).total).toBe(2); // stdout stays data only

    const resumed = await cli(d, 'resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resumed');
    const sent = await d.sim.nextCommands(2, 10_000);
    expect(sent.map((c) => c.data.content).sort()).toEqual(['到点了', '这是您要的文件'].sort());
    await d.until('TASK_20260227_001', 'completed');
    await d.until('TIME_1', 'completed');
    expect((await call(d.url, 'GET', '/api/health')).body.data.paused).toBeNull();
    const again = await cli(d, 'resume', '--json');
    expect(json(again)).toMatchObject({ resumed: false });
  }, 120_000);
});

describe('aics task retry', () => {
  it('runs a failed task again as a new attempt with a new req_id, keeping its history; refuses other statuses', async () => {
    // The bridge refuses the first send for good (a 4xxx code), then works again.
    const d = await desk({ sim: { failEvery: 1, failCode: 4004, failMessage: 'file unavailable' } });
    await d.receive({ ...SEED.receive, max_retry: 1 });
    await d.until('TASK_20260227_001', 'waiting');
    d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的' });
    await d.until('TASK_20260227_001', 'failed');
    expect((await d.sim.nextCommands(1))[0]!.req_id).toBe('TASK_20260227_001#1');
    d.sim.configure({ failEvery: 0 });

    const r = await cli(d, 'task', 'retry', 'TASK_20260227_001', '--reason', 'file is back', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).retried).toEqual([{ task_id: 'TASK_20260227_001', status: 'waiting', retry_count: 1, max_retry: 2 }]);
    await d.until('TASK_20260227_001', 'completed');
    // A new req_id, so a bridge that cached the failed answer sends it for real; to the customer who replied.
    expect(d.sim.commands.at(-1)).toMatchObject({ req_id: 'TASK_20260227_001#2', data: { to_id: 'customer_123' } });
    const status = json(await cli(d, 'task', 'status', 'TASK_20260227_001', '--json'));
    expect(status.events.map((e: { to_status: string }) => e.to_status)).toEqual([
      'pending',
      'waiting',
      'running',
      'failed',
      'waiting',
      'running',
      'completed',
    ]);
    expect(status.events[4].reason).toMatch(/任务重试 \(manual.*file is back/);
    expect(status.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'completed']);
    // Tianwang hears both outcomes, each once.
    await d.sink.waitFor(2);
    expect(d.sink.received.map((c) => (c.body as { status: string }).status)).toEqual(['failed', 'completed']);

    const notFailed = await cli(d, 'task', 'retry', 'TASK_20260227_001');
    expect(notFailed.code).toBe(5);
    expect(notFailed.stderr).toMatch(/is completed: only a failed task can be retried/);
    const neither = await cli(d, 'task', 'retry');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--all-failed/);
  }, 120_000);

  it('--all-failed --since retries only the tasks that failed since then', async () => {
    const d = await desk({ sim: { failEvery: 1, failCode: 4004 } });
    for (const id of ['F1', 'F2']) {
      await d.receive({ ...SEED.receive, task_id: id, max_retry: 0, trigger: { type: 'customer_reply', keyword: id } });
    }
    await d.until('F2', 'waiting');
    d.sim.pushMessage({ from_id: 'c1', content: 'F1' });
    d.sim.pushMessage({ from_id: 'c2', content: 'F2' });
    await d.until('F1', 'failed');
    await d.until('F2', 'failed');
    // F1 failed "long ago".
    (d.store.tasks as SqliteTaskStore).db.prepare(`UPDATE tasks SET completed_at = '2020-01-01T00:00:00.000Z' WHERE task_id = 'F1'`).run();
    d.sim.configure({ failEvery: 0 });
    const r = await cli(d, 'task', 'retry', '--all-failed', '--since', '1h', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).retried.map((t: { task_id: string }) => t.task_id)).toEqual(['F2']);
    await d.until('F2', 'completed');
    expect((await d.store.tasks.get('F1'))!.status).toBe('failed');
  }, 120_000);
});
