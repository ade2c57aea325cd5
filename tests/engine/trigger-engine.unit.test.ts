/**
 * The TriggerEngine alone: matching tasks fire in priority then arrival order, each once even when two engines on
 * one database see messages at the same moment, and the any-customer tasks it keeps in memory follow the database
 * (a task armed by another process is seen at once; a claimed or cancelled one does not fire again). Real SQLite
 * store in a temp folder on a fake clock; the scripted bridge plays 轻简.
 */
import { describe, expect, it } from 'vitest';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { OWNER, benchesClosedAfterEach, message, payload } from '../support/engine-bench.js';

const bench = benchesClosedAfterEach();
const anyone = (keyword: string, over: Record<string, unknown> = {}) => ({
  trigger: { type: 'customer_reply', keyword },
  customer: undefined,
  ...over,
});

describe('TriggerEngine', () => {
  it('fires every matching task once, in priority then arrival order', async () => {
    const b = bench();
    await b.receive(payload('NORMAL_1', anyone('好的')));
    await b.receive(
      payload('URGENT', { trigger: { type: 'specified_customer_reply', customer_id: 'c1', keyword: '好' }, priority: 'urgent' }),
    );
    b.clock.advance(1);
    await b.receive(payload('NORMAL_2', anyone('好的')));
    await b.receive(payload('OTHER_WORD', anyone('付款')));
    await b.store.tasks.arm(OWNER);
    const engine = b.engine();
    const handled = await engine.handle(message('c1', '好的'));
    expect(handled.fired).toEqual(['URGENT', 'NORMAL_1', 'NORMAL_2']);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['URGENT#1', 'NORMAL_1#1', 'NORMAL_2#1']);
    expect(b.log.matching(/^任务触发 /)).toHaveLength(3);
    expect((await engine.handle(message('c1', '好的'))).fired).toEqual([]);
  });

  it('two engines on one database, each with a message that matches, fire a task once', async () => {
    const b = bench();
    for (let i = 0; i < 10; i++) await b.receive(payload(`T${i}`, anyone('好的')));
    await b.store.tasks.arm(OWNER);
    const one = b.engine();
    const two = b.engine({ store: b.openAnother(), owner: 'daemon:bench:2' });
    const [a, c] = await Promise.all([one.handle(message('c1', '好的')), two.handle(message('c2', '好的'))]);
    expect([...a.fired, ...c.fired].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `T${i}`).sort());
    expect(b.bridge.sent).toHaveLength(10);
  });

  it('the same message delivered twice is handled once', async () => {
    const b = bench();
    await b.receive(payload('T', anyone('好的')));
    await b.store.tasks.arm(OWNER);
    const engine = b.engine();
    const m = message('c1', '好的');
    expect((await engine.handle(m)).fired).toEqual(['T']);
    expect(await engine.handle(m)).toEqual({ duplicate: true, fired: [] });
    expect(b.bridge.sent).toHaveLength(1);
  });

  it('messages taken in together keep their order: a customer’s first message fires the task, the next finds it gone', async () => {
    const b = bench();
    await b.receive(payload('T', { trigger: { type: 'specified_customer_reply', customer_id: 'c1', keyword: '好的' } }));
    await b.receive(payload('ANY', anyone('好的')));
    await b.store.tasks.arm(OWNER);
    const engine = b.engine();
    // The first message is the one whose matching reads the any-customer tasks for the first time (more awaits).
    const sent = [message('c1', '好的', { msg_id: 'first' }), message('c1', '好的', { msg_id: 'second' }), message('c2', '好的')];
    const handled = await Promise.all(sent.map((m) => engine.accept(m)));
    expect(handled.map((h) => h.fired)).toEqual([['T', 'ANY'], [], []]);
    await engine.drain();
    expect(await b.store.tasks.firedBy('acc_1', 'first')).toEqual(['T', 'ANY']);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['T#1', 'ANY#1']);
  });

  it('a message recorded by a daemon that died before handling it fires its tasks when it comes again', async () => {
    const b = bench();
    await b.receive(payload('T', anyone('好的')));
    await b.store.tasks.arm(OWNER);
    const m = message('c1', '好的');
    expect(await b.store.inbound.record(m)).toBe('new'); // recorded, never handled: the daemon died there
    const engine = b.engine();
    expect(await engine.handle(m)).toEqual({ duplicate: false, fired: ['T'] });
    expect(await engine.handle(m)).toEqual({ duplicate: true, fired: [] });
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['T#1']);
  });

  it('its in-memory any-customer tasks follow the database: armed elsewhere seen at once, cancelled elsewhere not fired', async () => {
    const b = bench();
    const engine = b.engine();
    expect((await engine.handle(message('c1', '好的'))).fired).toEqual([]); // the (empty) list is now in memory

    // Another process stores and arms a task: the engine sees it on the next message.
    const other = b.openAnother();
    await other.tasks.receive(parseTaskPayload(payload('LATER', anyone('好的'))), 'test');
    await other.tasks.arm('daemon:bench:2');
    expect((await engine.handle(message('c1', '好的'))).fired).toEqual(['LATER']);

    // Armed here: seen too.
    await b.receive(payload('HERE', anyone('可以')));
    await b.store.tasks.arm(OWNER);
    expect((await engine.handle(message('c2', '可以'))).fired).toEqual(['HERE']);

    // Cancelled by another process after the engine read it: it does not fire.
    await b.receive(payload('GONE', anyone('行')));
    await b.store.tasks.arm(OWNER);
    expect((await engine.handle(message('c3', '随便'))).fired).toEqual([]); // GONE is in memory now
    await other.tasks.cancel('GONE', 'not needed', 'test');
    expect((await engine.handle(message('c3', '行'))).fired).toEqual([]);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['LATER#1', 'HERE#1']);
  });

  it('with scopeAnyCustomer, an any-customer task naming a customer fires only on that customer', async () => {
    const b = bench();
    await b.receive(payload('SCOPED', { trigger: { type: 'customer_reply', keyword: '好的' }, customer: { id: 'c1' } }));
    await b.store.tasks.arm(OWNER);
    const engine = b.engine({ scopeAnyCustomer: true });
    expect((await engine.handle(message('c2', '好的'))).fired).toEqual([]);
    expect((await engine.handle(message('c1', '好的'))).fired).toEqual(['SCOPED']);
  });
});
