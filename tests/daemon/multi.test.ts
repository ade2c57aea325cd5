/**
 * `aics serve --multi --workers N` through the real binary, with the 轻简 simulator: the seed's example, a worker
 * killed under load, a rolling reload under load, one customer's order, and `aics reload`.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { HealthData } from '../../src/api/index.js';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { shardOf } from '../../src/tasks/index.js';
import { SEED, tempDir } from '../support/fixtures.js';
import { EVENT_LIMIT_MS } from '../support/limits.js';
import { runToEnd, startServe } from '../support/spawn.js';
import { until } from '../support/daemon.js';

const ws = tempDir('aics-multi-');
afterAll(() => ws.cleanup());
const running: { stop: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

const ACC = 'wx_sim_acc';
let n = 0;

async function startMulti(workers: number, extra: string[] = [], env: Record<string, string> = {}) {
  const dir = join(ws.dir, `d${++n}`);
  mkdirSync(dir, { recursive: true });
  const sim = await QingjianSimulator.start({ port: 0, accId: ACC });
  running.push({ stop: () => sim.stop() });
  const db = join(dir, 'tasks.db');
  const log = join(dir, 'aics.log');
  const args = ['--multi', '--workers', String(workers), '--port', '0', '--qingjian-url', sim.url, '--db', db, '--log-file', log, ...extra];
  const serve = await startServe(args, { cwd: dir, env: { AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0', ...env } });
  running.push({
    stop: async () => {
      serve.child.kill('SIGTERM');
      await serve.exit;
    },
  });
  await sim.waitForClient(EVENT_LIMIT_MS);
  const health = async () => (await (await fetch(`${serve.url}/api/health`)).json()) as { data: HealthData };
  const receive = async (body: object) => {
    const r = await fetch(`${serve.url}/api/task/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status, await r.clone().text()).toBe(200);
  };
  const logText = () => readFileSync(log, 'utf8');
  return { dir, db, log, sim, serve, health, receive, logText };
}

/** A keyword task for one customer: they say 好的, it sends them one message. */
function keywordTask(customer: string) {
  return {
    ...SEED.receive,
    task_id: `T_${customer}`,
    customer: { id: customer, name: customer, acc_id: ACC },
    trigger: { type: 'specified_customer_reply', customer_id: customer, keyword: '好的', exact_match: false },
    action: { type: 'send_message', message: `给 ${customer} 的文件` },
  };
}

function statuses(db: string): Record<string, string> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn.prepare('SELECT task_id, status FROM tasks').all() as { task_id: string; status: string }[];
    return Object.fromEntries(rows.map((r) => [r.task_id, r.status]));
  } finally {
    conn.close();
  }
}

/** Sends that reached the customer (a repeated req_id answered from the simulator's cache is not a second message). */
function delivered(sim: QingjianSimulator): Map<string, number> {
  const byCustomer = new Map<string, number>();
  for (const c of sim.commands) {
    if (c.duplicate || c.cmd !== 'send_text') continue;
    const to = String(c.data.to_id);
    byCustomer.set(to, (byCustomer.get(to) ?? 0) + 1);
  }
  return byCustomer;
}

describe('aics serve --multi', () => {
  it('the seed example under --workers 2: a keyword task fires when its customer says the keyword; health lists the workers', async () => {
    const d = await startMulti(2);
    await d.receive(SEED.receive);
    await until(async () => statuses(d.db)[SEED.receive.task_id] === 'waiting' || null, EVENT_LIMIT_MS, 'the task armed');
    d.sim.pushMessage({ from_id: SEED.receive.customer.id, from_name: '小明', content: '好的谢谢' });
    const [sent] = await d.sim.nextCommands(1, EVENT_LIMIT_MS);
    expect(sent!.data).toMatchObject({ to_id: SEED.receive.customer.id, content: SEED.receive.action.message });
    await until(async () => statuses(d.db)[SEED.receive.task_id] === 'completed' || null, EVENT_LIMIT_MS, 'the task completed');
    const { data } = await d.health();
    expect(data.workers?.map((w) => w.index)).toEqual([0, 1]);
    expect(data.workers?.every((w) => w.pid && w.pid !== data.pid && w.restarts === 0)).toBe(true);
    const owner = shardOf(ACC, SEED.receive.customer.id, 2);
    expect(data.workers?.[owner]?.customers).toBe(1);
    // The worker's lines are in the front's log, tagged with the worker.
    const fired = d
      .logText()
      .split('\n')
      .find((l) => l.includes('任务触发') && l.includes(SEED.receive.task_id));
    expect(JSON.parse(fired!)).toMatchObject({ worker: owner });
    // aics status and aics monitor show the workers.
    const status = await runToEnd(['status', '--db', d.db], { cwd: d.dir });
    expect(status.stdout).toMatch(new RegExp(`worker 0 +pid ${data.workers![0]!.pid}, up since .*, 0 restarts`));
    expect(status.stdout).toMatch(/worker 1 +pid \d+/);
    const monitor = await runToEnd(['monitor', '--once', '--db', d.db], { cwd: d.dir });
    expect(monitor.stdout).toMatch(/WORKER +PID +CUSTOMERS/);
  }, 120_000);

  it('a worker stuck in a loop (no heartbeat: SIGSTOP here) is killed and restarted; its customers are served again', async () => {
    const d = await startMulti(2, ['--no-agent']);
    const customer = Array.from({ length: 50 }, (_, i) => `s${i}`).find((c) => shardOf(ACC, c, 2) === 1)!;
    await d.receive(keywordTask(customer));
    await until(async () => statuses(d.db)[`T_${customer}`] === 'waiting' || null, EVENT_LIMIT_MS, 'armed');
    const stuck = (await d.health()).data.workers![1]!.pid!;
    process.kill(stuck, 'SIGSTOP');
    d.sim.pushMessage({ acc_id: ACC, from_id: customer, content: '好的' });
    await until(async () => statuses(d.db)[`T_${customer}`] === 'completed' || null, EVENT_LIMIT_MS, 'the task completed');
    expect(d.logText()).toMatch(/Worker 1 stuck \(no heartbeat/);
    expect(d.logText()).toMatch(/Worker 1 退出 \(signal SIGKILL\)/);
    expect(delivered(d.sim).get(customer)).toBe(1);
  }, 120_000);

  /** 40 customers with a keyword task each; half say the keyword, then `disturb` runs, then the other half. */
  async function underLoad(d: Awaited<ReturnType<typeof startMulti>>, disturb: () => Promise<void>) {
    const customers = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const c of customers) await d.receive(keywordTask(c));
    await until(async () => Object.values(statuses(d.db)).filter((s) => s === 'waiting').length === 40 || null, EVENT_LIMIT_MS, 'armed');
    for (const c of customers.slice(0, 20)) d.sim.pushMessage({ acc_id: ACC, from_id: c, content: '好的' });
    await disturb();
    for (const c of customers.slice(20)) d.sim.pushMessage({ acc_id: ACC, from_id: c, content: '好的' });
    await until(async () => Object.values(statuses(d.db)).every((s) => s === 'completed') || null, EVENT_LIMIT_MS, 'every task completed');
    const sends = delivered(d.sim);
    // Each customer got their message once: nothing lost, nothing doubled.
    expect(customers.filter((c) => sends.get(c) !== 1)).toEqual([]);
    await d.sim.waitForAllAcked(EVENT_LIMIT_MS);
  }

  it('a worker SIGKILLed under load is restarted ("Worker 0 退出"); its customers wait for it, nothing is lost or doubled', async () => {
    const d = await startMulti(2, ['--no-agent']);
    const before = (await d.health()).data.workers!;
    await underLoad(d, async () => {
      process.kill(before[0]!.pid!, 'SIGKILL');
    });
    expect(d.logText()).toMatch(/Worker 0 退出 \(signal SIGKILL\)/);
    const after = (await d.health()).data.workers!;
    expect(after.map((w) => w.restarts)).toEqual([1, 0]);
    expect(after[0]!.pid).not.toBe(before[0]!.pid);
    expect(after[1]!.pid).toBe(before[1]!.pid); // the other worker and its customers went on
  }, 180_000);

  it('a rolling reload (aics reload, SIGHUP) under load replaces every worker; nothing is lost or doubled', async () => {
    const d = await startMulti(2, ['--no-agent']);
    const before = (await d.health()).data.workers!;
    await underLoad(d, async () => {
      const reload = await runToEnd(['reload', '--db', d.db], { cwd: d.dir });
      expect(reload.code, reload.stderr).toBe(0);
      expect(reload.stdout).toMatch(/sent SIGHUP/);
    });
    await until(async () => d.logText().includes('every worker process replaced') || null, EVENT_LIMIT_MS, 'the reload done');
    const after = (await d.health()).data.workers!;
    expect(after.every((w, i) => w.pid && w.pid !== before[i]!.pid && w.restarts === 0)).toBe(true);
    expect(d.logText()).toMatch(/Worker 1 reloaded/);
  }, 180_000);

  it("a restarted worker resends only its own customers' stored answers: the other worker's waiting answers go out once", async () => {
    // The agent answers 24 customers; a wide gap between sends on the account keeps answers stored for seconds,
    // in both workers. Worker 0 is killed meanwhile: its restart resumes what it left, never worker 1's answers.
    const d = await startMulti(2, [], { AICS_AGENT_SEND_GAP_MS: '250', AICS_AGENT_QUIET_MS: '0', AICS_AGENT_MAX_WAIT_MS: '0' });
    const customers = Array.from({ length: 24 }, (_, i) => `q${i}`);
    for (const c of customers) d.sim.pushMessage({ acc_id: ACC, from_id: c, content: '你好' });
    const stored = () => {
      const conn = new Database(d.db, { readonly: true });
      try {
        return (conn.prepare('SELECT from_id FROM agent_replies').all() as { from_id: string }[]).map((r) => r.from_id);
      } finally {
        conn.close();
      }
    };
    // Both workers have answers waiting in the store.
    await until(
      async () => {
        const waiting = stored().map((c) => shardOf(ACC, c, 2));
        return (waiting.includes(0) && waiting.includes(1)) || null;
      },
      EVENT_LIMIT_MS,
      'answers of both workers stored',
    );
    const before = (await d.health()).data.workers!;
    process.kill(before[0]!.pid!, 'SIGKILL');
    await until(
      async () => (customers.every((c) => (delivered(d.sim).get(c) ?? 0) >= 1) && stored().length === 0) || null,
      60_000,
      'every customer answered',
    );
    // No answer was sent twice, not even as a repeat of its req_id (each is a send the account pays for).
    const repeats = d.sim.commands.filter((c) => c.cmd === 'send_text' && c.duplicate).map((c) => String(c.data.to_id));
    expect(repeats.filter((c) => shardOf(ACC, c, 2) === 1)).toEqual([]);
    expect(customers.filter((c) => delivered(d.sim).get(c) !== 1)).toEqual([]);
  }, 180_000);

  it("keeps one customer's messages in the order the bridge delivered them", async () => {
    const d = await startMulti(3);
    const texts = Array.from({ length: 30 }, (_, i) => `第 ${i} 条`);
    for (const text of texts) d.sim.pushMessage({ acc_id: ACC, from_id: 'ordered', content: text });
    await d.sim.waitForAllAcked(EVENT_LIMIT_MS);
    const conn = new Database(d.db, { readonly: true });
    try {
      const seen = conn.prepare("SELECT text FROM chat_messages WHERE from_id = 'ordered' AND role = 'customer' ORDER BY id").all() as {
        text: string;
      }[];
      expect(seen.map((r) => r.text)).toEqual(texts);
    } finally {
      conn.close();
    }
  }, 120_000);
});

describe('aics reload', () => {
  it('says no daemon runs and exits 3', async () => {
    const dir = join(ws.dir, 'none');
    mkdirSync(dir, { recursive: true });
    const r = await runToEnd(['reload', '--db', join(dir, 'tasks.db')], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not running.*nothing to reload/);
  });

  it('to a daemon in one process: reopens its log and says nothing needs restarting', async () => {
    const dir = join(ws.dir, 'single');
    mkdirSync(dir, { recursive: true });
    const log = join(dir, 'aics.log');
    const serve = await startServe(['--api-only', '--port', '0', '--db', join(dir, 'tasks.db'), '--log-file', log], { cwd: dir });
    running.push({
      stop: async () => {
        serve.child.kill('SIGTERM');
        await serve.exit;
      },
    });
    const r = await runToEnd(['reload', '--db', join(dir, 'tasks.db')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    await until(async () => readFileSync(log, 'utf8').includes('nothing to restart') || null, EVENT_LIMIT_MS, 'the reload line');
  });
});
