#!/usr/bin/env node
/**
 * Match benchmark: how fast a customer's message becomes the send command of the task it fires, with many waiting
 * tasks in the database.
 *
 *   (a) aics: a real daemon in-process (the composition root, mode bridge, its own SQLite file and log file) connected
 *       to an in-process 轻简 simulator on 127.0.0.1. The database holds --tasks waiting `specified_customer_reply`
 *       tasks (one per customer, keyword 好的) plus --any `customer_keyword` / `customer_reply` tasks any customer
 *       could fire, whose keywords the bench messages never contain: every message is matched against all of them.
 *       Customer messages are pushed at a steady --rate for --duration seconds (open loop: a slow daemon does not
 *       slow the pushes); one in --fire-every is the customer of a waiting task saying "好的谢谢" and fires it, the
 *       others come from other customers with waiting tasks and fire nothing.
 *       Measured: push of the message frame → the simulator receives the send_text command for that customer
 *       (firing messages), and push → the event's ack (every message).
 *   (b) bare-ws: a ws server and client in the same process on loopback; the server pushes frames of the same size
 *       at the same rate and the client echoes each one: the floor of one WebSocket round trip on this machine.
 *
 * Tasks are seeded with the store library (store.tasks.receive in batched transactions, then arm) before the
 * daemon starts; the time that took is reported. Needs `npm run build` first. Prints ONE JSON object on stdout;
 * progress goes to stderr.
 *
 * With --db postgres://… (an empty database) the same run follows on PostgreSQL, in the same process and session,
 * and `ratios.postgres_vs_sqlite_*` compare the two stores.
 *
 *   node bench/match.js [--tasks 100000] [--any 300] [--rate 200] [--duration 10] [--fire-every 10] [--quick] [--db URL]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
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
    any: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    'fire-every': { type: 'string' },
    warmup: { type: 'string' },
    quick: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});
const quick = args.quick;
const num = (name, full, small, min = Number.MIN_VALUE) => {
  const v = Number(args[name] ?? (quick ? small : full));
  if (!(v >= min)) throw new Error(`--${name} must be a ${min === 0 ? 'number ≥ 0' : 'positive number'}`);
  return v;
};
const TASKS = Math.floor(num('tasks', 100_000, 10_000));
const ANY = Math.floor(num('any', 300, 100, 0));
const RATE = num('rate', 200, 200);
const DURATION = num('duration', 10, 3);
const FIRE_EVERY = Math.floor(num('fire-every', 10, 10));
const WARMUP = Number(args.warmup ?? 1); // seconds of the same traffic before measuring, not counted

const MESSAGES = Math.round(RATE * DURATION);
const WARM_MESSAGES = Math.round(RATE * WARMUP);
const FIRING = (n) => Math.ceil(n / FIRE_EVERY);
if (FIRING(MESSAGES) + FIRING(WARM_MESSAGES) + MESSAGES + WARM_MESSAGES > TASKS) {
  throw new Error(`--tasks ${TASKS} is too few for ${MESSAGES + WARM_MESSAGES} messages (each message names a customer with a task)`);
}

const ACC = '1688000001';
const FIRE_TEXT = '好的谢谢';
const QUIET_TEXT = '在吗？请问今天能发货吗';
const customer = (i) => `wm_bench_${String(i).padStart(7, '0')}`;

const stopWatchdog = watchdog('match', (WARMUP + DURATION) * 1000 + 300_000);
const { dir } = workDir('aics-bench-match-');

function payloads() {
  const out = [];
  for (let i = 0; i < TASKS; i++) {
    out.push({
      task_id: `MATCH_${String(i).padStart(7, '0')}`,
      type: 'send_file_after_reply',
      customer: { id: customer(i), name: `客户${i}` },
      trigger: { type: 'specified_customer_reply', customer_id: customer(i), keyword: '好的', exact_match: false },
      action: { type: 'send_message', message: `这是您要的文件 ${i}` },
      priority: 'normal',
      timeout_hours: 24,
      created_by: 'bench',
    });
  }
  for (let i = 0; i < ANY; i++) {
    const trigger =
      i % 2 === 0
        ? { type: 'customer_keyword', keywords: [`暗号${i}甲`, `暗号${i}乙`, `口令${i}`] }
        : { type: 'customer_reply', keyword: `回复暗号${i}`, exact_match: i % 4 === 1 };
    out.push({
      task_id: `MATCH_ANY_${String(i).padStart(4, '0')}`,
      type: 'keyword_reply',
      trigger,
      action: { type: 'send_message', message: `暗号回复 ${i}` },
      timeout_hours: 24,
      created_by: 'bench',
    });
  }
  return out;
}

/** A message frame as the simulator writes it, for the baseline's frame size. */
function sampleFrame(i) {
  const now = Date.now();
  return JSON.stringify({
    type: 'event',
    event: 'message',
    event_id: `e-abcdef-${i}`,
    ts: now,
    data: {
      msg_id: `m-abcdef-${i}`,
      acc_id: ACC,
      from_id: customer(i),
      from_name: `客户${i}`,
      chat_type: 'single',
      msg_type: 'text',
      content: QUIET_TEXT,
      is_self: false,
      send_time: now,
    },
  });
}

/**
 * Calls push(i) for i = 0 … n-1 at `rate` per second, on schedule (open loop: a push that is late does not delay the
 * next ones). Returns the largest lateness of a push against its schedule (ms).
 */
async function steady(n, rate, push) {
  const t0 = performance.now();
  let sent = 0;
  let maxLag = 0;
  while (sent < n) {
    const now = performance.now();
    const due = Math.min(n, Math.floor(((now - t0) * rate) / 1000) + 1);
    while (sent < due) {
      maxLag = Math.max(maxLag, now - (t0 + (sent * 1000) / rate));
      push(sent++);
    }
    if (sent < n) await sleep(Math.max(1, Math.floor(1000 / rate / 2)));
  }
  return round3(maxLag);
}

async function bareWs() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const serverSide = new Promise((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`, { perMessageDeflate: false });
  client.on('message', (data) => client.send(data, { binary: false }));
  await new Promise((r, j) => client.once('open', r).once('error', j));
  const server = await serverSide;
  const n = MESSAGES + WARM_MESSAGES;
  const sentAt = new Float64Array(n);
  const rtt = [];
  let back = 0;
  server.on('message', (data) => {
    const at = performance.now();
    const i = Number(JSON.parse(data.toString()).event_id.slice(9));
    back++;
    if (i >= WARM_MESSAGES) rtt.push(at - sentAt[i]);
  });
  const bytes = Buffer.byteLength(sampleFrame(0));
  const maxLag = await steady(n, RATE, (i) => {
    const frame = sampleFrame(i);
    sentAt[i] = performance.now();
    server.send(frame);
  });
  await until(() => back === n, 10_000);
  client.close();
  await new Promise((r) => wss.close(r));
  return { frames: MESSAGES, frame_bytes: bytes, echoed: rtt.length, push_max_lag_ms: maxLag, rtt_ms: distribution(rtt) };
}

/** Seeds the store at `db` (a SQLite file or postgres:// URL), runs the daemon on it, and measures. */
async function measureAics(db, label) {
  const { openStore } = await dist('store/index.js');
  const { parseTaskPayload } = await dist('tasks/index.js');
  const { QingjianSimulator } = await dist('sim/qingjian-sim.js');

  // ---- seed ----
  log(`${label}: seeding ${TASKS} + ${ANY} tasks …`);
  const all = payloads().map((p) => parseTaskPayload(p));
  const store = await openStore(db, { timeZone: BENCH_ENV.TZ });
  const seed = await seedTasks(store, all);
  await store.close();
  log(`seeded in ${seed.receive_s} s, armed in ${seed.arm_s} s`);

  const sim = await QingjianSimulator.start({ port: 0, accId: ACC });
  const daemon = await startEngineDaemon(sim, db, dir);
  await sim.waitForAllAcked(10_000); // login + ready

  // Customers: firing message k (k = 0, 1, …) → customer k; quiet message j → customer OFFSET + j (a task that
  // does not match what they say). Warm-up uses its own customers after those.
  const firingPerPhase = FIRING(MESSAGES);
  const quietBase = firingPerPhase + FIRING(WARM_MESSAGES);
  const pushAt = new Map(); // from_id → push time (firing messages)
  const sendAt = new Map(); // from_id → first send_text time
  const sendCount = new Map();
  let unexpected = 0;
  let repeatedReqIds = 0;
  sim.onCommand((c) => {
    const at = performance.now();
    const to = c.data.to_id;
    if (c.cmd !== 'send_text' || !pushAt.has(to)) {
      unexpected++;
      return;
    }
    // A req_id repeated after an ack timeout is answered from the bridge's cache: not a second delivery.
    if (c.duplicate) {
      repeatedReqIds++;
      return;
    }
    if (!c.result.ok) return;
    sendCount.set(to, (sendCount.get(to) ?? 0) + 1);
    if (!sendAt.has(to)) sendAt.set(to, at);
  });

  const runPhase = async (n, firingOffset, quietOffset, measured) => {
    const acks = [];
    const sendLat = [];
    const ackWaits = [];
    const firingIds = [];
    let k = 0;
    let j = 0;
    const maxLag = await steady(n, RATE, (i) => {
      const fires = i % FIRE_EVERY === 0;
      const from = fires ? customer(firingOffset + k++) : customer(quietOffset + j++);
      const t = performance.now();
      if (fires) {
        pushAt.set(from, t);
        firingIds.push(from);
      }
      const { event_id } = sim.pushMessage({ from_id: from, from_name: '客户', content: fires ? FIRE_TEXT : QUIET_TEXT });
      ackWaits.push(
        sim.waitForAck(event_id, 60_000).then(
          () => acks.push(performance.now() - t),
          () => undefined,
        ),
      );
    });
    await Promise.all(ackWaits);
    await until(() => firingIds.every((id) => sendAt.has(id)), 30_000);
    for (const id of firingIds) if (sendAt.has(id)) sendLat.push(sendAt.get(id) - pushAt.get(id));
    return { measured, n, acks, sendLat, firingIds, maxLag };
  };

  log(`${label}: warm-up ${WARMUP} s, then ${RATE}/s for ${DURATION} s …`);
  if (WARM_MESSAGES) await runPhase(WARM_MESSAGES, firingPerPhase, quietBase + MESSAGES, false);
  const countersBefore = sim.counters();
  const repeatsBefore = repeatedReqIds;
  const cpuBefore = process.cpuUsage();
  const phase = await runPhase(MESSAGES, 0, quietBase, true);
  const cpu = process.cpuUsage(cpuBefore);
  await sleep(500); // a late duplicate would arrive now
  const counters = sim.counters();
  const health = await daemon.health();
  await daemon.stop('bench done');
  await sim.stop();

  const fired = phase.firingIds.filter((id) => sendAt.has(id)).length;
  const duplicates = phase.firingIds.reduce((n, id) => n + Math.max(0, (sendCount.get(id) ?? 0) - 1), 0);

  // Afterwards: what the store says about the tasks (through its port: the same on SQLite and PostgreSQL).
  const check = await openStore(db, { readonly: true });
  const byStatus = (await check.tasks.stats()).by_status;
  let anyFired = 0;
  for (const p of all.filter((t) => t.task_id.startsWith('MATCH_ANY_')))
    if ((await check.tasks.get(p.task_id))?.status !== 'waiting') anyFired++;
  await check.close();
  const completed = byStatus.completed - anyFired;
  const fired_by_status = Object.fromEntries(Object.entries(byStatus).filter(([status, n]) => status !== 'waiting' && n > 0));

  return {
    seed,
    ack: distribution(phase.acks),
    send: distribution(phase.sendLat),
    aics: {
      messages: MESSAGES,
      // The whole process (daemon, simulator, pushes) while the measured messages were handled: it moves far less
      // with a busy machine than the latencies do, and the simulator's share is the same for every build.
      cpu_ms_per_message: round3((cpu.user + cpu.system) / 1000 / MESSAGES),
      push_max_lag_ms: phase.maxLag,
      acked: phase.acks.length,
      fired_expected: phase.firingIds.length,
      fired,
      lost: phase.firingIds.length - fired,
      duplicates,
      repeated_req_ids: repeatedReqIds - repeatsBefore,
      unexpected_commands: unexpected,
      any_customer_tasks_fired: anyFired,
      tasks_completed_in_db: completed,
      tasks_completed_expected: phase.firingIds.length + FIRING(WARM_MESSAGES),
      fired_tasks_by_status_after_stop: fired_by_status,
      redeliveries: counters.redeliveries - countersBefore.redeliveries,
      bridge: { received: health.qingjian.received, duplicates: health.qingjian.duplicates },
    },
  };
}

async function main() {
  const loadBefore = machine().loadavg;
  const sqlite = await measureAics(join(dir, 'db/tasks.db'), 'aics on SQLite');
  // ---- baseline: bare WebSocket round trip ----
  log(`bare ws: ${RATE}/s for ${DURATION} s …`);
  const bare = await bareWs();
  const postgres = args.db ? await measureAics(args.db, 'aics on PostgreSQL') : null;
  const { ack, send } = sqlite;
  const out = {
    bench: 'match',
    ...machine(),
    loadavg_before: loadBefore,
    quick,
    tasks_waiting: TASKS + ANY,
    specified_customer_tasks: TASKS,
    any_customer_tasks: ANY,
    seed: sqlite.seed,
    rate_per_s: RATE,
    duration_s: DURATION,
    warmup_s: WARMUP,
    fire_every: FIRE_EVERY,
    aics: { ...sqlite.aics, ack_ms: ack, send_ms: send },
    ...(postgres ? { postgres: { seed: postgres.seed, ...postgres.aics, ack_ms: postgres.ack, send_ms: postgres.send } } : {}),
    bare_ws: bare,
    ratios: {
      ...(postgres
        ? {
            postgres_vs_sqlite_ack_p50: ratio(postgres.ack.p50, ack.p50),
            postgres_vs_sqlite_send_p50: ratio(postgres.send.p50, send.p50),
            postgres_vs_sqlite_send_p99: ratio(postgres.send.p99, send.p99),
            postgres_vs_sqlite_seed_receive: ratio(postgres.seed.receive_s, sqlite.seed.receive_s),
          }
        : {}),
      ack_p50_vs_bare_rtt_p50: ratio(ack.p50, bare.rtt_ms.p50),
      ack_p99_vs_bare_rtt_p99: ratio(ack.p99, bare.rtt_ms.p99),
      send_p50_vs_bare_rtt_p50: ratio(send.p50, bare.rtt_ms.p50),
      send_p99_vs_bare_rtt_p99: ratio(send.p99, bare.rtt_ms.p99),
    },
  };
  stopWatchdog();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
