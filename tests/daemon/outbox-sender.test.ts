import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxSender } from '../../src/daemon/outbox/outbox-sender.js';
import { silentLogger } from '../../src/daemon/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startHttpSink } from '../support/http-sink.js';
import { fileTempDir as tempDir } from '../support/fixtures.js';

const dir = tempDir();
let n = 0;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { secret?: string } = {}) {
  const store = await openStore(join(dir, `o${++n}.db`));
  const sink = await startHttpSink();
  const sender = new OutboxSender({
    store,
    logger: silentLogger,
    clock: Date.now,
    urls: { callback: sink.url },
    secret: options.secret ?? null,
    pollMs: 50,
    timeoutMs: 300,
    backoff: { baseMs: 20, maxMs: 100, jitter: 0 },
  });
  cleanups.push(
    () => store.close(),
    () => sink.close(),
    () => sender.stop(),
  );
  return { store, sink, sender };
}

const pending = async (store: Store) => (await store.outbox.backlog()).count;

describe('callback delivery', () => {
  it('POSTs each callback once it is accepted, with its event id and signature', async () => {
    const { store, sink, sender } = await setup({ secret: 's3cret' });
    await store.outbox.enqueue('callback', 'T1:completed:1', 'T1', { task_id: 'T1', status: 'completed' });
    sender.start();
    const [got] = await sink.waitFor(1);
    expect(got!.body).toEqual({ task_id: 'T1', status: 'completed' });
    expect(got!.headers['x-aics-event-id']).toBe('T1:completed:1');
    expect(got!.headers['x-aics-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(got!.raw).digest('hex')}`);
    await expect.poll(() => pending(store)).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.received).toHaveLength(1);
  });

  it('keeps retrying while Tianwang answers 500 or hangs, and delivers when it is back', async () => {
    const { store, sink, sender } = await setup();
    sink.respond = 500;
    await store.outbox.enqueue('callback', 'T2:failed:3', 'T2', { task_id: 'T2', status: 'failed' });
    sender.start();
    await expect.poll(async () => (await store.outbox.list('T2'))[0]!.attempts, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect((await store.outbox.backlog()).last_error).toMatch(/HTTP 500/);
    sink.respond = 'hang';
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.received).toHaveLength(0);
    sink.respond = 200;
    await sink.waitFor(1);
    await expect.poll(() => pending(store)).toBe(0);
  });

  it('survives a restart: what was queued before is delivered by the next process', async () => {
    const file = join(dir, 'restart.db');
    const first = await openStore(file);
    await first.outbox.enqueue('callback', 'T3:expired:0', 'T3', { task_id: 'T3', status: 'expired' });
    first.close();
    const store = await openStore(file);
    const sink = await startHttpSink();
    const sender = new OutboxSender({ store, logger: silentLogger, clock: Date.now, urls: { callback: sink.url }, pollMs: 50 });
    cleanups.push(
      () => store.close(),
      () => sink.close(),
      () => sender.stop(),
    );
    sender.start();
    expect((await sink.waitFor(1))[0]!.body).toMatchObject({ task_id: 'T3' });
  });
});

describe('two daemons on one store', () => {
  it('deliver each callback once: an item is claimed before it is POSTed', async () => {
    const file = join(dir, 'two.db');
    const stores = [await openStore(file), await openStore(file)];
    const sink = await startHttpSink();
    const senders = stores.map(
      (store, i) =>
        new OutboxSender({
          store,
          logger: silentLogger,
          clock: Date.now,
          owner: `daemon:test:${i}`,
          urls: { callback: sink.url },
          pollMs: 20,
        }),
    );
    cleanups.push(...stores.map((s) => () => s.close()), () => sink.close(), ...senders.map((s) => () => s.stop()));
    for (let i = 0; i < 40; i++) await stores[0]!.outbox.enqueue('callback', `E${i}`, `T${i}`, { task_id: `T${i}` });
    for (const s of senders) s.start();
    await sink.waitFor(40);
    await expect.poll(() => pending(stores[1]!)).toBe(0);
    await Promise.all(senders.map((s) => s.idle()));
    const ids = sink.received.map((r) => r.headers['x-aics-event-id']);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});

describe('a kind with nowhere to go', () => {
  it('stays queued without making the sender spin, while callbacks still go out', async () => {
    const { store, sink, sender } = await setup();
    await store.outbox.enqueue('dispatch', 'ORD_1', null, { order_id: 'ORD_1' }); // no TIANWANG_DISPATCH_URL
    await store.outbox.enqueue('callback', 'T9:completed:1', 'T9', { task_id: 'T9' });
    expect(await sender.deliverDue()).toBe(50); // the next pass waits the poll interval, not 0
    await sender.idle();
    expect(sink.received.map((r) => r.body)).toEqual([{ task_id: 'T9' }]);
    expect((await store.outbox.backlog()).count).toBe(1); // the order waits for its URL
  });
});
