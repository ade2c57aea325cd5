/**
 * Bad input from the 轻简 side (issue #6): a real daemon in the bridge mode, connected to the simulator, gets
 * thousands of random and malformed WebSocket frames — not JSON, binary, invalid UTF-8, wrong types in `data`,
 * missing ids, huge content, unknown events, acks for unknown req_ids, pong floods, deep nesting — with valid customer
 * messages mixed in, each of which should fire one waiting specified_customer_reply task. The daemon stays up and
 * connected (or reconnects), and every valid message fires its task exactly once: nothing lost, nothing doubled,
 * and no malformed frame fires anything.
 *
 * Repeatable: AICS_FUZZ_SEED and AICS_FUZZ_N as in tests/support/fuzz.ts (N frames of noise).
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore, type Store } from '../../src/store/index.js';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';
import { FAST_BACKOFF, FAST_BRIDGE } from '../support/desk.js';
import { NASTY_STRINGS, Rng, deepArrayText, deepObjectText, fuzzRun, randomString, randomValue } from '../support/fuzz.js';

const { seed, n: N, replay } = fuzzRun(2500);
/** Customers with a waiting task, each fired by one valid message. */
const M = Math.max(10, Math.round(N / 50));
const MAX_FRAME = 1024 * 1024;

const customer = (i: number) => `wc_${i}`;
const keyword = (i: number) => `口令${i}号`;
const taskId = (i: number) => `FZW_${i}`;

let sim: QingjianSimulator;
let d: TestDaemon;
let store: Store;

beforeAll(async () => {
  sim = await QingjianSimulator.start({ port: 0, redeliverMs: 300 });
  d = await startDaemon(
    { qingjianUrl: sim.url },
    // The engine under fuzz, without the agent: every send the simulator receives must be a task's.
    { mode: 'bridge', agent: false, bridgeOptions: FAST_BRIDGE, actionBackoff: FAST_BACKOFF },
  );
  await sim.waitForClient();
  for (let i = 0; i < M; i++) {
    const body = task(taskId(i), {
      customer: { id: customer(i) },
      trigger: { type: 'specified_customer_reply', customer_id: customer(i), keyword: keyword(i) },
      action: { type: 'send_message', message: `回复 ${i}` },
    });
    const res = await call(d.url, 'POST', '/api/task/receive', body);
    expect(res.status, res.text).toBe(200);
  }
  store = await openStore(d.db);
  await until(async () => (await store.tasks.list({ status: 'waiting', page: 1, pageSize: 1 })).total === M, 5000, 'the tasks armed');
});

afterAll(async () => {
  store?.close();
  await d?.stop();
  await sim?.stop();
});

// ───────────── frames ─────────────

type Obj = Record<string, unknown>;

function messageFrame(eventId: string, data: Obj, extra: Obj = {}): Obj {
  return { type: 'event', event: 'message', event_id: eventId, ts: Date.now(), data, ...extra };
}

function messageData(msgId: string, from: string, content: string): Obj {
  return {
    msg_id: msgId,
    acc_id: sim.accId,
    from_id: from,
    from_name: '客户',
    chat_type: 'single',
    msg_type: 'text',
    content,
    is_self: false,
    send_time: Date.now(),
  };
}

/**
 * A frame carrying a valid customer's keyword that must NOT fire anything: each change makes it malformed (or not a
 * customer reply) for sure. Its msg_id is fresh, so if it fired, the store would show it.
 */
function brokenVariant(rng: Rng, i: number, k: number): { frame: string | Buffer; binary?: boolean } {
  const data = messageData(`bad_${k}`, customer(i), `好的 ${keyword(i)}`);
  const frame = messageFrame(`ebad_${k}`, data);
  const change = rng.pick<() => Obj | string | Buffer>([
    () => ({ ...frame, data: { ...data, msg_id: undefined } }),
    () => ({ ...frame, data: { ...data, msg_id: rng.pick([{}, [], true, '', '   ', null, Number.NaN]) } }),
    () => ({ ...frame, data: { ...data, content: rng.pick([123, {}, [keyword(i)], true]) } }),
    () => ({ ...frame, data: { ...data, from_id: rng.pick([{}, [customer(i)], true, '', null]) } }),
    () => ({ ...frame, data: { ...data, acc_id: undefined } }),
    () => ({ ...frame, data: { ...data, acc_id: { id: sim.accId } } }),
    () => ({ ...frame, data: rng.pick([[data], JSON.stringify(data), 42, true]) }),
    () => ({ ...frame, data: { ...data, is_self: rng.pick(['yes', 2, {}, 'TRUE']) } }),
    () => ({ ...frame, data: { ...data, is_self: true } }),
    () => ({ ...frame, data: { ...data, file: rng.pick(['x', [1], 7]) } }),
    () => ({ ...frame, data: { ...data, file: { name: 42 } } }),
    () => ({ ...frame, data: { ...data, send_time: rng.pick(['abc', {}, [], '1e3']) } }),
    () => ({ ...frame, data: { ...data, chat_type: 7 } }),
    () => ({ ...frame, ts: rng.pick(['abc', {}, [], '12:00']) }),
    () => ({ ...frame, type: rng.pick([42, null, true, 'Event', 'evnt']) }),
    () => ({ ...frame, event: rng.pick([42, '', 'Message', 'message ', 'messages']) }),
    () => JSON.stringify(frame).slice(0, rng.int(1, 60)),
    () => `${JSON.stringify(frame)}x`,
    () => JSON.stringify(frame).replace(/"/g, "'"),
    () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(frame))]),
    () => JSON.stringify({ ...frame, data: { ...data, content: `${keyword(i)}${'x'.repeat(MAX_FRAME)}` } }),
  ])();
  // Bytes go as a binary frame: a text frame that is not UTF-8 closes the socket (see the run below).
  if (Buffer.isBuffer(change)) return { frame: change, binary: true };
  return { frame: typeof change === 'string' ? change : JSON.stringify(change) };
}

/** One piece of noise from a bridge that cannot be trusted; noise customers have no tasks. */
function noise(rng: Rng, k: number): { frame: string | Buffer; binary?: boolean; repeat?: number } {
  const noiseCustomer = `noise_${rng.int(0, 50)}`;
  const validNoise = () => messageData(`nm_${k}`, noiseCustomer, randomString(rng));
  return rng.weighted<() => { frame: string | Buffer; binary?: boolean; repeat?: number }>([
    [6, () => ({ frame: randomString(rng) })],
    [
      3,
      () => ({
        frame: rng.pick(['', 'null', '[]', '"str"', '123', 'true', '{}', '{"type":null}', '{"type":"event"}', '[{"type":"event"}]']),
      }),
    ],
    [5, () => ({ frame: JSON.stringify(randomValue(rng)) })],
    [4, () => ({ frame: rng.bytes(rng.int(0, 200)), binary: true })],
    [2, () => ({ frame: Buffer.from(JSON.stringify(messageFrame(`enb_${k}`, validNoise()))), binary: true })],
    [
      6,
      () => {
        const data: Obj = validNoise();
        const key = rng.pick(Object.keys(data));
        data[key] = randomValue(rng);
        return { frame: JSON.stringify(messageFrame(`ewt_${k}`, data)) };
      },
    ],
    [3, () => ({ frame: JSON.stringify(messageFrame(`eok_${k}`, validNoise())) })],
    [
      2,
      () => ({
        frame: JSON.stringify(
          messageFrame(`eal_${k}`, {
            msgId: `na_${k}`,
            acc_id: sim.accId,
            sender: noiseCustomer,
            sender_name: rng.pick(NASTY_STRINGS),
            content: '好的',
          }),
        ),
      }),
    ],
    [3, () => ({ frame: JSON.stringify(messageFrame(`enm_${k}`, { ...validNoise(), msg_id: undefined })) })],
    [
      1,
      () => ({ frame: JSON.stringify(messageFrame(`ebig_${k}`, { ...validNoise(), content: '大'.repeat(rng.pick([100_000, 300_000])) })) }),
    ],
    [
      1,
      () => ({
        frame: JSON.stringify(messageFrame(`ehuge_${k}`, { ...validNoise(), content: 'x'.repeat(MAX_FRAME + rng.int(1, 100_000)) })),
      }),
    ],
    [
      2,
      () => ({
        frame: `{"type":"event","event":"message","event_id":"edeep_${k}","data":${JSON.stringify(validNoise()).slice(0, -1)},"extra":${deepObjectText(10_000)}}}`,
      }),
    ],
    [1, () => ({ frame: rng.chance(0.5) ? deepArrayText(10_000) : deepObjectText(10_000) })],
    [
      4,
      () => ({
        frame: JSON.stringify({ type: 'event', event: randomString(rng), event_id: `eun_${k}`, ts: Date.now(), data: randomValue(rng) }),
      }),
    ],
    [
      3,
      () => ({
        frame: JSON.stringify({
          type: 'event',
          event: rng.pick(['login', 'logout', 'ready', 'error']),
          event_id: rng.chance(0.8) ? `eacc_${k}` : randomValue(rng),
          data: rng.pick([
            { acc_id: randomValue(rng) },
            { accounts: randomValue(rng) },
            { code: randomValue(rng), msg: randomValue(rng) },
            randomValue(rng),
          ]),
        }),
      }),
    ],
    [
      4,
      () => ({
        frame: JSON.stringify(
          rng.pick([
            { type: 'ack', req_id: `NO_SUCH_TASK_${k}#1`, ok: true, code: 0, data: { msg_id: 'x' } },
            { type: 'ack', req_id: `NO_SUCH_TASK_${k}#1`, ok: false, code: 5000, msg: 'boom' },
            { type: 'ack', req_id: randomValue(rng), ok: randomValue(rng), code: randomValue(rng), data: randomValue(rng) },
            { type: 'ack', event_id: `e_${k}` },
            { type: 'ack' },
          ]),
        ),
      }),
    ],
    [2, () => ({ frame: JSON.stringify({ type: 'pong', ts: rng.chance(0.5) ? Date.now() : randomValue(rng) }), repeat: rng.int(20, 200) })],
    [2, () => ({ frame: JSON.stringify({ type: 'ping', ts: rng.chance(0.5) ? Date.now() : randomValue(rng) }) })],
    [2, () => ({ frame: JSON.stringify({ type: rng.pick(['cmd', 'hello', 'PING', '', '__proto__']), ...(randomValue(rng) as Obj) }) })],
    [
      1,
      () => ({
        frame: `{"type":"event","event":"message","event_id":"epr_${k}","__proto__":{"polluted":"yes"},"data":{"__proto__":{"is_self":false},"constructor":{"prototype":{"polluted":"yes"}},"msg_id":"np_${k}","acc_id":"${sim.accId}","from_id":"${noiseCustomer}","content":"好的"}}`,
      }),
    ],
  ])();
}

// ───────────── the run ─────────────

describe(`WebSocket fuzz from the 轻简 side (seed ${seed}, ${N} frames, ${M} valid messages)`, () => {
  it(
    "stays up and connected, and fires each valid message's task exactly once",
    async () => {
      const rng = new Rng(seed);
      const context = `replay with ${replay}`;
      const valid = new Map<number, { eventId: string; msgId: string }>();
      const validAt = new Set(Array.from({ length: M }, (_, i) => Math.floor(((i + 0.5) * N) / M)));
      let nextValid = 0;
      let broken = 0;
      let reconnectsAsked = 0;
      const connectionsBefore = sim.counters().connections;

      for (let k = 0; k < N; k++) {
        if (validAt.has(k) && nextValid < M) {
          const i = nextValid++;
          if (rng.chance(0.5)) for (let b = rng.int(1, 3); b > 0; b--) sendFrame(brokenVariant(rng, i, broken++));
          const content = rng.pick([`好的 ${keyword(i)}`, `${keyword(i)}`, `嗯，${keyword(i)}。谢谢`, `ＯＫ ${keyword(i)}!`]);
          const pushed = sim.pushMessage({ from_id: customer(i), from_name: '客户', content, msg_id: `vm_${i}` });
          valid.set(i, { eventId: pushed.event_id, msgId: pushed.msg_id! });
          // The same message again under other event ids (a bridge re-delivering after a lost ack).
          for (let r = rng.int(0, 2); r > 0; r--) {
            sim.sendRaw(JSON.stringify(messageFrame(`edup_${i}_${r}`, messageData(`vm_${i}`, customer(i), content))));
          }
          if (rng.chance(0.3)) for (let b = rng.int(1, 2); b > 0; b--) sendFrame(brokenVariant(rng, i, broken++));
        }
        // Rarely, a text frame that is not UTF-8: the WebSocket closes (1007) and the daemon must reconnect.
        if (rng.chance(0.002)) {
          reconnectsAsked++;
          sim.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
        } else {
          const n = noise(rng, k);
          for (let r = n.repeat ?? 1; r > 0; r--) sendFrame(n);
        }
        if (k % 20 === 0) await new Promise((r) => setImmediate(r));
      }

      // Nothing lost: every valid message is acked (re-delivered until it is) and its task completes.
      for (const [i, { eventId }] of valid)
        await sim.waitForAck(eventId, 20_000).catch((e) => expect.fail(`${taskId(i)}: ${(e as Error).message} (${context})`));
      await until(
        async () => (await store.tasks.list({ status: 'completed', page: 1, pageSize: 1 })).total === M,
        20_000,
        `all ${M} tasks completed (${context})`,
      );
      await new Promise((r) => setTimeout(r, 500)); // late duplicates would show now

      // Nothing doubled: each task fired by a message once, and its customer got the message once. A send whose
      // ack was lost in a reconnect is repeated with the same req_id, and the bridge answers it from its cache
      // (a `duplicate`): the customer still gets one message.
      const wrong: string[] = [];
      for (let i = 0; i < M; i++) {
        const id = taskId(i);
        const t = await store.tasks.get(id);
        const events = await store.tasks.events(id);
        const fired = events.filter((e) => e.to_status === 'running' && e.reason?.startsWith(`任务触发: ${customer(i)} said`));
        if (t?.status !== 'completed' || fired.length !== 1)
          wrong.push(`${id}: ${t?.status}, ${events.map((e) => `${e.to_status} (${e.reason})`).join(' > ')}`);
        const sends = sim.commands.filter((c) => c.data.to_id === customer(i));
        const delivered = sends.filter((c) => !c.duplicate && c.result.ok);
        if (delivered.length !== 1 || sends.some((c) => !c.req_id.startsWith(`${id}#`)))
          wrong.push(`${id}: sends ${JSON.stringify(sends.map((c) => [c.req_id, c.duplicate, c.result.ok]))}`);
      }
      expect(wrong, context).toEqual([]);
      expect(
        sim.commands.filter((c) => !String(c.data.to_id).startsWith('wc_')),
        context,
      ).toEqual([]);

      // No malformed frame got through: the valid customers' recorded messages are exactly the valid ones.
      const db = new Database(d.db, { readonly: true });
      try {
        const recorded = (
          db.prepare(`SELECT msg_id FROM inbound_messages WHERE from_id LIKE 'wc\\_%' ESCAPE '\\' ORDER BY msg_id`).all() as {
            msg_id: string;
          }[]
        ).map((r) => r.msg_id);
        expect(recorded, context).toEqual([...valid.values()].map((v) => v.msgId).sort());
      } finally {
        db.close();
      }

      // Still up, connected (again), answering health; malformed frames were counted, not fatal.
      await until(
        async () => (await call(d.url, 'GET', '/api/health')).body?.data?.qingjian?.connected === true,
        5000,
        `reconnected (${context})`,
      );
      const health = (await call(d.url, 'GET', '/api/health')).body.data;
      expect(health.qingjian.malformed, context).toBeGreaterThan(N / 10);
      expect(sim.counters().connections - connectionsBefore, context).toBeLessThanOrEqual(reconnectsAsked);
      expect(({} as Obj).polluted, context).toBeUndefined();
      const errors = readFileSync(d.logFile, 'utf8')
        .split('\n')
        .filter((l) => /"level":"(ERROR|FATAL)"/.test(l));
      expect(errors.slice(0, 3), context).toEqual([]);

      function sendFrame(f: { frame: string | Buffer; binary?: boolean }) {
        sim.sendRaw(f.frame, { binary: f.binary });
      }
    },
    60_000 + N * 20,
  );
});
