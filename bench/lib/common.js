/**
 * Helpers shared by the benchmarks (this folder is not a benchmark: run-all.js runs bench/*.js only).
 * Plain Node ESM; the benchmarks import the built code from dist/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Imports a module of the build (dist/…), with a clear message when `npm run build` was not run. AICS_BENCH_DIST
 * names another build's dist/ folder (e.g. main's, copied under bench/out/): before/after in the same conditions.
 */
export async function dist(path) {
  try {
    return await import(join(process.env.AICS_BENCH_DIST ?? join(root, 'dist'), path));
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') throw new Error(`dist/${path} is missing: run "npm run build" first`);
    throw error;
  }
}

export function log(text) {
  process.stderr.write(`${text}\n`);
}

/** Nearest-rank percentile of an ascending array (ms, rounded to µs). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round3(sorted[i]);
}

export function round3(x) {
  return Math.round(x * 1000) / 1000;
}

/** { n, p50, p90, p99, max, mean } of a list of milliseconds. */
export function distribution(values) {
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? round3(sorted[sorted.length - 1]) : null,
    mean: sorted.length ? round3(sum / sorted.length) : null,
  };
}

/** a / b to three places; null when either is missing. */
export function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return null;
  return Number((a / b).toFixed(3));
}

export function machine() {
  return {
    node: process.version,
    cpus: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? null,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** A temp folder removed on exit, even on a watchdog abort. */
export function workDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  return { dir, cleanup };
}

/**
 * Bounds the whole run: after `ms`, prints a JSON error object and exits 1 (the exit handler removes temp files).
 * Returns a function that disarms it.
 */
export function watchdog(bench, ms) {
  const timer = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ bench, error: `gave up after ${Math.round(ms / 1000)} s (watchdog)` })}\n`);
    process.exit(1);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until fn() is truthy, polling every `everyMs`; false after `timeoutMs`. */
export async function until(fn, timeoutMs, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

/**
 * Seeds tasks through the store library (store.tasks.receive, exactly the rows the daemon writes), `batch` receives
 * per outer transaction (each receive is a savepoint inside it), then arms them. Returns the seconds each took.
 */
export async function seedTasks(store, payloads, { batch = 5000, actor = 'bench-seed' } = {}) {
  const t0 = performance.now();
  for (let i = 0; i < payloads.length; i += batch) {
    // Received together, so the store commits each slice in one transaction (its group commit), as the daemon does
    // with a burst of POSTs.
    const results = await Promise.all(payloads.slice(i, i + batch).map((p) => store.tasks.receive(p, actor)));
    for (const r of results) if (!r.created) throw new Error(`seed: task ${r.task.task_id} already existed`);
  }
  const t1 = performance.now();
  const armed = await store.tasks.arm(actor);
  const t2 = performance.now();
  return { received: payloads.length, armed: armed.length, receive_s: round3((t1 - t0) / 1000), arm_s: round3((t2 - t1) / 1000) };
}

/**
 * Environment for resolveSettings: nothing from the machine's AICS_/AI_CS_/TIANWANG_ variables, and the polite
 * sender off (AICS_SEND_RATE=0): the benchmarks measure the engine, not the configured pace.
 */
export const BENCH_ENV = { TZ: 'Asia/Shanghai', AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0' };

/**
 * The environment of a child `aics`: this machine's variables without any aics setting (AICS_, AI_CS_, TIANWANG_,
 * HTTP_API_PORT) or development switch (NODE_ENV, DEBUG), plus BENCH_ENV and no colours.
 */
export function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AICS_|AI_CS_|TIANWANG_|HTTP_API_PORT$|NODE_ENV$|DEBUG$)/.test(k)) env[k] = v;
  return { ...env, ...BENCH_ENV, NO_COLOR: '1' };
}

/**
 * A real daemon in-process in the default (bridge) mode, connected to `sim` (a QingjianSimulator), on `db`,
 * without the agent: the engine alone (bench/conversations.js measures the agent). Resolves once connected.
 */
export async function startEngineDaemon(sim, db, dir) {
  const { resolveSettings } = await dist('config.js');
  const { Daemon } = await dist('daemon/daemon.js');
  const settings = resolveSettings(
    { db, port: 0, qingjianUrl: sim.url, logFile: join(dir, 'logs/aics.log'), host: '127.0.0.1' },
    BENCH_ENV,
    dir,
  );
  const daemon = new Daemon({ settings, mode: 'bridge', agent: false });
  await daemon.start();
  await sim.waitForClient(10_000);
  return daemon;
}
