/**
 * `pending` means "nobody listens for it yet", and status tells the truth, through the real binary:
 *   - an --api-only daemon receives but does not arm: the task stays pending, /api/health and `aics status` (exit 8)
 *     warn that no daemon that can fire it runs, and `aics monitor` finds that daemon on its port 0 by the start
 *     record; a daemon with a bridge on the same database then arms it;
 *   - with the 轻简 bridge gone, status exits 8 naming since when and the last error, accounts are not shown online;
 *   - a 派单 held for want of TIANWANG_DISPATCH_URL is its own line, not a callback, and the daemon warned at start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore } from '../../src/store/index.js';
import { aics, tempDir } from '../support/cli.js';
import { call, task, until } from '../support/daemon.js';
import { startServe, type Running } from '../support/spawn.js';

const running: Running[] = [];
const dirs: { cleanup: () => void }[] = [];
afterAll(async () => {
  for (const r of running) {
    if (r.child.exitCode === null) {
      r.child.kill('SIGTERM');
      await r.exit;
    }
  }
  for (const d of dirs) d.cleanup();
});

async function stop(r: Running) {
  r.child.kill('SIGTERM');
  expect((await r.exit).code).toBe(0);
}

const health = async (url: string) => (await call(url, 'GET', '/api/health')).body.data;

describe('pending under --api-only', () => {
  it('stays pending with a warning in health, status (exit 8) and monitor; a daemon with a bridge arms it', async () => {
    const ws = tempDir('aics-pending-');
    dirs.push(ws);
    const api = await startServe(['--api-only', '--port', '0'], { cwd: ws.dir });
    running.push(api);
    expect((await call(api.url, 'POST', '/api/task/receive', task('PEND_1'))).status).toBe(200);
    // The seed's curl: the task is listed as pending, and stays so (no daemon with a bridge runs).
    const warned = await until(
      async () => (await health(api.url)).warnings?.find((w: string) => /pending/.test(w)),
      60_000,
      'the pending warning',
    );
    expect(warned).toMatch(/^1 task pending, the oldest \(PEND_1\) since .*--api-only.*"aics serve" without --api-only/);
    const pending = await call(api.url, 'GET', '/api/task/list?status=pending');
    expect(pending.body.data.items.map((t: { task_id: string }) => t.task_id)).toEqual(['PEND_1']);

    const [status, list, monitor] = await Promise.all([
      aics(['status'], { cwd: ws.dir }),
      aics(['task', 'list', '--status', 'pending', '--json'], { cwd: ws.dir }),
      aics(['monitor', '--once'], { cwd: ws.dir }),
    ]);
    expect(status.code, status.stdout + status.stderr).toBe(8);
    expect(status.stdout).toMatch(/warning\s+1 task pending, the oldest \(PEND_1\)/);
    expect(JSON.parse(list.stdout).total).toBe(1);
    expect(monitor.code, monitor.stdout + monitor.stderr).toBe(0);
    expect(monitor.stdout).toContain(api.url);
    expect(monitor.stdout).toMatch(/warning: 1 task pending/);
    await stop(api);

    const sim = await QingjianSimulator.start({ port: 0 });
    try {
      const desk = await startServe(['--port', '0', '--qingjian-url', sim.url, '--no-agent'], { cwd: ws.dir });
      running.push(desk);
      await until(
        async () => (await call(desk.url, 'GET', '/api/task/status/PEND_1')).body.data.status === 'waiting',
        60_000,
        'PEND_1 armed',
      );
      await stop(desk);
    } finally {
      await sim.stop();
    }
  });
});

describe('the bridge goes away; a 派单 is held', () => {
  it('status exits 8 with since when and the last error, accounts not online; held orders are their own line', async () => {
    const ws = tempDir('aics-degraded-');
    dirs.push(ws);
    const sim = await QingjianSimulator.start({ port: 0 });
    const desk = await startServe(['--port', '0', '--qingjian-url', sim.url], { cwd: ws.dir });
    running.push(desk);
    await until(async () => (await health(desk.url)).qingjian.connected, 60_000, 'the bridge to connect');
    const ok = await aics(['status'], { cwd: ws.dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/accounts: \S+ online/);

    // An order the agent dispatched, written as the agent does (outbox kind dispatch); no TIANWANG_DISPATCH_URL.
    const store = await openStore(join(ws.dir, 'db/task_db/tasks.db'));
    await store.outbox.enqueue('dispatch', 'order-1', null, { order_id: 'order-1', product: '名片', quantity: 500 });
    store.close();
    await sim.stop();
    const h = await until(
      async () => {
        const data = await health(desk.url);
        return data.warnings?.some((w: string) => w.startsWith('轻简 bridge')) && data.dispatch_held === 1 ? data : null;
      },
      60_000,
      'the bridge warning',
    );
    expect(h.outbox_backlog).toBe(0);
    for (const a of Object.values(h.qingjian.accounts) as { status: string; last_known: string }[]) {
      expect(a).toMatchObject({ status: 'unknown', last_known: 'online' });
    }

    const [human, asJson, monitor] = await Promise.all([
      aics(['status'], { cwd: ws.dir }),
      aics(['status', '--json'], { cwd: ws.dir }),
      aics(['monitor', '--once'], { cwd: ws.dir }),
    ]);
    expect(human.code, human.stdout + human.stderr).toBe(8);
    expect(human.stdout).toMatch(/bridge\s+(disconnected|connecting) ws:\/\/\S+ since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(human.stdout).toMatch(/accounts: \S+ unknown \(last known online\)\)/);
    expect(human.stdout).toMatch(/outbox\s+0 callbacks not yet delivered/);
    expect(human.stdout).toMatch(/派单 held\s+1 \(TIANWANG_DISPATCH_URL is not set\)/);
    expect(human.stdout).toMatch(/warning\s+轻简 bridge/);
    expect(asJson.code).toBe(8);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ healthy: true, dispatch_held: 1 });
    expect(monitor.stdout).toMatch(/派单 held: 1/);
    expect(monitor.stdout).toMatch(/warning: 轻简 bridge/);
    await stop(desk);
    const log = readFileSync(join(ws.dir, 'logs/aics.log'), 'utf8');
    expect(log).toMatch(/"level":"WARN"[^\n]*TIANWANG_DISPATCH_URL is not set: 派单 orders will be held/);
  });
});
