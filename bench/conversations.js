#!/usr/bin/env node
/**
 * Conversations benchmark: N customers write at once to the agent of ONE process, with the openai provider against
 * a fake OpenAI-compatible server that answers every request after 200 ms (a child process, so its work is not
 * counted against the agent).
 *
 *   (a) agent: the agent as the daemon builds it (dist/daemon/agent: conversation manager, openai provider through
 *       the `openai` package, the real SQLite store on a temp file, chat log, pacing off), fed each customer's
 *       message the way the bridge handler does (accept()), replies collected by an in-process sender. Per
 *       customer: the time from accept() to its reply. Overhead = that time minus the fake LLM's latency.
 *   (b) baseline: the same fake LLM called directly (undici, one request per customer, the same concurrency) —
 *       what any client pays for 200 ms answers at this concurrency on this machine. It runs first, in a child
 *       process of its own, so its memory does not count in the agent's peak RSS.
 *
 * Burst merging is set to 0 ms (a quiet window would only add a constant); the polite sender is off. Counts:
 * replies received, lost (customers without one), duplicated (customers with more than one), warnings (an LLM
 * request that failed or timed out: that customer got the rules' answer). Memory: peak RSS of this process during
 * the burst, the RSS before it, and the heap each customer still costs once answered and idle. CPU time per
 * customer on both sides (what a loaded machine's load average does not blur). ratio_p50 / ratio_p99: agent over
 * baseline, the issue's target is p99 ≤ 1.5 ×, peak RSS ≤ 300 MB at 10,000 customers.
 * Needs `npm run build` first. Prints ONE JSON object on stdout; progress goes to stderr.
 *
 *   node bench/conversations.js [--customers 10000] [--latency 200] [--pool 256] [--quick] [--dist DIR] [--workers 0,1,2]
 *   (--quick: 1000 customers; --workers: the same customers again through a real `aics serve` per worker count,
 *   0 = one process, N = serve --multi --workers N: turns per second, p99, RSS, ratios to the first, in `by_workers`)
 *
 * --dist: measure another build (e.g. main, built elsewhere) the same way: before/after in the same conditions.
 *
 * --pool: connections to the LLM endpoint on both sides (10,000 sockets at once overflow loopback's listen backlog);
 *         the agent's is its setting AICS_LLM_CONNECTIONS (llmConnections).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request, setGlobalDispatcher } from 'undici';
import { daemonTurns } from './lib/daemon-turns.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    customers: { type: 'string' },
    latency: { type: 'string', default: '200' },
    quick: { type: 'boolean', default: false },
    pool: { type: 'string', default: '256' },
    'fake-llm': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    // Another build's dist/ (a checkout of main, built): its figures in the same conditions, before/after.
    dist: { type: 'string' },
    // The same customers through a real `aics serve`: 0 = one process, N = serve --multi --workers N (e.g. 0,1,2).
    workers: { type: 'string' },
  },
});
const LATENCY = Number(args.latency);
// Connections to the LLM endpoint, for both sides: 10,000 sockets at once overflow the listen backlog on loopback.
const POOL = Number(args.pool);

if (args['fake-llm']) {
  // The fake LLM: every chat completion answered after LATENCY ms with a short text.
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const body = JSON.stringify({
          id: `chatcmpl-${++n}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: 'fake',
          choices: [{ index: 0, message: { role: 'assistant', content: `您好，名片 500张 45元起。(${n})` }, finish_reason: 'stop' }],
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, LATENCY);
    });
  });
  server.maxConnections = 30_000;
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (args.baseline) {
  await baseline(args.baseline, Number(args.customers));
} else {
  await main();
}

/** The baseline side (a child process): every customer's request straight to the fake LLM, all at once. */
async function baseline(llmUrl, customers) {
  let peak = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const direct = new Agent({ connections: POOL, keepAliveTimeout: 60_000 });
  const latencies = await Promise.all(
    Array.from({ length: customers }, async (_, i) => {
      const t0 = performance.now();
      const res = await request(`${llmUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: direct,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: `名片多少钱 ${i}` }] }),
      });
      await res.body.json();
      return performance.now() - t0;
    }),
  );
  await direct.close();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ latencies, peak_rss: peak, cpu_ms: (cpu.user + cpu.system) / 1000 })}\n`);
}

function runBaseline(llmUrl, customers) {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--baseline',
      llmUrl,
      '--customers',
      String(customers),
      '--pool',
      String(POOL),
      '--latency',
      String(LATENCY),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`baseline exited ${code} without its JSON`));
      }
    });
  });
}

/** A full collection, so heap figures count what is kept, not garbage not yet collected. */
function gc() {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
}

async function main() {
  const customers = Number(args.customers ?? (args.quick ? 1000 : 10_000));
  const log = (m) => process.stderr.write(`${m}\n`);
  // --dist or AICS_BENCH_DIST (as the other benchmarks): another build, e.g. main's, measured the same way.
  const dist = args.dist ?? process.env.AICS_BENCH_DIST ?? join(root, 'dist');
  const { resolveSettings } = await import(join(dist, 'config.js'));
  const { openStore } = await import(join(dist, 'store/index.js'));
  const { buildAgent } = await import(join(dist, 'daemon/agent/index.js'));

  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--fake-llm', '--latency', String(LATENCY)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const llmUrl = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      const m = /listening on (\S+)/.exec(d);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`fake LLM exited ${code}`)));
  });
  const dir = mkdtempSync(join(tmpdir(), 'aics-bench-conv-'));
  let peakRss = 0;
  let sampler = null;
  try {
    // (b) baseline first, in a child process of its own: its sockets, buffers and garbage must not count in the
    // agent's peak RSS (on main both ran in this process, so the agent's figure carried the baseline's).
    log(`baseline: ${customers} direct requests to the fake LLM (${LATENCY} ms), in a child process`);
    const base = await runBaseline(llmUrl, customers);
    const baseLat = base.latencies;
    const baselineRss = base.peak_rss;

    // (a) the agent
    log(`agent: ${customers} customers at once, one message each`);
    const settings = resolveSettings(
      {
        db: join(dir, 'bench.db'),
        logFile: join(dir, 'aics.log'),
        llmBaseUrl: `${llmUrl}/v1`,
        llmModel: 'fake',
        agent: { quietMs: 0, maxWaitMs: 0, sendGapMs: 0, llmTimeoutMs: 60_000, memoryTurns: 10, llmConnections: POOL },
      },
      { TZ: 'UTC', AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0' },
      dir,
    );
    const store = await openStore(settings.db);
    const sentAt = new Map();
    const replies = new Map();
    const latencies = [];
    const sender = {
      async sendText(cmd) {
        const n = (replies.get(cmd.to_id) ?? 0) + 1;
        replies.set(cmd.to_id, n);
        if (n === 1) latencies.push(performance.now() - sentAt.get(cmd.to_id));
        return { msg_id: `r-${cmd.to_id}` };
      },
      async sendFile() {
        return {};
      },
    };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    let warnings = 0;
    const logger = { ...silent, warn: () => warnings++, error: () => warnings++ };
    // The agent's pool is AICS_LLM_CONNECTIONS (llmConnections above); before it had one, the openai package used the
    // global fetch: give that the same pool too, so an older build measures the same way.
    setGlobalDispatcher(new Agent({ connections: POOL, keepAliveTimeout: 60_000 }));
    const agent = buildAgent({ settings, store, sender, logger });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    let atPeak = process.memoryUsage();
    sampler = setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss > peakRss) [peakRss, atPeak] = [m.rss, m];
    }, 20);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: customers }, (_, i) => {
        const from_id = `bench_${i}`;
        sentAt.set(from_id, performance.now());
        return agent.conversations.accept(
          { acc_id: '1688000001', from_id, content: '名片多少钱？', msg_id: `m-${i}`, msg_type: 'text' },
          { duplicate: false, fired: [] },
        );
      }),
    );
    const acceptedMs = performance.now() - t0;
    const deadline = Date.now() + Math.max(120_000, customers * 60); // a loaded machine is slow, not broken
    while (latencies.length < customers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // late duplicates would show here
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // What every customer, answered and now idle, still costs in memory: conversations held, heap grown.
    const heldIdle = agent.conversations.active;
    gc();
    const heapPerIdle = (process.memoryUsage().heapUsed - heapBefore) / customers;
    await agent.conversations.stop();
    const chatRows = (await store.agent.log('bench_0')).length;
    store.close();

    const received = [...replies.values()].filter((n) => n >= 1).length;
    const duplicated = [...replies.values()].filter((n) => n > 1).length;
    const out = {
      bench: 'conversations',
      customers,
      llm_latency_ms: LATENCY,
      llm_connections: POOL,
      node: process.version,
      build: dist,
      cpus: cpus().length,
      agent: {
        replies_received: received,
        lost: customers - received,
        duplicated,
        warnings,
        accept_all_ms: Math.round(acceptedMs),
        wall_ms: Math.round(wallMs),
        latency_ms: summary(latencies),
        overhead_p50_ms: round(pct(latencies, 50) - LATENCY),
        overhead_p99_ms: round(pct(latencies, 99) - LATENCY),
        peak_rss_mb: round(peakRss / 2 ** 20),
        // The process with the agent built (modules, FAQ index, jieba's dictionary), before the first customer.
        rss_before_burst_mb: round(rssBefore / 2 ** 20),
        // Where the peak was: the JS heap (used / reserved) and memory outside it (sockets' buffers, SQLite, WASM).
        at_peak_mb: {
          heap_used: round(atPeak.heapUsed / 2 ** 20),
          heap_total: round(atPeak.heapTotal / 2 ** 20),
          external: round(atPeak.external / 2 ** 20),
        },
        // CPU time of this process per customer (user + system): what the load average cannot blur.
        cpu_ms_per_customer: round2((cpu.user + cpu.system) / 1000 / customers),
        idle_conversations_held: heldIdle,
        heap_per_idle_customer_bytes: Math.round(heapPerIdle),
        chat_log_rows_per_customer: chatRows,
      },
      baseline_direct_llm: {
        latency_ms: summary(baseLat),
        overhead_p50_ms: round(pct(baseLat, 50) - LATENCY),
        overhead_p99_ms: round(pct(baseLat, 99) - LATENCY),
        peak_rss_mb: round(baselineRss / 2 ** 20),
        cpu_ms_per_customer: round2(base.cpu_ms / customers),
      },
      agent_p99_overhead_beyond_baseline_ms: round(pct(latencies, 99) - pct(baseLat, 99)),
      // The issue's targets: p99 ≤ 1.5 × the baseline's, peak RSS ≤ 300 MB (10,000 customers).
      ratio_p50: round2(pct(latencies, 50) / pct(baseLat, 50)),
      ratio_p99: round2(pct(latencies, 99) / pct(baseLat, 99)),
      send_rate_limits: 'off (AICS_SEND_RATE=0, AICS_SEND_RATE_CUSTOMER=0)',
    };
    if (args.workers) out.by_workers = await throughDaemons(args.workers, customers, llmUrl, log);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    if (sampler) clearInterval(sampler);
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** --workers 0,1,2: the customers through a real daemon per worker count, one run after another; ratios to the first. */
async function throughDaemons(list, customers, llmUrl, log) {
  const env = {
    TZ: 'UTC',
    AICS_AGENT_PROVIDER: 'openai',
    AICS_LLM_BASE_URL: `${llmUrl}/v1`,
    AICS_LLM_MODEL: 'fake',
    AICS_LLM_CONNECTIONS: String(POOL),
    AICS_AGENT_QUIET_MS: '0',
    AICS_AGENT_MAX_WAIT_MS: '0',
    AICS_AGENT_SEND_GAP_MS: '0',
  };
  const runs = [];
  for (const workers of list.split(',').map(Number)) {
    log(`daemon, workers ${workers}: ${customers} customers at once through aics serve${workers ? ` --multi --workers ${workers}` : ''}`);
    runs.push(await daemonTurns({ workers, customers, env }));
  }
  const first = runs[0];
  return runs.map((r) => ({
    ...r,
    ratios_to_first: {
      turns_per_s: round2(r.turns_per_s / first.turns_per_s),
      p99: round2(r.latency_ms.p99 / first.latency_ms.p99),
      peak_rss: round2(r.peak_rss_mb / first.peak_rss_mb),
    },
  }));
}

function pct(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
function round2(n) {
  return Math.round(n * 100) / 100;
}
function round(n) {
  return Math.round(n * 10) / 10;
}
function summary(values) {
  return { p50: round(pct(values, 50)), p90: round(pct(values, 90)), p99: round(pct(values, 99)), max: round(Math.max(...values)) };
}
