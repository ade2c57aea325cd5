/**
 * Turns through a real `aics serve` process, one process (workers 0) or `serve --multi --workers N`: a lean 轻简
 * stand-in in this process pushes one message from each of `customers` customers at once and acks every send; a
 * turn's latency is from its push to the first reply to that customer. Used by bench/conversations.js --workers.
 * RSS is the daemon's plus its worker processes', sampled from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { childEnv, distribution, round3, root, until, workDir } from './common.js';

const ACC_ID = '1688000001';

function ownRssMb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The RSS of a process and its children (serve --multi's workers), in MB; null once it is gone. */
export function treeRssMb(pid) {
  const own = ownRssMb(pid);
  if (own === null) return null;
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no children file (a kernel without CONFIG_PROC_CHILDREN): the daemon alone
  }
  return round3(own + children.reduce((sum, c) => sum + (ownRssMb(c) ?? 0), 0));
}

/** One run: { workers, customers, replies, lost, duplicated, turns_per_s, latency_ms, peak_rss_mb }. */
export async function daemonTurns({ workers, customers, env, content = '名片多少钱？', limitMs = 300_000 }) {
  const { dir, cleanup } = workDir(`aics-turns-${workers}-`);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let socket = null;
  const pushedAt = new Map();
  const replies = new Map();
  const latencies = [];
  let seq = 0;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ type: 'event', event: 'ready', event_id: `ready${seq++}`, ts: Date.now(), data: { accounts: [ACC_ID] } }));
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.type === 'cmd') {
        const to = frame.data?.to_id;
        const n = (replies.get(to) ?? 0) + 1;
        replies.set(to, n);
        if (n === 1 && pushedAt.has(to)) latencies.push(performance.now() - pushedAt.get(to));
        ws.send(JSON.stringify({ type: 'ack', req_id: frame.req_id, ok: true, code: 0, msg: 'ok', data: { msg_id: `s${seq++}` } }));
      } else if (frame.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', ts: frame.ts }));
      }
    });
  });
  const args = ['serve', '--port', '0', '--db', join(dir, 'tasks.db'), '--log-file', join(dir, 'aics.log')];
  args.push('--qingjian-url', `ws://127.0.0.1:${wss.address().port}`);
  if (workers) args.push('--multi', '--workers', String(workers));
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...childEnv(), AICS_LOG_LEVEL: 'warn', ...env },
  });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    if (!(await until(() => socket !== null, 60_000))) throw new Error(`workers ${workers}: the daemon did not connect within 60 s`);
    await new Promise((r) => setTimeout(r, 1000));
    let peak = treeRssMb(child.pid) ?? 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRssMb(child.pid) ?? 0)), 100);
    const t0 = performance.now();
    for (let i = 0; i < customers; i++) {
      const from = `turn_${i}`;
      pushedAt.set(from, performance.now());
      socket.send(
        JSON.stringify({
          type: 'event',
          event: 'message',
          event_id: `e${i}`,
          ts: Date.now(),
          data: {
            msg_id: `m${i}`,
            acc_id: ACC_ID,
            from_id: from,
            from_name: from,
            chat_type: 'single',
            msg_type: 'text',
            content,
            is_self: false,
            send_time: Date.now(),
          },
        }),
      );
    }
    await until(() => latencies.length >= customers, limitMs, 50);
    const wallS = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500)); // late duplicates would show here
    clearInterval(sampler);
    return {
      workers,
      customers,
      replies: latencies.length,
      lost: customers - latencies.length,
      duplicated: [...replies.values()].filter((n) => n > 1).length,
      turns_per_s: round3(latencies.length / wallS),
      latency_ms: distribution(latencies),
      peak_rss_mb: round3(peak),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
    wss.close();
    cleanup();
  }
}
