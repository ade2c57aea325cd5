/**
 * Slow and hostile peers (issue #17 points 1, 2, 4, 7): callbacks for non-ASCII ids reach the receiver, a receiver
 * that dribbles its answer neither holds a delivery past its deadline nor holds up other receivers, an endless
 * answer body is not read whole, and handoff notices to the daemon's own sink carry the token. All through real
 * sockets: a real daemon or the real outbox sender on a real SQLite file, receivers on 127.0.0.1.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxSender } from '../../src/daemon/outbox/outbox-sender.js';
import { silentLogger } from '../../src/daemon/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { call, startDaemon, task, until } from '../support/daemon.js';
import { fileTempDir } from '../support/fixtures.js';
import { startHttpSink } from '../support/http-sink.js';
import { startServe } from '../support/spawn.js';
import { startDesk } from '../support/desk.js';
import { startDribblingPeer, startFloodingPeer } from '../support/slow-peer.js';

const dir = fileTempDir();
let n = 0;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sender(store: Store, urls: ConstructorParameters<typeof OutboxSender>[0]['urls'], timeoutMs = 400) {
  const s = new OutboxSender({
    store,
    logger: silentLogger,
    clock: Date.now,
    urls,
    pollMs: 50,
    timeoutMs,
    backoff: { baseMs: 50, maxMs: 200, jitter: 0 },
  });
  cleanups.push(() => s.stop());
  return s;
}

function store(): Store {
  const s = openSqliteStore(join(dir, `peers-${++n}.db`));
  cleanups.push(() => s.close());
  return s;
}

describe('ids that are not ASCII', () => {
  it('a Chinese or emoji task id gets its callback, the header percent-encoded and the body exact', async () => {
    const sink = await startHttpSink();
    cleanups.push(() => sink.close());
    const d = await startDaemon({ callbackUrl: sink.url });
    cleanups.push(() => d.stop());
    const ids = ['任务_中文_1', 'emoji_😀', 'pct%41_x'];
    for (const id of ids) {
      expect((await call(d.url, 'POST', '/api/task/receive', task(id))).status).toBe(200);
      expect((await call(d.url, 'POST', '/api/task/cancel', { task_id: id })).status).toBe(200);
    }
    const got = await sink.waitFor(3, 15_000);
    for (const r of got) {
      const body = r.body as { event_id: string; task_id: string };
      expect(decodeURIComponent(String(r.headers['x-aics-event-id']))).toBe(body.event_id);
    }
    expect(got.map((r) => (r.body as { task_id: string }).task_id).sort()).toEqual([...ids].sort());
  });

  it('refuses at receive an id with a control, bidi or zero-width character, naming the field', async () => {
    const d = await startDaemon();
    cleanups.push(() => d.stop());
    for (const id of ['bad\u007fid', 'bad\u0085id', 'abc\u202Eexe', 'zero\u200Bwidth', 'b\uFEFFom']) {
      const res = await call(d.url, 'POST', '/api/task/receive', task(id));
      expect(res.status, JSON.stringify(id)).toBe(400);
      expect(res.body.message).toMatch(/task_id: must not contain/);
    }
    for (const id of ['bad\u007fid', 'cust\u200B']) {
      const res = await call(d.url, 'POST', '/api/task/receive', task('T_CUST', { customer: { id } }));
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/customer\.id: must not contain/);
    }
  });

  it('a handoff whose customer id holds a control character is delivered', async () => {
    const s = store();
    const sink = await startHttpSink();
    cleanups.push(() => sink.close());
    const eventId = 'handoff:acc_1:wx\u0007\u4e2d:1';
    await s.outbox.enqueue('handoff', eventId, null, { event: 'handoff', event_id: eventId });
    sender(s, { handoff: sink.url }).start();
    const [got] = await sink.waitFor(1);
    expect(decodeURIComponent(String(got!.headers['x-aics-event-id']))).toBe(eventId);
    await expect.poll(async () => (await s.outbox.backlog()).count).toBe(0);
  });
});

describe('a receiver that dribbles its answer', () => {
  it('each delivery ends at its total deadline, and other receivers are served meanwhile', async () => {
    const slow = await startDribblingPeer(100);
    const fast = await startHttpSink();
    cleanups.push(
      () => slow.close(),
      () => fast.close(),
    );
    const s = store();
    for (let i = 0; i < 20; i++) await s.outbox.enqueue('callback', `S${i}:completed:1`, `S${i}`, { task_id: `S${i}` });
    for (let i = 0; i < 5; i++) await s.outbox.enqueue('handoff', `H${i}`, null, { event: 'handoff', i });
    const started = Date.now();
    sender(s, { callback: slow.url, handoff: fast.url }, 400).start();
    await fast.waitFor(5, 5000);
    // The fast receiver did not wait for the slow one's deliveries to end.
    expect(Date.now() - started).toBeLessThan(3000);
    // The slow receiver's deliveries end at the deadline although a byte keeps arriving, and are retried.
    const failed = await until(
      async () => {
        const items = await s.outbox.list('S0');
        return items[0]!.attempts >= 2 ? items[0] : null;
      },
      10_000,
      'a second attempt at the slow receiver',
    );
    expect(failed.last_error).toMatch(/no complete answer within 400 ms/);
    expect(slow.closed).toBeGreaterThan(0);
  });

  it('stop() returns at once although a delivery is in flight, and the item stays queued', async () => {
    const slow = await startDribblingPeer(100);
    cleanups.push(() => slow.close());
    const s = store();
    await s.outbox.enqueue('callback', 'K:completed:1', 'K', { task_id: 'K' });
    const o = new OutboxSender({
      store: s,
      logger: silentLogger,
      clock: Date.now,
      urls: { callback: slow.url },
      pollMs: 50,
      timeoutMs: 60_000,
    });
    o.start();
    await until(() => slow.requests > 0, 5000, 'the delivery to start');
    const t0 = Date.now();
    await o.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await s.outbox.backlog()).count).toBe(1);
  });
});

describe('a receiver answering with an endless body', () => {
  it('is read up to a cap and the connection dropped; the item is retried', async () => {
    const flood = await startFloodingPeer(500);
    cleanups.push(() => flood.close());
    const s = store();
    await s.outbox.enqueue('callback', 'F:failed:1', 'F', { task_id: 'F' });
    sender(s, { callback: flood.url }, 30_000).start();
    const item = await until(
      async () => {
        const [i] = await s.outbox.list('F');
        return i!.attempts >= 1 ? i : null;
      },
      15_000,
      'the first failed attempt',
    );
    expect(item.last_error).toMatch(/^HTTP 500: x+/);
    await until(() => flood.closed >= 1, 5000, 'the connection to close');
    // What the peer managed to write before we hung up: our cap plus socket buffers, nowhere near its 2 GiB.
    expect(flood.written).toBeLessThan(32 * 1024 * 1024);
  });
});

describe("the daemon's own sink with AICS_API_TOKEN", () => {
  it('handoff notices carry the token and are stored, not refused with 401', async () => {
    const token = 'own-sink-token-5b0e1c7d9a';
    const d = await startDaemon({ apiToken: token });
    cleanups.push(() => d.stop());
    const s = await openStore(d.db);
    cleanups.push(() => s.close());
    await s.outbox.enqueue('handoff', 'handoff:acc:c1:1', null, { event: 'handoff', event_id: 'handoff:acc:c1:1', customer_id: 'c1' });
    await until(async () => (await s.outbox.backlog()).count === 0, 10_000, 'the handoff notice to be delivered');
    const stored = await s.callbacks.list();
    expect(stored.map((c) => c.event_id)).toContain('handoff:acc:c1:1');
  });
});

describe('SIGTERM while a callback receiver dribbles (the real binary)', () => {
  it('exits within the drain timeout, the callback left queued for the next start', async () => {
    const slow = await startDribblingPeer(200);
    cleanups.push(() => slow.close());
    const cwd = fileTempDir();
    const serve = await startServe(['--api-only', '--port', '0', '--db', 'tasks.db'], { cwd, env: { TIANWANG_CALLBACK_URL: slow.url } });
    cleanups.push(() => serve.child.kill('SIGKILL'));
    expect((await call(serve.url, 'POST', '/api/task/receive', task('SLOW_1'))).status).toBe(200);
    expect((await call(serve.url, 'POST', '/api/task/cancel', { task_id: 'SLOW_1' })).status).toBe(200);
    await until(() => slow.requests > 0, 10_000, 'the callback to reach the slow receiver');
    const t0 = Date.now();
    serve.child.kill('SIGTERM');
    const { code } = await serve.exit;
    expect(Date.now() - t0).toBeLessThan(7000);
    expect(code).toBe(0);
    const s = await openStore(join(cwd, 'tasks.db'));
    cleanups.push(() => s.close());
    expect((await s.outbox.backlog()).count).toBe(1);
  }, 30_000);
});

describe('an LLM endpoint answering with an endless body', () => {
  it('is read up to a cap; the customer still gets the rules answer', async () => {
    const flood = await startFloodingPeer(200, '/v1');
    cleanups.push(() => flood.close());
    const d = await startDesk({
      agent: { quietMs: 100, maxWaitMs: 1000, sendGapMs: 0, llmTimeoutMs: 60_000 },
      settings: { llmBaseUrl: flood.url, llmModel: 'fake-model' },
    });
    cleanups.push(() => d.stop());
    d.sim.pushMessage({ from_id: 'c_flood', from_name: '陈经理', content: '你好' });
    const [cmd] = await d.sim.nextCommands(1, 20_000);
    expect(String(cmd!.data.content)).not.toBe('');
    expect(flood.requests).toBeGreaterThanOrEqual(1);
    expect(flood.written).toBeLessThan(32 * 1024 * 1024);
  }, 40_000);
});
