/**
 * QingjianBridge against the simulator (and a bare server for frames the simulator never sends), over real
 * WebSockets on 127.0.0.1 with short intervals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeSendError, type AccountEvent, type BridgeMessage } from '../../src/daemon/qingjian/index.js';
import { matchesTrigger } from '../../src/tasks/match.js';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { Harness, sleep, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

async function connected(simOptions: Parameters<Harness['sim']>[0] = {}, bridgeOptions: Parameters<Harness['bridge']>[1] = {}) {
  const sim = await h.sim(simOptions);
  const bridge = h.bridge(sim.url, bridgeOptions);
  const got: BridgeMessage[] = [];
  bridge.onMessage((m) => {
    got.push(m);
  });
  bridge.start();
  await bridge.whenConnected(3_000);
  return { sim, bridge, got };
}

async function rejection(p: Promise<unknown>): Promise<BridgeSendError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BridgeSendError) return err;
    throw err;
  }
  throw new Error('expected the send to fail');
}

describe('inbound messages', () => {
  it('delivers a customer message once, as a CustomerMessage that fires a trigger, and acks it', async () => {
    const { sim, bridge, got } = await connected({ redeliverMs: 60 });
    const pushed = await sim.pushMessageAndWaitAck({ from_id: '7881000001', from_name: '小明', content: '好的谢谢' });
    await sleep(200); // several redelivery periods: an acked event is not delivered again
    expect(got).toHaveLength(1);
    const m = got[0]!;
    expect(m).toMatchObject({
      msg_id: pushed.msg_id,
      event_id: pushed.event_id,
      acc_id: '1688000001',
      from_id: '7881000001',
      from_name: '小明',
      content: '好的谢谢',
      is_self: false,
      chat_type: 'single',
      msg_type: 'text',
    });
    expect(typeof m.ts).toBe('number');
    const trigger = { type: 'specified_customer_reply', customer_id: '7881000001', keyword: '好的', exact_match: false } as const;
    expect(matchesTrigger({ trigger }, m)).toEqual({ keyword: '好的' });
    expect(sim.counters()).toMatchObject({ messages_pushed: 1, messages_acked: 1, redeliveries: 0 });
    expect(bridge.state()).toMatchObject({ received: 1, duplicates: 0, ready: true, accounts: { '1688000001': { status: 'online' } } });
  });

  it('hands a re-delivered event over once and acks every copy when the handler settles', async () => {
    const { sim, bridge } = await connected({ redeliverMs: 40 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    bridge.onMessage(async (m) => {
      calls.push(m.msg_id);
      await gate;
    });
    const pushed = sim.pushMessage({ from_id: 'c1', content: '在吗' });
    await until(() => sim.counters().redeliveries >= 2, 'two redeliveries of the un-acked event');
    expect(calls).toEqual([pushed.msg_id]);
    expect(sim.counters().messages_acked).toBe(0); // not acked while the handler runs
    release();
    await sim.waitForAck(pushed.event_id);
    // The same message under another event id (a bridge that re-wraps it) is acked but not delivered.
    const again = sim.pushMessage({ from_id: 'c1', content: '在吗', msg_id: pushed.msg_id });
    await sim.waitForAck(again.event_id);
    expect(calls).toHaveLength(1);
    expect(bridge.state().duplicates).toBeGreaterThanOrEqual(3);
  });

  it('remembers only the last dedupeCapacity messages', async () => {
    const { sim, got } = await connected({}, { dedupeCapacity: 2 });
    for (const id of ['a', 'b', 'c']) await sim.pushMessageAndWaitAck({ from_id: 'c1', content: id, msg_id: id });
    await sim.pushMessageAndWaitAck({ from_id: 'c1', content: 'a', msg_id: 'a' }); // forgotten: delivered again
    await sim.pushMessageAndWaitAck({ from_id: 'c1', content: 'c', msg_id: 'c' }); // still remembered
    expect(got.map((m) => m.msg_id)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('does not ack a message whose handler failed, so the re-delivery is handled again', async () => {
    const { sim, bridge } = await connected({ redeliverMs: 40 });
    let calls = 0;
    bridge.onMessage(() => {
      calls++;
      if (calls === 1) throw new Error('database busy');
    });
    const pushed = sim.pushMessage({ from_id: 'c1', content: '好的' });
    await sim.waitForAck(pushed.event_id);
    expect(calls).toBe(2);
    expect(h.log.lines.some((l) => l.level === 'error' && l.msg === 'message handler threw')).toBe(true);
  });

  it('delivers is_self messages flagged, and they never fire a trigger', async () => {
    const { sim, got } = await connected();
    await sim.pushMessageAndWaitAck({ from_id: 'c1', from_name: '小明', content: '好的', is_self: true });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ is_self: true, from_id: 'c1' });
    expect(matchesTrigger({ trigger: { type: 'customer_reply', keyword: '好的', exact_match: false } }, got[0]!)).toBeNull();
  });

  it('maps aliased fields of another bridge and keeps the unknown ones', async () => {
    const server = await h.rawServer();
    const bridge = h.bridge(server.url);
    const got: BridgeMessage[] = [];
    bridge.onMessage((m) => void got.push(m));
    bridge.start();
    const ws = await server.socket();
    ws.send(
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'raw-1',
        ts: 123,
        data: {
          msgId: 'm-raw',
          acc_id: 1688000001,
          sender: 'u1',
          sender_name: '老王',
          conversation_id: 'c-9',
          content: 'hi',
          vendor_flag: 7,
        },
      }),
    );
    ws.send(
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'raw-2',
        data: { msg_id: 'm-2', acc_id: 'a', user_id: 'u2', content: 'x' },
      }),
    );
    ws.send(
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'raw-3',
        data: { msg_id: 'm-3', acc_id: 'a', fromUser: 'u3', content: 'y' },
      }),
    );
    await until(() => server.received.filter((f) => f.type === 'ack').length === 3, 'three acks');
    expect(got[0]).toMatchObject({
      msg_id: 'm-raw',
      acc_id: '1688000001',
      from_id: 'u1',
      from_name: '老王',
      chat_id: 'c-9',
      ts: 123,
      extra: { vendor_flag: 7 },
    });
    expect(got.map((m) => m.from_id)).toEqual(['u1', 'u2', 'u3']);
    expect(server.received).toEqual([
      { type: 'ack', event_id: 'raw-1' },
      { type: 'ack', event_id: 'raw-2' },
      { type: 'ack', event_id: 'raw-3' },
    ]);
  });

  it('skips malformed frames, acks poison events, and keeps the connection up', async () => {
    const server = await h.rawServer();
    const bridge = h.bridge(server.url, { maxFrameBytes: 4096 });
    const got: BridgeMessage[] = [];
    bridge.onMessage((m) => void got.push(m));
    bridge.start();
    const ws = await server.socket();
    const bad = [
      'not json at all',
      '[1,2,3]',
      '{"type":5}',
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'bad-1',
        data: { msg_id: 'x', acc_id: 'a', from_id: { id: 1 }, content: 'hi' },
      }),
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'bad-2',
        data: { msg_id: 'x2', acc_id: 'a', from_id: 'u', content: ['hi'] },
      }),
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'huge',
        data: { msg_id: 'h', acc_id: 'a', from_id: 'u', content: 'x'.repeat(10_000) },
      }),
    ];
    for (const frame of bad) ws.send(frame);
    ws.send(Buffer.from([0xff, 0x00, 0x13]), { binary: true });
    ws.send(
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'good',
        data: { msg_id: 'ok-1', acc_id: 'a', from_id: 'u', content: '好的' },
      }),
    );
    await until(() => got.length === 1, 'the good message');
    expect(got[0]!.msg_id).toBe('ok-1');
    expect(bridge.state()).toMatchObject({ state: 'connected', malformed: 7, reconnects: 0 });
    expect(server.connections()).toBe(1);
    // The poison events were acked so the bridge stops delivering them; the huge one had no readable id.
    await until(() => server.received.some((f) => f.event_id === 'good'), 'the ack of the good message');
    expect(server.received.filter((f) => f.type === 'ack').map((f) => f.event_id)).toEqual(['bad-1', 'bad-2', 'good']);
    const reasons = h.log.lines.filter((l) => l.level === 'warn').map((l) => l.obj.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'not JSON',
        'not a JSON object',
        'type is not a string',
        'from_id is not a string',
        'content is not a string',
        expect.stringMatching(/^frame too large/),
      ]),
    );
  });

  it('keeps per-account state from login, logout, ready and error events', async () => {
    const { sim, bridge } = await connected();
    const events: AccountEvent[] = [];
    bridge.onAccountEvent((e) => void events.push(e));
    await sim.waitForAllAcked(); // the login and ready of the connection
    expect(bridge.state().accounts['1688000001']).toMatchObject({ status: 'online', last_error: null });
    await sim.waitForAck(sim.pushEvent('logout', { acc_id: '1688000001' }).event_id);
    expect(bridge.state().accounts['1688000001']!.status).toBe('offline');
    await sim.waitForAck(sim.pushEvent('login', { acc_id: '1688000002' }).event_id);
    await sim.waitForAck(sim.pushEvent('error', { acc_id: '1688000002', code: 5001, msg: 'WeCom crashed' }).event_id);
    expect(bridge.state().accounts['1688000002']).toMatchObject({ status: 'online', last_error: '5001 WeCom crashed' });
    expect(bridge.state().last_error).toBe('5001 WeCom crashed');
    expect(events.map((e) => `${e.event}:${e.acc_id}`)).toEqual(['logout:1688000001', 'login:1688000002', 'error:1688000002']);
  });
});

describe('sends', () => {
  it('resolve on the ack, with the exact command on the wire', async () => {
    const { sim, bridge } = await connected();
    const text = await bridge.sendText({ acc_id: '1688000001', to_id: 'customer_123', content: '这是您要的文件' }, 'TASK_1#1');
    const file = await bridge.sendFile(
      { acc_id: '1688000001', to_id: 'customer_123', kind: 'image', file_url: 'https://x.test/a.png', file_name: 'a.png' },
      'TASK_2#1',
    );
    const [c1, c2] = await sim.nextCommands(2);
    expect(c1).toMatchObject({
      cmd: 'send_text',
      req_id: 'TASK_1#1',
      data: { acc_id: '1688000001', to_id: 'customer_123', content: '这是您要的文件' },
    });
    expect(c2!.data).toEqual({
      acc_id: '1688000001',
      to_id: 'customer_123',
      kind: 'image',
      file_url: 'https://x.test/a.png',
      file_name: 'a.png',
    });
    expect(text).toMatchObject({ req_id: 'TASK_1#1', code: 0, msg_id: c1!.result.msg_id });
    expect(file.msg_id).toBe(c2!.result.msg_id);
    expect(bridge.state()).toMatchObject({ sent: 2, acked: 2, pending_sends: 0 });
  });

  it('refuse an unusable request without writing it', async () => {
    const { sim, bridge } = await connected();
    const err = await rejection(bridge.sendText({ acc_id: '1688000001', to_id: 'c1', content: ' ' }, 'TASK_3#1'));
    expect(err).toMatchObject({ code: 'invalid_request', retryable: false });
    const err2 = await rejection(bridge.sendFile({ acc_id: '1688000001', to_id: 'c1', kind: 'file' }, 'TASK_3#2'));
    expect(err2.message).toMatch(/file_url and file_path/);
    await sleep(50);
    expect(sim.counters().sends_received).toBe(0);
  });

  it('join a pending send with the same req_id and payload, refuse one with another payload', async () => {
    const { sim, bridge } = await connected({ ackDelayMs: 100 });
    const req = { acc_id: '1688000001', to_id: 'c1', content: '您好' };
    const first = bridge.sendText(req, 'TASK_4#1');
    const second = bridge.sendText({ ...req }, 'TASK_4#1');
    expect(second).toBe(first);
    const other = await rejection(bridge.sendText({ ...req, content: '别的' }, 'TASK_4#1'));
    expect(other).toMatchObject({ code: 'invalid_request', retryable: false });
    await first;
    expect(sim.counters()).toMatchObject({ sends_received: 1, sends_delivered: 1 });
  });

  it('reject on ok:false, retryable or not by the code, and a refused send can be tried again', async () => {
    const { sim, bridge } = await connected({ failEvery: 1, failCode: 4002, failMessage: 'no such customer' });
    const req = { acc_id: '1688000001', to_id: 'c1', content: '您好' };
    const permanent = await rejection(bridge.sendText(req, 'TASK_5#1'));
    expect(permanent).toMatchObject({ code: 'rejected', retryable: false, inDoubt: false, bridgeCode: 4002, reqId: 'TASK_5#1' });
    expect(permanent.message).toMatch(/4002 no such customer/);
    sim.configure({ failCode: 5003, failMessage: 'WeCom busy' });
    const passing = await rejection(bridge.sendText(req, 'TASK_5#2'));
    expect(passing).toMatchObject({ code: 'rejected', retryable: true, bridgeCode: 5003 });
    sim.configure({ failEvery: 0 });
    await expect(bridge.sendText(req, 'TASK_5#2')).resolves.toMatchObject({ code: 0 });
    expect(sim.counters()).toMatchObject({ failures_injected: 2, sends_delivered: 1, duplicates: 0 });
    expect(bridge.state()).toMatchObject({ send_failed: 2, acked: 1 });
  });

  it('reject as retryable and in doubt when no ack comes in time, and ignore the late ack', async () => {
    const { sim, bridge } = await connected({ dropAcks: true }, { textAckTimeoutMs: 150 });
    const t0 = Date.now();
    const err = await rejection(bridge.sendText({ acc_id: '1688000001', to_id: 'c1', content: '在' }, 'TASK_6#1'));
    expect(err).toMatchObject({ code: 'ack_timeout', retryable: true, inDoubt: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    sim.configure({ dropAcks: false, ackDelayMs: 150 });
    const late = await rejection(
      bridge.sendFile({ acc_id: '1688000001', to_id: 'c1', kind: 'file', file_path: '/srv/a.pdf' }, 'TASK_6#2', { ackTimeoutMs: 50 }),
    );
    expect(late.code).toBe('ack_timeout');
    await until(() => h.log.lines.some((l) => l.msg.includes('ack for no pending send') && l.obj.req_id === 'TASK_6#2'), 'the late ack');
    expect(bridge.state().state).toBe('connected');
  });

  it('in flight when the connection drops: fails as in doubt, and the retry with the same req_id is not sent twice', async () => {
    const { sim, bridge } = await connected({ dropEvery: 1 });
    const req = { acc_id: '1688000001', to_id: 'c1', content: '这是您要的文件' };
    const err = await rejection(bridge.sendText(req, 'TASK_7#1'));
    expect(err).toMatchObject({ code: 'connection_lost', retryable: true, inDoubt: true });
    const retried = await bridge.sendText(req, 'TASK_7#1'); // waits for the reconnect if needed
    const [first, repeat] = await sim.nextCommands(2);
    expect(first).toMatchObject({ req_id: 'TASK_7#1', duplicate: false, ack: 'connection_dropped' });
    expect(repeat).toMatchObject({ req_id: 'TASK_7#1', duplicate: true });
    expect(retried.msg_id).toBe(first!.result.msg_id);
    expect(sim.counters()).toMatchObject({ sends_received: 2, sends_delivered: 1, duplicates: 1, connections: 2 });
  });

  it('issued while disconnected: fail as not_connected after the bounded wait, never written', async () => {
    const dead = await QingjianSimulator.start({ port: 0 });
    const url = dead.url;
    await dead.stop();
    const bridge = h.bridge(url, { sendWaitMs: 100 });
    bridge.start();
    const t0 = Date.now();
    const err = await rejection(bridge.sendText({ acc_id: 'a', to_id: 'c1', content: '在' }, 'TASK_8#1'));
    expect(err).toMatchObject({ code: 'not_connected', retryable: true, inDoubt: false });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(bridge.state()).toMatchObject({ sent: 0, state: expect.stringMatching(/^(connecting|disconnected)$/) });
    expect(bridge.state().last_error).toMatch(/ECONNREFUSED/);
  });

  it('issued while disconnected: go out once the bridge comes back within the wait', async () => {
    const first = await QingjianSimulator.start({ port: 0 });
    const port = first.port;
    await first.stop();
    const bridge = h.bridge(first.url, { sendWaitMs: 3_000 });
    bridge.start();
    const sending = bridge.sendText({ acc_id: 'a', to_id: 'c1', content: '稍等' }, 'TASK_9#1');
    await sleep(120);
    const sim = await h.sim({ port });
    await expect(sending).resolves.toMatchObject({ req_id: 'TASK_9#1' });
    expect(sim.counters()).toMatchObject({ sends_delivered: 1 });
  });
});

describe('connection', () => {
  it('reconnects with exponential backoff, capped, after the bridge drops or goes away, and later messages still arrive', async () => {
    const { sim, bridge, got } = await connected(
      {},
      { reconnect: { initialDelayMs: 20, maxDelayMs: 80, jitter: 0, stableAfterMs: 60_000 } },
    );
    const t0 = Date.now();
    expect(sim.dropConnections()).toBe(1);
    await sim.waitForConnections(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(18);
    await sim.pushMessageAndWaitAck({ from_id: 'c1', content: '还在吗' });
    expect(got.map((m) => m.content)).toEqual(['还在吗']);
    // Now the bridge goes away for a while: each failed attempt waits longer, up to the cap.
    const port = sim.port;
    await sim.stop();
    await until(() => h.log.lines.filter((l) => l.obj.state === 'disconnected').length >= 5, 'five disconnects');
    const again = await h.sim({ port });
    await bridge.whenConnected(2_000);
    await again.pushMessageAndWaitAck({ from_id: 'c1', content: '我回来了' });
    expect(got.map((m) => m.content)).toEqual(['还在吗', '我回来了']);
    const delays = h.log.lines.filter((l) => l.obj.state === 'disconnected').map((l) => l.obj.retry_in_ms);
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 80, 80]);
    expect(bridge.state().reconnects).toBe(2);
  });

  it('takes up to `jitter` off each delay at random', async () => {
    const dead = await QingjianSimulator.start({ port: 0 });
    await dead.stop();
    const bridge = h.bridge(dead.url, { reconnect: { initialDelayMs: 200, maxDelayMs: 400, jitter: 0.5 }, random: () => 0.5 });
    bridge.start();
    await until(() => h.log.lines.some((l) => l.obj.state === 'disconnected'), 'a failed attempt');
    expect(h.log.lines.find((l) => l.obj.state === 'disconnected')!.obj.retry_in_ms).toBe(150);
  });

  it('pings on the heartbeat, and a bridge that stops answering is dropped and reconnected', async () => {
    const { sim, bridge } = await connected({}, { heartbeatIntervalMs: 80, maxMissedPongs: 2 });
    await sleep(450);
    expect(sim.counters().pings).toBeGreaterThanOrEqual(4);
    expect(bridge.state().reconnects).toBe(0);
    sim.configure({ answerPings: false });
    const t0 = Date.now();
    await sim.waitForConnections(2, 2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // at least two intervals without a pong
    expect(h.log.lines.some((l) => l.level === 'warn' && l.msg.includes('heartbeat lost'))).toBe(true);
    expect(h.log.lines.some((l) => l.obj.state === 'disconnected' && l.obj.last_error === 'heartbeat: 2 pongs missed')).toBe(true);
  });

  it('stop() rejects pending sends, closes cleanly and stops reconnecting', async () => {
    const { sim, bridge } = await connected({ dropAcks: true });
    const inFlight = rejection(bridge.sendText({ acc_id: '1688000001', to_id: 'c1', content: '在' }, 'TASK_10#1'));
    await sim.nextCommands(1);
    await bridge.stop();
    expect(await inFlight).toMatchObject({ code: 'stopped', retryable: true, inDoubt: true });
    expect(bridge.state()).toMatchObject({ state: 'stopped', pending_sends: 0 });
    await until(() => sim.counters().clients === 0, 'the socket to close');
    await sleep(150); // several backoff periods
    expect(sim.counters().connections).toBe(1);
    await expect(bridge.sendText({ acc_id: '1688000001', to_id: 'c1', content: '在' }, 'TASK_10#2')).rejects.toMatchObject({
      code: 'stopped',
    });
    expect(h.log.lines.filter((l) => l.obj.state === 'connecting')).toHaveLength(1);
  });

  it('stop() while disconnected rejects queued sends (not in doubt) and makes no further attempt', async () => {
    const dead = await QingjianSimulator.start({ port: 0 });
    await dead.stop();
    const bridge = h.bridge(dead.url);
    bridge.start();
    const queued = rejection(bridge.sendText({ acc_id: 'a', to_id: 'c1', content: '在' }, 'TASK_11#1'));
    await until(() => h.log.lines.some((l) => l.obj.state === 'disconnected'), 'a failed attempt');
    await bridge.stop();
    expect(await queued).toMatchObject({ code: 'stopped', inDoubt: false });
    const attempts = h.log.lines.filter((l) => l.obj.state === 'connecting').length;
    await sleep(150);
    expect(h.log.lines.filter((l) => l.obj.state === 'connecting')).toHaveLength(attempts);
    expect(() => bridge.start()).toThrow(/after stop/);
  });
});
