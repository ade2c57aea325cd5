import { join } from 'node:path';
import { expect, it } from 'vitest';
import { silentLogger } from '../../src/daemon/ports.js';
import { Retention } from '../../src/daemon/retention.js';
import { openStore } from '../../src/store/index.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { SEED, fileTempDir } from '../support/fixtures.js';

const DAY = 86_400_000;

it('forgets old bookkeeping in batches and keeps tasks, undelivered items and anything recent', async () => {
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
  const store = await openStore(join(fileTempDir(), 'r.db'), { clock: () => clock.now });
  try {
    // Old: 2,500 de-duplication keys (more than one batch), a delivered and an undelivered callback, a received
    // callback, a chat message, and a task.
    for (let i = 0; i < 2500; i++) await store.inbound.record({ acc_id: 'a', msg_id: `m${i}`, from_id: 'c' });
    await store.outbox.enqueue('callback', 'old-delivered', 'T', { x: 1 });
    await store.outbox.delivered((await store.outbox.list('T'))[0]!.id);
    await store.outbox.enqueue('callback', 'old-undelivered', 'T', { x: 2 });
    await store.callbacks.record({ body: { task_id: 'T' } });
    await store.agent.logMessage({ acc_id: 'a', from_id: 'c', role: 'customer', text: '你好' });
    await store.tasks.receive(parseTaskPayload(SEED.receive), 'test');

    const retention = new Retention({ store, logger: silentLogger, clock: () => clock.now, retentionDays: 90 });
    clock.now += 3 * DAY;
    expect(await retention.prune()).toEqual({ inbound_keys: 0, outbox_delivered: 0, callbacks_received: 0, chat_messages: 0 });

    clock.now += 5 * DAY; // 8 days: past the de-duplication window only
    await store.inbound.record({ acc_id: 'a', msg_id: 'recent', from_id: 'c' });
    await store.inbound.handled('a', 'recent');
    expect(await retention.prune()).toEqual({ inbound_keys: 2500, outbox_delivered: 0, callbacks_received: 0, chat_messages: 0 });
    expect(await store.inbound.record({ acc_id: 'a', msg_id: 'recent', from_id: 'c' })).toBe('duplicate');

    clock.now += 90 * DAY;
    expect(await retention.prune()).toMatchObject({ outbox_delivered: 1, callbacks_received: 1, chat_messages: 1 });
    expect((await store.outbox.list('T')).map((i) => i.event_id)).toEqual(['old-undelivered']);
    expect(await store.tasks.get('TASK_20260227_001')).not.toBeNull();

    const keepForever = new Retention({ store, logger: silentLogger, clock: () => clock.now + 10_000 * DAY, retentionDays: 0 });
    await store.callbacks.record({ body: { task_id: 'T2' } });
    expect(await keepForever.prune()).toEqual({ inbound_keys: 0 }); // nothing but de-duplication keys is looked at
    expect(await store.callbacks.list()).toHaveLength(1);
  } finally {
    store.close();
  }
});
