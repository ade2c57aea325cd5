/**
 * A send that never left because 轻简 was not connected is not an attempt: the claimed task goes back to waiting,
 * due as it was, with its attempt number, retry count and req_id unchanged. Real parts: the SQLite store in a temp
 * folder and the real bridge client pointed at a port where nothing listens.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ActionRunner } from '../../src/daemon/engine/action-runner.js';
import { silentLogger } from '../../src/daemon/ports.js';
import { QingjianBridge } from '../../src/daemon/qingjian/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { SEED } from '../support/daemon.js';
import { fileTempDir } from '../support/fixtures.js';

let store: Store | null = null;
let bridge: QingjianBridge | null = null;
afterEach(async () => {
  await bridge?.stop();
  store?.close();
  store = bridge = null;
});

/** A port that was free a moment ago: connecting to it is refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

it('a claimed task whose send never left goes back to waiting, due from when it fired, no attempt spent', async () => {
  store = await openStore(join(fileTempDir(), 'tasks.db'));
  bridge = new QingjianBridge({
    url: `ws://127.0.0.1:${await deadPort()}`,
    sendWaitMs: 100,
    reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
  });
  bridge.start();
  const b = bridge;
  const owner = 'daemon:test:1';
  const runner = new ActionRunner({
    store,
    sender: { sendText: (c, r) => b.sendText(c, r), sendFile: (c, r) => b.sendFile(c, r) },
    logger: silentLogger,
    clock: Date.now,
    owner,
    leaseMs: 15_000,
    filesDir: fileTempDir(),
  });
  await store.tasks.receive(parseTaskPayload({ ...SEED.receive, task_id: 'NS1', trigger: SEED.triggers.customer_reply }), 'test');
  await store.tasks.arm('test');
  const claimed = await store.tasks.claim('NS1', { owner, leaseMs: 15_000, target: { acc_id: '1688000001', from_id: 'c1', msg_id: 'm1' } });
  expect(claimed).toMatchObject({ status: 'running', attempt: 1 });

  expect(await runner.run(claimed!)).toBe('waiting');
  const after = (await store.tasks.get('NS1'))!;
  expect(after).toMatchObject({ status: 'waiting', attempt: 0, retry_count: 0, lease_owner: null });
  expect(after.due_at).toBe(claimed!.triggered_at);
  expect(await store.tasks.attempts('NS1')).toEqual([]);
  const events = await store.tasks.events('NS1');
  expect(events.at(-1)).toMatchObject({
    from_status: 'running',
    to_status: 'waiting',
    reason: expect.stringMatching(/^not sent, waits for the bridge: not connected to 轻简/),
  });

  // Claimed again (the bridge back): the same attempt number, req_id and customer.
  const again = await store.tasks.claim('NS1', { owner, leaseMs: 15_000 });
  expect(again).toMatchObject({ attempt: 1, retry_count: 0, target: { from_id: 'c1', acc_id: '1688000001' } });
});
