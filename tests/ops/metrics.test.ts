/**
 * GET /metrics on the real binary (`aics serve` with a token, the 轻简 simulator, a callback sink): the Prometheus
 * text parses, the counters move when a task fires, and promtool (Debian's `prometheus`) accepts it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { SEED, call, until } from '../support/daemon.js';
import { tempDir } from '../support/fixtures.js';
import { startHttpSink } from '../support/http-sink.js';
import { startServe } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-metrics-');
afterAll(cleanup);
const TOKEN = 'metrics-test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** `name{a="b",…} value` lines → a map from `name{a="b",…}` (labels as written) to the value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

it('exports tasks, fires, sends, the bridge, the outbox and the process; counters move; token required', async () => {
  const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 0 });
  const sink = await startHttpSink();
  const env = { TIANWANG_CALLBACK_URL: sink.url, AICS_QINGJIAN_URL: sim.url, AICS_API_TOKEN: TOKEN };
  const daemon = await startServe(['--port', '0', '--no-agent', '--db', join(dir, 'tasks.db'), '--log-file', join(dir, 'aics.log')], {
    cwd: dir,
    env,
  });
  try {
    await sim.waitForClient(15_000);
    const scrape = async () => {
      const res = await call(daemon.url, 'GET', '/metrics', undefined, auth);
      expect(res.status, res.text).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return { text: res.text, samples: parse(res.text) };
    };
    expect((await call(daemon.url, 'GET', '/metrics')).status).toBe(401);

    const before = (await scrape()).samples;
    expect(before.get('aics_task_fires_total{source="message"}') ?? 0).toBe(0);
    expect(before.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(before.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(before.get('aics_paused')).toBe(0);

    const res = await call(daemon.url, 'POST', '/api/task/receive', SEED.receive, auth);
    expect(res.status, res.text).toBe(200);
    await until(
      async () => (await scrape()).samples.get('aics_tasks{status="waiting",trigger_type="specified_customer_reply"}') === 1,
      15_000,
      'the task armed',
    );
    sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
    await sim.nextCommands(1, 15_000);
    await sink.waitFor(1, 15_000);

    const { text, samples } = await until(
      async () => {
        const s = await scrape();
        // The sink has the callback before the daemon records it delivered (the next group commit): wait for both.
        const done = s.samples.get('aics_task_outcomes_total{outcome="completed"}') === 1 && s.samples.get('aics_outbox_backlog') === 0;
        return done ? s : null;
      },
      15_000,
      'the completion counted and the callback recorded delivered',
    );
    expect(samples.get('aics_task_fires_total{source="message"}')).toBe(1);
    expect(samples.get('aics_tasks_received_total')).toBe(1);
    expect(samples.get('aics_tasks{status="completed",trigger_type="specified_customer_reply"}')).toBe(1);
    expect(samples.get('aics_send_duration_seconds_count{kind="text",outcome="ok"}')).toBe(1);
    expect(samples.get('aics_message_to_send_seconds_count')).toBe(1);
    expect(samples.get('aics_bridge_connected')).toBe(1);
    expect(samples.get('aics_bridge_messages_total')).toBe(1);
    expect(samples.get('aics_bridge_accounts_online')).toBe(1);
    expect(samples.get('aics_outbox_backlog')).toBe(0);
    expect(samples.get('aics_outbox_oldest_age_seconds')).toBe(0);
    expect(samples.has('aics_handoffs_total')).toBe(true);
    expect(samples.has('aics_dispatches_total') || text.includes('# TYPE aics_dispatches_total counter')).toBe(true);

    if (!hasPromtool) {
      console.warn('promtool not found (Debian package "prometheus"): skipping "promtool check metrics"');
      return;
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exit;
    await sim.stop();
    await sink.close();
  }
}, 120_000);
