#!/usr/bin/env node
/**
 * `aics task list` on a big database: --tasks tasks (default 1,000,000; 1 % pending, the rest completed), and
 *
 *   aics task list --status pending --json          the command as an operator runs it
 *
 * against the baseline the issue names, measured in the same run and interleaved with it:
 *
 *   sqlite3 FILE "<the same count>; <the same page>"  the SQLite shell running the command's two queries
 *   sqlite3 FILE "<the count>; SELECT * … LIMIT 20"   the same with the plain page query (whole rows sorted), as
 *                                                     the issue first measured it
 *
 * and, for scale, `node -e 0`. Reports medians over --runs rounds (after one warm-up round) and the ratio to the
 * sqlite3 shell. --baseline-root DIR adds another checkout's CLI (DIR/bin/run.js, built; e.g. /work/main) to the
 * same rounds: before/after in the same conditions, its output checked to be the same. Seeding copies one real task (received through the store) with SQL, so that the rows are what the
 * daemon writes. Needs `npm run build` and the `sqlite3` shell. Prints ONE JSON object on stdout.
 *
 *   node bench/task-list.js [--tasks 1000000] [--runs 9] [--quick] [--baseline-root DIR]   (--quick: 100,000 tasks, 5 rounds)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childEnv, dist, distribution, log, machine, ratio, root, watchdog, workDir } from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'baseline-root': { type: 'string' },
  },
});
const tasks = Number(args.tasks ?? (args.quick ? 100_000 : 1_000_000));
const runs = Number(args.runs ?? (args.quick ? 5 : 9));
if (!Number.isInteger(tasks) || tasks < 100) throw new Error(`--tasks: expected a whole number ≥ 100, got ${args.tasks}`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number of rounds, got ${args.runs}`);
if (spawnSync('sqlite3', ['--version']).status !== 0) throw new Error('the sqlite3 shell is needed (Debian: apt-get install sqlite3)');

const disarm = watchdog('task-list', 30 * 60_000);
const { dir } = workDir('aics-bench-list-');
const db = join(dir, 'tasks.db');

log(`seeding ${tasks} tasks …`);
const seedStarted = performance.now();
const { openSqliteStore } = await dist('store/sqlite.js');
const { validateTask } = await dist('tasks/index.js');
const store = openSqliteStore(db, { timeZone: 'Asia/Shanghai' });
await store.tasks.receive(
  validateTask({
    task_id: 'SEED',
    customer: { id: 'customer_0', name: '小明' },
    trigger: { type: 'specified_customer_reply', customer_id: 'customer_0', keyword: '好的' },
    action: { type: 'send_message', message: '这是您要的文件' },
  }),
  'bench',
);
await store.close();
// Every other column as the store wrote it; ids, customers, creation times and statuses spread over the copies.
const columns = spawnSync('sqlite3', [db, "SELECT group_concat(name, ',') FROM pragma_table_info('tasks')"], { encoding: 'utf8' })
  .stdout.trim()
  .split(',');
const varied = {
  task_id: "'T' || n",
  customer_id: "'customer_' || (n % 5000)",
  created_at: "strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || n || ' seconds')",
  status: `CASE WHEN n % 100 = 0 THEN 'pending' ELSE 'completed' END`,
};
const select = columns.map((c) => varied[c] ?? c).join(', ');
const seedSql = `PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${tasks - 1})
INSERT INTO tasks (${columns.join(', ')}) SELECT ${select} FROM seq, (SELECT * FROM tasks WHERE task_id = 'SEED');
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);`;
const seeded = spawnSync('sqlite3', [db], { input: seedSql, encoding: 'utf8' });
if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);
const seedSeconds = (performance.now() - seedStarted) / 1000;
log(`seeded in ${seedSeconds.toFixed(1)} s`);

const env = childEnv();
// The two queries `task list --status pending` runs (src/store/sqlite-store.ts list()): the count, then the page's
// rowids and their rows.
const countSql = "SELECT COUNT(*) FROM tasks WHERE status = 'pending';";
const shellSql = `${countSql} SELECT * FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE status = 'pending' ORDER BY created_at DESC, rowid DESC LIMIT 20 OFFSET 0) ORDER BY created_at DESC, rowid DESC;`;
// The plain page query, which sorts whole rows: what the command ran before, and the first baseline.
const plainSql = `${countSql} SELECT * FROM tasks WHERE status = 'pending' ORDER BY created_at DESC, rowid DESC LIMIT 20 OFFSET 0;`;
const listArgs = ['task', 'list', '--status', 'pending', '--json', '--db', db];
const baselineRoot = args['baseline-root'];
const CASES = [
  { name: 'node_empty', cmd: process.execPath, argv: ['-e', '0'] },
  { name: 'sqlite3_shell', cmd: 'sqlite3', argv: [db, shellSql] },
  { name: 'sqlite3_shell_plain', cmd: 'sqlite3', argv: [db, plainSql] },
  { name: 'aics_task_list', cmd: process.execPath, argv: [join(root, 'bin/run.js'), ...listArgs] },
  ...(baselineRoot
    ? [{ name: 'aics_task_list_baseline', cmd: process.execPath, argv: [join(baselineRoot, 'bin/run.js'), ...listArgs] }]
    : []),
];

const times = Object.fromEntries(CASES.map((c) => [c.name, []]));
let checked = null;
const outputs = {};
for (let round = 0; round <= runs; round++) {
  for (const c of round % 2 ? [...CASES].reverse() : CASES) {
    const started = performance.now();
    const r = spawnSync(c.cmd, c.argv, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - started;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
    if (c.name === 'aics_task_list') checked ??= JSON.parse(r.stdout);
    if (c.name.startsWith('aics_task_list')) outputs[c.name] ??= r.stdout;
    if (round > 0) times[c.name].push(ms); // round 0 warms the page cache
  }
  log(`round ${round}/${runs}`);
}
const median = (name) => distribution(times[name]).p50;
disarm();
process.stdout.write(
  `${JSON.stringify({
    bench: 'task-list',
    ...machine(),
    tasks,
    pending: checked.total,
    page_items: checked.items.length,
    seed_s: Number(seedSeconds.toFixed(1)),
    runs,
    ms: Object.fromEntries(CASES.map((c) => [c.name, distribution(times[c.name])])),
    ratios: {
      aics_vs_sqlite3_shell: ratio(median('aics_task_list'), median('sqlite3_shell')),
      aics_minus_node_vs_sqlite3_shell: ratio(median('aics_task_list') - median('node_empty'), median('sqlite3_shell')),
      aics_vs_sqlite3_shell_plain: ratio(median('aics_task_list'), median('sqlite3_shell_plain')),
      ...(baselineRoot
        ? {
            aics_vs_baseline_build: ratio(median('aics_task_list'), median('aics_task_list_baseline')),
            baseline_build_vs_sqlite3_shell_plain: ratio(median('aics_task_list_baseline'), median('sqlite3_shell_plain')),
          }
        : {}),
    },
    ...(baselineRoot
      ? { baseline_root: baselineRoot, same_output_as_baseline: outputs.aics_task_list === outputs.aics_task_list_baseline }
      : {}),
    target: { ratio_max: 1.5 },
  })}\n`,
);
