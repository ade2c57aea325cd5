#!/usr/bin/env node
/**
 * CLI start-up benchmark: how long `aics` takes to answer, from spawning `node bin/run.js` to its exit, against two
 * baselines measured in the same run, interleaved with it (one round = each case once, in turn, so that the load
 * of a shared machine falls on all of them alike):
 *
 *   node -e 0                          Node starting and exiting: nothing any CLI in Node can go below
 *   node -e "import('@oclif/core')"    Node plus loading oclif: what an oclif CLI pays before its first command
 *
 *   aics --version                     answered by bin/run.js before oclif loads
 *   aics --help                        oclif and the manifest, no command imported
 *   aics task list --db FILE           one command: oclif, the store, better-sqlite3; 1,000 tasks in the database
 *   aics status --db FILE              nobody running: exit 3 without asking anything over HTTP
 *
 * Reports each case's median (and min, p90, max) in ms over --runs rounds after one warm-up round, its ratio to both
 * baselines, and its peak RSS (from a separate run: process.resourceUsage().maxRSS at exit). Needs `npm run build`.
 * Prints ONE JSON object on stdout; progress goes to stderr.
 *
 *   node bench/cli-start.js [--runs 15] [--quick] [--baseline-root DIR]
 *
 * --quick: 5 rounds unless --runs is given. --baseline-root DIR: the four commands of another checkout too
 * (DIR/bin/run.js, built; e.g. /work/main), in the same rounds, and each command's ratio to it (vs_baseline_build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_ENV, childEnv, dist, distribution, log, machine, ratio, root, round3, seedTasks, watchdog, workDir } from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'baseline-root': { type: 'string' },
  },
});
const runs = Number(args.runs ?? (args.quick ? 5 : 15));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number of rounds, got ${args.runs}`);
/** issue 15: `aics --version` in at most 0.25 s on this machine. */
const TARGET_VERSION_MS = 250;

const disarm = watchdog('cli-start', 10 * 60_000);
const { dir } = workDir('aics-bench-cli-');
const db = join(dir, 'tasks.db');
const bin = join(root, 'bin', 'run.js');

/** The environment of a user with no aics settings. */
const env = childEnv();

const CASES = [
  { name: 'node_empty', baseline: true, argv: ['-e', '0'], exit: 0 },
  { name: 'oclif_import', baseline: true, argv: ['-e', "import('@oclif/core')"], exit: 0 },
  { name: 'version', command: 'aics --version', argv: [bin, '--version'], exit: 0 },
  { name: 'help', command: 'aics --help', argv: [bin, '--help'], exit: 0 },
  { name: 'task_list', command: 'aics task list --db FILE', argv: [bin, 'task', 'list', '--db', db], exit: 0 },
  { name: 'status', command: 'aics status --db FILE (no daemon)', argv: [bin, 'status', '--db', db], exit: 3 },
];
const baselineRoot = args['baseline-root'];
if (baselineRoot) {
  const otherBin = join(baselineRoot, 'bin', 'run.js');
  for (const c of CASES.filter((x) => x.command)) {
    CASES.push({
      ...c,
      name: `${c.name}_baseline`,
      command: `${c.command} (${baselineRoot})`,
      argv: [otherBin, ...c.argv.slice(1)],
      other: true,
    });
  }
}

/** One spawn, timed from before spawning to after the exit; a wrong exit code fails the benchmark. */
function once(c, extraNodeArgs = []) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...extraNodeArgs, ...c.argv], { cwd: c.baseline ? root : dir, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== c.exit)
    throw new Error(`${c.command ?? c.name}: exit ${r.status} (expected ${c.exit}): ${r.stderr.trim().slice(0, 300)}`);
  return { ms, stderr: r.stderr };
}

/** Peak RSS of one run, in MB: the child reports process.resourceUsage().maxRSS (KiB) as it exits. */
const RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write(`\\naics-bench-maxrss=${process.resourceUsage().maxRSS}\\n`))';
function peakRss(c) {
  const { stderr } = once(c, ['--import', RSS_HOOK]);
  const m = /aics-bench-maxrss=(\d+)/.exec(stderr);
  return m ? round3(Number(m[1]) / 1024) : null;
}

async function main() {
  if (!existsSync(join(root, 'dist', 'commands'))) throw new Error('dist/ is missing: run "npm run build" first');
  const manifest = existsSync(join(root, 'oclif.manifest.json'));
  if (!manifest) log('warning: oclif.manifest.json is missing (npm run build writes it): oclif imports every command to find one');

  // A database of 1,000 tasks, written through the store library as the daemon would.
  const { openStore } = await dist('store/index.js');
  const store = await openStore(db, { timeZone: BENCH_ENV.TZ });
  const payloads = Array.from({ length: 1000 }, (_, i) => ({
    task_id: `CLI_${String(i).padStart(6, '0')}`,
    type: 'send_file_after_reply',
    customer: { id: `customer_${i}`, name: `客户${i}` },
    trigger: {
      type: 'specified_customer_reply',
      customer_id: `customer_${i}`,
      customer_name: `客户${i}`,
      keyword: '好的',
      exact_match: false,
    },
    action: { type: 'send_message', message: '这是您要的文件' },
    priority: 'normal',
    timeout_hours: 24,
    created_by: 'bench',
  }));
  const seeded = await seedTasks(store, payloads);
  store.close();

  log(`cli-start: ${runs} rounds of ${CASES.length} cases after one warm-up round`);
  const times = Object.fromEntries(CASES.map((c) => [c.name, []]));
  for (let round = 0; round <= runs; round++) {
    // Rotate the order each round, so that no case always follows the same one.
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[(i + round) % CASES.length];
      const { ms } = once(c);
      if (round > 0) times[c.name].push(ms);
    }
  }
  const rss = Object.fromEntries(CASES.map((c) => [c.name, peakRss(c)]));

  const stat = (name) => ({ ...pick(distribution(times[name]), times[name]), peak_rss_mb: rss[name] });
  const baseline = { node_empty: stat('node_empty'), oclif_import: stat('oclif_import') };
  const commands = {};
  for (const c of CASES.filter((x) => !x.baseline)) {
    const s = stat(c.name);
    commands[c.name] = {
      command: c.command,
      ...s,
      ratio_to_node: ratio(s.median_ms, baseline.node_empty.median_ms),
      ratio_to_oclif_import: ratio(s.median_ms, baseline.oclif_import.median_ms),
      beyond_node_ms: round3(s.median_ms - baseline.node_empty.median_ms),
      ...(baselineRoot && !c.other ? { vs_baseline_build: ratio(s.median_ms, stat(`${c.name}_baseline`).median_ms) } : {}),
    };
  }
  const out = {
    bench: 'cli-start',
    machine: machine(),
    runs,
    manifest,
    database_tasks: seeded.received,
    baseline,
    commands,
    target: {
      version_median_ms_max: TARGET_VERSION_MS,
      version_median_ms: commands.version.median_ms,
      met: commands.version.median_ms <= TARGET_VERSION_MS,
    },
  };
  disarm();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** The distribution in ms, named for this benchmark. */
function pick(d, values) {
  return { n: d.n, median_ms: d.p50, min_ms: round3(Math.min(...values)), p90_ms: d.p90, max_ms: d.max, mean_ms: d.mean };
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ bench: 'cli-start', error: error.message })}\n`);
  process.exitCode = 1;
});
