#!/usr/bin/env node
/**
 * Commit latency benchmark: what one small write transaction costs the thread that commits it, with SQLite's
 * automatic checkpoint (every 1,000 WAL pages, inside the commit that crosses it: a short command, and the daemon
 * before the WAL checkpointer) and with the daemon's WAL checkpointer (src/store/wal-checkpointer.ts: automatic
 * checkpoint off, a thread checkpoints four times a second). The store's own connection (openDatabase: WAL, busy timeout,
 * --sync), a fresh file per round, --commits transactions of the size a task's firing writes (an insert of a
 * ~400-byte row and an update of an earlier one) at --rate a second in bursts of 100 (open loop, as a busy daemon
 * writes; the loop turns between bursts); the modes alternate, --rounds times each, in this one process. The tail
 * (p99, p99.9, max) is what the checkpoint on the event loop made: a send waits behind it.
 *
 * Needs `npm run build` first (this build: main's has no checkpointer). Prints ONE JSON object on stdout.
 *
 *   node bench/commit-latency.js [--commits 20000] [--rate 2000] [--interval 250] [--rounds 2] [--sync normal|full] [--quick]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dist, log, machine, percentile, ratio, round3, watchdog, workDir } from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    commits: { type: 'string' },
    rounds: { type: 'string' },
    rate: { type: 'string', default: '2000' },
    interval: { type: 'string', default: '250' },
    sync: { type: 'string', default: 'normal' },
    quick: { type: 'boolean', default: false },
  },
});
const COMMITS = Math.floor(Number(args.commits ?? (args.quick ? 5_000 : 20_000)));
const ROUNDS = Math.floor(Number(args.rounds ?? (args.quick ? 1 : 2)));
const SYNC = args.sync;
const RATE = Number(args.rate);
const BURST = 100;
/** The checkpointer's tick (ms): the daemon's is 250. */
const INTERVAL = Number(args.interval);
if (!(COMMITS > 0) || !(ROUNDS > 0) || !(RATE > 0) || !['normal', 'full'].includes(SYNC))
  throw new Error('--commits, --rate and --rounds must be positive numbers, --sync normal or full');

const stopWatchdog = watchdog('commit-latency', 900_000);
const { openDatabase } = await dist('store/connection.js');
const { WalCheckpointer } = await dist('store/wal-checkpointer.js');
const { dir } = workDir('aics-bench-commit-');

const PAYLOAD = 'x'.repeat(400);

async function round(mode, index) {
  const file = join(dir, `${mode}-${index}`, 'tasks.db');
  const db = openDatabase(file, { sync: SYNC });
  db.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL)');
  db.exec('CREATE INDEX bench_rows_status ON bench_rows (status)');
  const checkpoints = [];
  const checkpointer =
    mode === 'thread' ? new WalCheckpointer(db, file, { intervalMs: INTERVAL, onCheckpoint: (r) => checkpoints.push(r) }) : null;
  if (checkpointer && !(await checkpointer.ready)) throw new Error('the WAL checkpointer did not start');
  const insert = db.prepare("INSERT INTO bench_rows (status, payload) VALUES ('waiting', ?)");
  const update = db.prepare("UPDATE bench_rows SET status = 'completed' WHERE id = ?");
  const write = db.transaction((i) => {
    insert.run(PAYLOAD);
    if (i > 100) update.run(i - 100);
  });
  const ms = new Float64Array(COMMITS);
  const started = process.hrtime.bigint();
  for (let i = 0; i < COMMITS; i++) {
    const t0 = process.hrtime.bigint();
    write(i);
    ms[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i % BURST === BURST - 1) {
      // The next burst's time; the loop turns meanwhile (the checkpointer's messages), as the daemon's does.
      const due = Number(started) / 1e6 + ((i + 1) / RATE) * 1000;
      const wait = due - Number(process.hrtime.bigint()) / 1e6;
      await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    }
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  await checkpointer?.stop();
  db.close();
  ms.sort();
  const sum = ms.reduce((a, b) => a + b, 0);
  return {
    mode,
    wall_s: round3(wallS),
    commit_ms: {
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      p999: percentile(ms, 99.9),
      max: round3(ms[ms.length - 1]),
      mean: round3(sum / COMMITS),
      total: round3(sum),
    },
    over_5ms: ms.filter((v) => v > 5).length,
    ...(checkpointer
      ? { thread_checkpoints: checkpoints.length, frames_copied_by_thread: checkpoints.reduce((a, r) => a + r.checkpointed, 0) }
      : {}),
  };
}

const loadBefore = machine().loadavg;
const rounds = [];
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of ['auto', 'thread']) {
    const r = await round(mode, i);
    log(`${mode} ${i}: p50 ${r.commit_ms.p50} ms, p99 ${r.commit_ms.p99}, p99.9 ${r.commit_ms.p999}, max ${r.commit_ms.max}`);
    rounds.push(r);
  }
}
const median = (mode, pick) => {
  const v = rounds
    .filter((r) => r.mode === mode)
    .map(pick)
    .sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)];
};
const out = {
  bench: 'commit-latency',
  ...machine(),
  loadavg_before: loadBefore,
  commits: COMMITS,
  rate_per_s: RATE,
  checkpoint_interval_ms: INTERVAL,
  sync: SYNC,
  rounds,
  ratios: {
    thread_vs_auto_p99: ratio(
      median('thread', (r) => r.commit_ms.p99),
      median('auto', (r) => r.commit_ms.p99),
    ),
    thread_vs_auto_p999: ratio(
      median('thread', (r) => r.commit_ms.p999),
      median('auto', (r) => r.commit_ms.p999),
    ),
    thread_vs_auto_max: ratio(
      median('thread', (r) => r.commit_ms.max),
      median('auto', (r) => r.commit_ms.max),
    ),
    thread_vs_auto_total_commit_time: ratio(
      median('thread', (r) => r.commit_ms.total),
      median('auto', (r) => r.commit_ms.total),
    ),
  },
};
stopWatchdog();
process.stdout.write(`${JSON.stringify(out)}\n`);
