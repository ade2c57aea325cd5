#!/usr/bin/env node
/**
 * Schedule benchmark: --tasks `time_reach` tasks all due at the same instant T, and how the daemon fires them.
 *
 *   (a) aics: a real daemon in-process (the composition root, mode bridge, its own SQLite file and log file)
 *       connected to an in-process 轻简 simulator on 127.0.0.1. The tasks (one per customer, send_message) are
 *       seeded with the store library (store.tasks.receive in batched transactions, then arm) with T a few seconds
 *       after seeding ends; the daemon starts before T. Measured at the simulator: when each customer's send_text
 *       arrives relative to T (lateness), when the last one arrived, sends per second, duplicates and missing.
 *       The daemon's callbacks (one per completed task, to its own sink over HTTP) run meanwhile, as they would.
 *   (b) bare-bridge: the same simulator code and the daemon's QingjianBridge client alone, sending the same number of
 *       send_text commands in a loop with the scheduler's concurrency (32): the cost of the transport alone.
 *
 * Needs `npm run build` first. Prints ONE JSON object on stdout; progress goes to stderr.
 *
 *   node bench/schedule.js [--tasks 100000] [--concurrency 32] [--timeout 600] [--quick]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import {
  BENCH_ENV,
  dist,
  distribution,
  log,
  machine,
  ratio,
  round3,
  seedTasks,
  sleep,
  startEngineDaemon,
  until,
  watchdog,
  workDir,
} from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    timeout: { type: 'string', default: '600' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const TASKS = Math.floor(Number(args.tasks ?? (quick ? 5_000 : 100_000)));
const CONCURRENCY = Math.floor(Number(args.concurrency));
const TIMEOUT_S = Number(args.timeout);
if (!(TASKS > 0) || !(CONCURRENCY > 0) || !(TIMEOUT_S > 0))
  throw new Error('--tasks, --concurrency and --timeout must be positive numbers');

const ACC = '1688000001';
const customer = (i) => `wm_sched_${String(i).padStart(7, '0')}`;
/** How long after seeding (and arming) ends T falls: room for the daemon to start and settle. */
const START_MARGIN_MS = 5_000;
/** Seeding a large file runs slower than the small calibration sample (and the machine is shared): a wide margin. */
const ESTIMATE_FACTOR = 1.8;

const stopWatchdog = watchdog('schedule', TIMEOUT_S * 1000 + 600_000);
const { dir } = workDir('aics-bench-schedule-');

function payloads(n, time, prefix) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      task_id: `${prefix}_${String(i).padStart(7, '0')}`,
      type: 'reminder',
      customer: { id: customer(i), name: `客户${i}`, acc_id: ACC },
      trigger: { type: 'time_reach', time },
      action: { type: 'send_message', message: `您好，您预约的提醒 ${i}` },
      priority: 'normal',
      timeout_hours: 24,
      created_by: 'bench',
    });
  }
  return out;
}

async function bareBridge(QingjianSimulator, QingjianBridge) {
  const sim = await QingjianSimulator.start({ port: 0, accId: ACC });
  const bridge = new QingjianBridge({ url: sim.url });
  bridge.start();
  await bridge.whenConnected(10_000);
  await sim.waitForAllAcked(10_000);
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (next < TASKS) {
      const i = next++;
      try {
        await bridge.sendText(
          { acc_id: ACC, to_id: customer(i), content: `您好，您预约的提醒 ${i}` },
          `BARE_${String(i).padStart(7, '0')}#1`,
        );
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const counters = sim.counters();
  await bridge.stop();
  await sim.stop();
  return {
    sends: TASKS,
    concurrency: CONCURRENCY,
    seconds: round3(seconds),
    sends_per_s: Math.round(TASKS / seconds),
    // This process's CPU (the client and the simulator) per send.
    cpu_ms_per_send: round3((cpu.user + cpu.system) / 1000 / TASKS),
    failed,
    delivered: counters.sends_delivered,
  };
}

async function main() {
  const { openStore } = await dist('store/index.js');
  const { parseTaskPayload } = await dist('tasks/index.js');
  const { QingjianSimulator } = await dist('sim/qingjian-sim.js');
  const { QingjianBridge } = await dist('daemon/qingjian/index.js');
  const loadBefore = machine().loadavg;

  // ---- baseline first: the transport alone ----
  log(`bare bridge: ${TASKS} send_text, concurrency ${CONCURRENCY} …`);
  const bare = await bareBridge(QingjianSimulator, QingjianBridge);
  log(`bare bridge: ${bare.sends_per_s} sends/s`);

  // ---- seed: estimate the seeding time on a scratch file, so that T falls just after it ends ----
  const sample = Math.min(2_000, TASKS);
  const scratch = await openStore(join(dir, 'scratch/tasks.db'), { timeZone: BENCH_ENV.TZ });
  const cal = await seedTasks(
    scratch,
    payloads(sample, new Date(Date.now() + 3_600_000).toISOString(), 'CAL').map((p) => parseTaskPayload(p)),
  );
  scratch.close();
  const estimateMs = ((cal.receive_s + cal.arm_s) * 1000 * TASKS) / sample;
  const T = Math.ceil((Date.now() + estimateMs * ESTIMATE_FACTOR + START_MARGIN_MS) / 1000) * 1000;
  const time = new Date(T).toISOString();
  log(`seeding ${TASKS} time_reach tasks due at ${time} (estimated ${Math.round(estimateMs / 1000)} s of seeding) …`);
  const db = join(dir, 'db/tasks.db');
  const all = payloads(TASKS, time, 'SCHED').map((p) => parseTaskPayload(p));
  const store = await openStore(db, { timeZone: BENCH_ENV.TZ });
  const seed = await seedTasks(store, all);
  store.close();
  log(`seeded in ${seed.receive_s} s, armed in ${seed.arm_s} s`);

  // ---- aics ----
  const sim = await QingjianSimulator.start({ port: 0, accId: ACC });
  const firstAt = new Map(); // to_id → first send_text (ms since the epoch)
  let commands = 0;
  let duplicates = 0; // a second delivery to the same customer
  let repeatedReqIds = 0; // a req_id repeated after an ack timeout, answered from the bridge's cache: not a delivery
  sim.onCommand((c) => {
    commands++;
    const to = c.data.to_id;
    if (c.duplicate) repeatedReqIds++;
    else if (!c.result.ok) return;
    else if (firstAt.has(to)) duplicates++;
    else firstAt.set(to, c.at);
  });
  const daemon = await startEngineDaemon(sim, db, dir);
  const leadMs = T - Date.now();
  // CPU from here to the last send: the daemon, the simulator and the daemon's own callback sink, all in this process.
  const cpu0 = process.cpuUsage();
  log(`daemon up ${Math.round(leadMs)} ms before T; waiting for ${TASKS} sends …`);
  const done = await until(() => firstAt.size >= TASKS, Math.max(0, T - Date.now()) + TIMEOUT_S * 1000, 50);
  const cpu = process.cpuUsage(cpu0);
  await sleep(1_000); // a late duplicate would arrive now
  const health = await daemon.health();
  await daemon.stop('bench done');
  await sim.stop();

  // The database as the daemon left it, read with SQL (the SQLite file is what these benchmarks run on).
  const check = new Database(db, { readonly: true });
  const byStatus = Object.fromEntries(
    check
      .prepare('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status')
      .all()
      .map((r) => [r.status, r.n]),
  );
  check.close();

  const late = [...firstAt.values()].map((at) => at - T);
  const lateness = distribution(late);
  const first = late.length ? Math.min(...late) : null;
  const last = late.length ? Math.max(...late) : null;
  const fired = firstAt.size;
  const sendsPerS = last !== null && last > 0 ? Math.round(fired / (last / 1000)) : null;
  const out = {
    bench: 'schedule',
    ...machine(),
    loadavg_before: loadBefore,
    quick,
    tasks: TASKS,
    seed: { ...seed, estimated_s: round3(estimateMs / 1000) },
    daemon_started_ms_before_T: Math.round(leadMs),
    ...(leadMs < 0 ? { warning: 'seeding overran T: the daemon started after T, so lateness includes its start-up' } : {}),
    aics: {
      fired,
      missing: TASKS - fired,
      duplicates,
      repeated_req_ids: repeatedReqIds,
      all_fired: done && fired === TASKS,
      commands_received: commands,
      lateness_ms: lateness,
      first_send_after_T_ms: first,
      all_fired_after_T_ms: last,
      sends_per_s: sendsPerS,
      cpu_ms_per_task: round3((cpu.user + cpu.system) / 1000 / Math.max(1, fired)),
      tasks_by_status_after_stop: byStatus,
      outbox_backlog_at_end: health.outbox_backlog,
    },
    bare_bridge: bare,
    ratios: {
      aics_vs_bare_bridge_throughput: ratio(sendsPerS, bare.sends_per_s),
      // The same by CPU (the load average moves it less): the bare send's CPU over a fired task's (1 = as cheap).
      aics_vs_bare_bridge_cpu: ratio(bare.cpu_ms_per_send, (cpu.user + cpu.system) / 1000 / Math.max(1, fired)),
    },
  };
  stopWatchdog();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
