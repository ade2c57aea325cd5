/**
 * The agent's answers while 轻简 is away and across a stop: stored before they are sent, never dropped for the
 * outage (a cap and one clear log line when it is reached), sent once the bridge is back or at the next start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore } from '../../src/store/index.js';
import { FAST_BRIDGE, startDesk, type Desk } from '../support/desk.js';
import { tempDir, until } from '../support/daemon.js';
import { runToEnd, startServe } from '../support/spawn.js';

const desks: Desk[] = [];
const sims: QingjianSimulator[] = [];
afterEach(async () => {
  for (const d of desks.splice(0)) await d.stop();
  for (const s of sims.splice(0)) await s.stop();
});

it('answers due while 轻简 is away are queued, not dropped, and go out once when it is back; past the cap one is dropped with a clear line', async () => {
  // The old budget was 3 tries of sendWaitMs each: the outage below lasts many times that.
  const d = await startDesk({
    agent: { quietMs: 300, maxWaitMs: 1000, sendGapMs: 0, replyQueueMax: 2 },
    daemon: { bridgeOptions: { ...FAST_BRIDGE, sendWaitMs: 300 } },
  });
  desks.push(d);
  const port = Number(new URL(d.sim.url).port);
  for (const id of ['q1', 'q2', 'q3']) await d.sim.pushMessageAndWaitAck({ from_id: id, content: '你们几点上班' });
  await d.sim.stop(); // gone inside the burst window: every answer is computed while the bridge is away
  await expect.poll(() => d.store.replies.count(), { timeout: 10_000 }).toBe(2);
  await expect
    .poll(() => readFileSync(d.daemon.settings.logFile, 'utf8'), { timeout: 5_000 })
    .toMatch(/"msg":"agent: reply queue full \(2 answers wait for 轻简/);
  // Well past the old budget (3 × 300 ms of waiting and 600 ms of pauses): still queued.
  await until(async () => (await d.daemon.health()).qingjian.state === 'disconnected', 5000, 'the disconnect');
  await new Promise((r) => setTimeout(r, 3_000)); // the outage itself
  expect(await d.store.replies.count()).toBe(2);

  const back = await QingjianSimulator.start({ port, redeliverMs: 0 });
  sims.push(back);
  await expect.poll(() => back.commands.length, { timeout: 15_000 }).toBe(2);
  await expect.poll(() => d.store.replies.count(), { timeout: 5_000 }).toBe(0);
  expect(back.commands.every((c) => c.result.ok && !c.duplicate)).toBe(true);
  expect(new Set(back.commands.map((c) => c.data.to_id)).size).toBe(2);
  for (const c of back.commands) expect((await d.store.agent.log(String(c.data.to_id))).map((m) => m.role)).toEqual(['customer', 'agent']);
}, 60_000);

it('SIGTERM with 300 customers waiting for an answer: exits within the drain timeout, pid file last; the rest goes out at the next start', async () => {
  const { dir, cleanup } = tempDir();
  const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 0 });
  sims.push(sim);
  try {
    const env = { AICS_AGENT_QUIET_MS: '100', AICS_AGENT_MAX_WAIT_MS: '500', AICS_AGENT_SEND_GAP_MS: '100' };
    const serve = await startServe(['--port', '0', '--db', 'data/tasks.db', '--qingjian-url', sim.url, '--pid-file', 'data/aics.pid'], {
      cwd: dir,
      env,
    });
    const pidFile = join(dir, 'data/aics.pid');
    expect(existsSync(pidFile)).toBe(true);
    await sim.waitForClient(15_000);
    const N = 300;
    for (let i = 0; i < N; i++) sim.pushMessage({ from_id: `w${i}`, content: '你们几点上班' });
    await sim.waitForAllAcked(30_000);
    await until(() => sim.commands.length >= 3, 30_000, 'the first answers'); // the rest wait for their pacing slots
    // `aics stop` (SIGTERM, then waits for the process to be gone) reports it stopped, within the drain timeout.
    const stop = await runToEnd(['stop', '--pid-file', 'data/aics.pid', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(stop.code).toBe(0);
    const stopped = JSON.parse(stop.stdout) as { outcome: string; waited_ms: number };
    expect(stopped.outcome).toBe('stopped');
    expect(stopped.waited_ms).toBeLessThan(5_000 + 1_000 + 3_000); // drain timeout + the agent's last second + a busy machine
    expect((await serve.exit).code).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    const sentBefore = new Set(sim.commands.filter((c) => c.result.ok).map((c) => String(c.data.to_id)));
    expect(sentBefore.size).toBeLessThan(N);

    // Every customer has an answer: sent, or stored for the next start.
    const store = await openStore(join(dir, 'data/tasks.db'));
    const left = await store.replies.list();
    store.close();
    const owed = new Set(left.map((r) => r.from_id));
    for (let i = 0; i < N; i++) expect(sentBefore.has(`w${i}`) || owed.has(`w${i}`)).toBe(true);

    const again = await startServe(['--port', '0', '--db', 'data/tasks.db', '--qingjian-url', sim.url, '--pid-file', 'data/aics.pid'], {
      cwd: dir,
      env: { ...env, AICS_AGENT_SEND_GAP_MS: '0' },
    });
    await until(() => new Set(sim.commands.filter((c) => c.result.ok).map((c) => String(c.data.to_id))).size === N, 60_000, 'every answer');
    expect(sim.counters().duplicates).toBe(0);
    again.child.kill('SIGTERM');
    expect((await again.exit).code).toBe(0);
  } finally {
    cleanup();
  }
}, 150_000);
