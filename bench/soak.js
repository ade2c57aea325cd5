#!/usr/bin/env node
/**
 * bench/soak.js — does the daemon's memory stay flat? A real `aics serve` process (engine + agent with the rules
 * provider) receives a long stream of customer messages (default 1,000,000) from a lean 轻简 stand-in in this
 * process, which acks every send without keeping it. The daemon's RSS is sampled from /proc while it runs.
 *
 * Flat means: the RSS at the end is close to the RSS once warm (after the first tenth of the messages), and the
 * slope over the second half is near zero. The baseline is the same daemon's RSS when idle after start-up, measured
 * in the same run.
 *
 *   node bench/soak.js [--messages 1000000] [--customers 20000] [--window 256] [--quick] [--workers 0,1,2]
 *
 * --workers: one run per value, one after another in the same process: 0 = one daemon process (the default),
 * N = `serve --multi --workers N`. Each run reports messages (turns) per second and the p99 of a message's answer
 * (push → the first reply to that customer); `by_workers` holds every run and its ratios to the first one. RSS is the
 * sum over the daemon and its worker processes.
 *
 * Prints one JSON object on stdout; progress on stderr. Loopback only; bounded by a watchdog.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { treeRssMb } from './lib/daemon-turns.js';
import { distribution, log, machine, ratio, root, round3, sleep, until, watchdog, workDir } from './lib/common.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string' },
    customers: { type: 'string', default: '20000' },
    window: { type: 'string', default: '256' },
    quick: { type: 'boolean', default: false },
    workers: { type: 'string', default: '0' },
  },
});
const WORKERS = args.workers.split(',').map((w) => {
  const n = Number(w);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--workers: a list of whole numbers (0 = one process), not ${args.workers}`);
  return n;
});
const MESSAGES = Number(args.messages ?? (args.quick ? 20_000 : 1_000_000));
const CUSTOMERS = Number(args.customers);
const WINDOW = Number(args.window);
const ACC_ID = '1688000001';
const QUESTIONS = [
  '多少钱',
  '名片怎么收费',
  '多久能做好',
  '可以开发票吗',
  '地址在哪里',
  '有哪些材质',
  '加急要多久',
  '尺寸可以定制吗',
  '你好',
  '谢谢',
];

const disarm = watchdog('soak', Math.max(300_000, MESSAGES * 5) * WORKERS.length);

const rssMb = treeRssMb;

const runs = [];
for (const workers of WORKERS) runs.push(await soak(workers));
disarm();
const first = runs[0];
process.stdout.write(
  `${JSON.stringify({
    ...first,
    by_workers: runs.map((r) => ({
      workers: r.workers,
      messages_per_s: r.messages_per_s,
      answer_ms: r.answer_ms,
      rss_mb: r.rss_mb,
      ratios_to_first: {
        messages_per_s: ratio(r.messages_per_s, first.messages_per_s),
        answer_p99: ratio(r.answer_ms.p99, first.answer_ms.p99),
        peak_rss: ratio(r.rss_mb.peak, first.rss_mb.peak),
      },
    })),
  })}\n`,
);
process.exit(0);

async function soak(workers) {
  // ---- the 轻简 stand-in: pushes events within a window of un-acked ones, acks every command, keeps nothing ----
  const { dir } = workDir(`aics-soak-${workers}-`);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const port = wss.address().port;
  let socket = null;
  let pushed = 0;
  let acked = 0;
  let replies = 0;
  let seq = 0;
  // Push times of each customer's messages not yet answered: a reply answers the oldest.
  const unanswered = new Map();
  const answerMs = [];

  function pushSome() {
    while (socket && socket.readyState === 1 && pushed < MESSAGES && pushed - acked < WINDOW) {
      const n = pushed++;
      const customer = `soak_${n % CUSTOMERS}`;
      const times = unanswered.get(customer) ?? [];
      times.push(performance.now());
      unanswered.set(customer, times);
      socket.send(
        JSON.stringify({
          type: 'event',
          event: 'message',
          event_id: `e${n}`,
          ts: Date.now(),
          data: {
            msg_id: `m${n}`,
            acc_id: ACC_ID,
            from_id: customer,
            from_name: customer,
            chat_type: 'single',
            msg_type: 'text',
            content: QUESTIONS[n % QUESTIONS.length],
            is_self: false,
            send_time: Date.now(),
          },
        }),
      );
    }
  }

  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ type: 'event', event: 'ready', event_id: `ready${seq++}`, ts: Date.now(), data: { accounts: [ACC_ID] } }));
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.type === 'ack' && typeof frame.event_id === 'string' && frame.event_id.startsWith('e')) {
        acked++;
        pushSome();
      } else if (frame.type === 'cmd') {
        replies++;
        const at = unanswered.get(frame.data?.to_id)?.shift();
        if (at !== undefined) answerMs.push(performance.now() - at);
        ws.send(JSON.stringify({ type: 'ack', req_id: frame.req_id, ok: true, code: 0, msg: 'ok', data: { msg_id: `s${seq++}` } }));
      } else if (frame.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', ts: frame.ts }));
      }
    });
    pushSome();
  });

  // ---- the daemon: a real process, engine + agent (rules), answering at once ----
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/run.js'),
      'serve',
      '--port',
      '0',
      '--db',
      join(dir, 'tasks.db'),
      '--log-file',
      join(dir, 'aics.log'),
      '--qingjian-url',
      `ws://127.0.0.1:${port}`,
      ...(workers ? ['--multi', '--workers', String(workers)] : []),
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AICS_TZ: 'Asia/Shanghai',
        AICS_LOG_LEVEL: 'warn',
        AICS_AGENT_PROVIDER: 'rules',
        // Answer each message at once: the soak is about memory, not about burst merging or pacing.
        AICS_AGENT_QUIET_MS: '0',
        AICS_AGENT_MAX_WAIT_MS: '0',
        AICS_AGENT_SEND_GAP_MS: '0',
        AICS_SEND_RATE: '0',
        AICS_SEND_RATE_CUSTOMER: '0',
      },
    },
  );
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));

  if (!(await until(() => socket !== null, 30_000))) throw new Error('the daemon did not connect within 30 s');
  await sleep(2000);
  const idleRss = rssMb(child.pid);
  log(`workers ${workers}: daemon pid ${child.pid} connected; idle RSS ${idleRss} MB; pushing ${MESSAGES} messages …`);

  const samples = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const s = { t_s: round3((performance.now() - t0) / 1000), messages: acked, replies, rss_mb: rssMb(child.pid) };
    samples.push(s);
    if (samples.length % 15 === 0) log(`  ${s.t_s} s: ${s.messages} messages, ${s.replies} replies, RSS ${s.rss_mb} MB`);
  }, 2000);
  pushSome();
  await until(() => acked >= MESSAGES, Math.max(300_000, MESSAGES * 5), 200);
  await until(() => replies >= acked, 30_000, 200); // the last answers
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const endRss = rssMb(child.pid);
  child.kill('SIGTERM');
  const code = await exited;
  wss.close();

  const warm = samples.find((s) => s.messages >= MESSAGES / 10) ?? samples[0];
  const half = samples.filter((s) => s.messages >= MESSAGES / 2);
  // Least-squares slope of RSS over messages in the second half, per 100,000 messages.
  let slope = null;
  if (half.length >= 3) {
    const xs = half.map((s) => s.messages);
    const ys = half.map((s) => s.rss_mb);
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    slope = den ? round3((num / den) * 100_000) : null;
  }
  const peak = Math.max(...samples.map((s) => s.rss_mb ?? 0), endRss ?? 0);
  // Keep the printed series short: about 30 points.
  const every = Math.max(1, Math.ceil(samples.length / 30));
  return {
    bench: 'soak',
    workers,
    ...machine(),
    messages: MESSAGES,
    customers: CUSTOMERS,
    replies,
    seconds: round3(elapsed),
    messages_per_s: round3(acked / elapsed),
    answer_ms: distribution(answerMs),
    daemon_exit_code_after_sigterm: code,
    rss_mb: { idle_baseline: idleRss, warm: warm?.rss_mb ?? null, end: endRss, peak },
    rss_slope_mb_per_100k_messages_second_half: slope,
    ratios: { end_vs_warm: ratio(endRss, warm?.rss_mb ?? null), end_vs_idle: ratio(endRss, idleRss) },
    samples: samples.filter((_, i) => i % every === 0),
  };
}
