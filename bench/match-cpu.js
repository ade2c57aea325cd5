#!/usr/bin/env node
/**
 * Match CPU benchmark: what one customer message costs the trigger engine, by the number of waiting any-customer
 * tasks (customer_reply / customer_keyword that any customer can fire). The engine alone, in this process, on a
 * SQLite file: TriggerEngine.handle for --messages messages that fire nothing (each is recorded, matched and marked
 * handled). CPU time per message (process.cpuUsage, steady on a shared machine) and the latency of each handle().
 * Flat CPU across --any is what the keyword index promises; bench/match.js measures the whole path with a bridge.
 *
 * AICS_BENCH_DIST=OTHER/dist measures another build (e.g. main's) the same way: before/after, same conditions.
 * Needs `npm run build` first. Prints ONE JSON object on stdout.
 *
 * --burst K hands K messages to the engine at once (several frames in one read of the socket), where a store that
 * groups the writes of one turn of the event loop commits them together. --turns starts each burst in a turn of its
 * own, as the bridge's frames come (without it, the messages follow one another in one turn).
 *
 *   node bench/match-cpu.js [--any 300,3000] [--messages 2000] [--burst 1] [--turns] [--quick]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dist, distribution, log, machine, watchdog, workDir } from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    any: { type: 'string' },
    messages: { type: 'string' },
    burst: { type: 'string' },
    turns: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const SIZES = (args.any ?? (args.quick ? '300' : '300,3000')).split(',').map(Number);
const MESSAGES = Number(args.messages ?? (args.quick ? 500 : 2000));
/** Messages handed to the engine at once (as when several frames arrive in one read of the socket); 1: one by one. */
const BURST = Number(args.burst ?? 1);
/** Each burst in its own turn of the event loop, as the bridge's frames come (else one after another in one turn). */
const TURNS = args.turns;
if (SIZES.some((n) => !(n >= 0)) || !(MESSAGES > 0) || !(Number.isInteger(BURST) && BURST >= 1)) {
  throw new Error('--any takes numbers ≥ 0, --messages a positive number, --burst a whole number ≥ 1');
}

const stopWatchdog = watchdog('match-cpu', 300_000);
const { openStore } = await dist('store/index.js');
const { TriggerEngine } = await dist('daemon/engine/trigger-engine.js');
const { parseTaskPayload } = await dist('tasks/index.js');

const trigger = (i) =>
  i % 2 ? { type: 'customer_keyword', keywords: [`词${i}`, `关键${i}`] } : { type: 'customer_reply', keyword: `回复${i}` };
const nop = () => {};
const logger = { trace: nop, debug: nop, info: nop, warn: nop, error: nop };
const message = (i) => ({
  acc_id: 'acc',
  from_id: `c${i % 1000}`,
  from_name: null,
  msg_id: `m${i}`,
  content: '在吗？请问今天能发货吗',
  is_self: false,
});

async function measure(any) {
  const dir = workDir('aics-match-cpu-');
  const store = await openStore(join(dir.dir, 'tasks.db'));
  try {
    const action = { type: 'send_message', message: 'x' };
    await Promise.all(
      Array.from({ length: any }, (_, i) =>
        store.tasks.receive(
          parseTaskPayload({ task_id: `ANY_${i}`, type: 'bench', trigger: trigger(i), action, timeout_hours: 24 }),
          'bench',
        ),
      ),
    );
    await store.tasks.arm('bench');
    const engine = new TriggerEngine({ store, runner: { run: async () => 'completed' }, logger, owner: 'bench', leaseMs: 30_000 });
    for (let i = 1; i <= 200; i++) await engine.handle(message(-i)); // warm-up
    const ms = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < MESSAGES; i += BURST) {
      if (TURNS) await new Promise((resolve) => setTimeout(resolve, 0));
      const t = process.hrtime.bigint();
      const burst = Array.from({ length: Math.min(BURST, MESSAGES - i) }, (_, k) => message(i + k));
      // Each message's handle() from the start of its burst to its own end.
      await Promise.all(burst.map((m) => engine.handle(m).then(() => ms.push(Number(process.hrtime.bigint() - t) / 1e6))));
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      any_customer_tasks: any,
      cpu_ms_per_message: Number(((cpu.user + cpu.system) / 1000 / MESSAGES).toFixed(3)),
      handle_ms: distribution(ms),
    };
  } finally {
    await store.close();
    dir.cleanup();
  }
}

const runs = [];
for (const any of SIZES) {
  log(`match-cpu: ${any} any-customer tasks, ${MESSAGES} messages …`);
  runs.push(await measure(any));
}
stopWatchdog();
process.stdout.write(
  `${JSON.stringify({ bench: 'match-cpu', ...machine(), build: process.env.AICS_BENCH_DIST ?? 'dist', messages: MESSAGES, burst: BURST, turns: TURNS, runs })}\n`,
);
