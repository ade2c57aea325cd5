/**
 * Every trigger type in the registry (src/tasks/triggers) can be built from `aics task add`'s flags, received,
 * stored, listed and fired — one row per type. A new trigger type must add its row here (the table is typed by
 * TriggerType, so a missing row does not compile, and the first test fails at run time too), so a type that is
 * missing anywhere fails a test instead of being stored and silently never firing.
 *
 * Real parts: the SQLite store in a temp folder on a fake clock, the scheduler and the trigger engine, a scripted
 * bridge playing 轻简.
 */
import { describe, expect, it } from 'vitest';
import { PAYLOAD_FLAG_NAMES, defaultTriggerType, flagForField, payloadFromFlags, type TaskFlags } from '../../src/cli/task-input.js';
import { triggerCondition } from '../../src/cli/format.js';
import {
  ANY_CUSTOMER_TRIGGER_TYPES,
  MESSAGE_TRIGGER_TYPES,
  TRIGGERS,
  TRIGGER_TYPES,
  parseTaskPayload,
  triggerSchema,
  type TriggerType,
} from '../../src/tasks/index.js';
import { OWNER, benchesClosedAfterEach, message, payload } from '../support/engine-bench.js';

interface Row {
  /** `aics task add` flags that build this type (with --message). */
  flags: TaskFlags;
  /** A trigger of this type as Tianwang sends it. */
  trigger: Record<string, unknown>;
  /** What fires it: a customer's message, or the clock moving on. */
  fire: { from: string; says: string } | { afterMs: number };
}

const HOUR = 3_600_000;
const ROWS: Record<TriggerType, Row> = {
  specified_customer_reply: {
    flags: { customer: 'cust_1', keyword: ['好的'] },
    trigger: { type: 'specified_customer_reply', customer_id: 'cust_1', keyword: '好的' },
    fire: { from: 'cust_1', says: '好的谢谢' },
  },
  customer_reply: {
    flags: { keyword: ['好的'] },
    trigger: { type: 'customer_reply', keyword: '好的' },
    fire: { from: 'anyone', says: '好的呀' },
  },
  customer_keyword: {
    flags: { keyword: ['可以', '行'] },
    trigger: { type: 'customer_keyword', keywords: ['可以', '行'] },
    fire: { from: 'anyone', says: '行，发吧' },
  },
  customer_payment: {
    flags: { trigger: 'customer_payment' },
    trigger: { type: 'customer_payment' },
    fire: { from: 'anyone', says: '我已付款' },
  },
  time_reach: {
    flags: { customer: 'cust_1', time: '2030-01-01 09:00:00' },
    trigger: { type: 'time_reach', time: '2030-01-01 09:00:00' },
    fire: { afterMs: 2 * HOUR },
  },
  cron: {
    flags: { customer: 'cust_1', cron: '0 9 * * *' },
    trigger: { type: 'cron', expression: '0 9 * * *' },
    fire: { afterMs: 25 * HOUR },
  },
};

const bench = benchesClosedAfterEach();

describe('the trigger registry', () => {
  it('lists each trigger type once, each with a row here and a schema in the payload union', () => {
    expect(new Set(TRIGGER_TYPES).size).toBe(TRIGGER_TYPES.length);
    expect(Object.keys(ROWS).sort()).toEqual([...TRIGGER_TYPES].sort());
    expect(triggerSchema.options.map((o) => o.shape.type.value).sort()).toEqual([...TRIGGER_TYPES].sort());
    for (const d of TRIGGERS) expect(triggerSchema.options).toContain(d.schema);
  });

  it('a message trigger can match, a clock trigger has a due time; any-customer types are message types', () => {
    for (const d of TRIGGERS) {
      const byClock = d.firedBy.includes('clock');
      expect(Boolean(d.match), d.type).toBe(!byClock);
      expect(Boolean(d.dueAt), d.type).toBe(byClock);
    }
    for (const t of ANY_CUSTOMER_TRIGGER_TYPES) expect(MESSAGE_TRIGGER_TYPES).toContain(t);
  });

  it("task add's flags come from the registry: each field a trigger names maps to a flag task add has", () => {
    for (const d of TRIGGERS) {
      for (const [field, flag] of Object.entries(d.cli.fieldFlags)) {
        expect(PAYLOAD_FLAG_NAMES, `${d.type}.${field}`).toContain(flag.slice(2));
        expect(flagForField(`trigger.${field}`)).toBe(flag);
      }
    }
    expect(() => defaultTriggerType({ time: '2030-01-01 09:00:00', cron: '0 9 * * *' })).toThrow(
      '--cron: give either --time (once) or --cron (recurring), not both',
    );
    expect(() => payloadFromFlags({ customer: 'c', cron: '0 9 * * *', keyword: ['x'], message: 'y' }, 0)).toThrow(
      '--keyword: does not apply to a cron trigger',
    );
  });

  describe.each(TRIGGER_TYPES)('%s', (type) => {
    const row = ROWS[type];

    it('is built from task add flags into a payload the API accepts', () => {
      const built = payloadFromFlags({ ...row.flags, message: 'hi' }, Date.now());
      expect(built.trigger).toMatchObject({ type });
      expect(parseTaskPayload(built).trigger.type).toBe(type);
    });

    it('is received, stored, listed, shown and fired once', async () => {
      const b = bench();
      const id = `T_${type}`;
      await b.receive(payload(id, { trigger: row.trigger }));
      const stored = (await b.store.tasks.get(id))!;
      expect(stored.trigger).toEqual(parseTaskPayload(payload(id, { trigger: row.trigger })).trigger);
      expect(stored.problem).toBeUndefined();
      expect(triggerCondition(stored.trigger)).not.toMatch(/unknown|\(no /);
      const listed = await b.store.tasks.list({ triggerType: type });
      expect(listed.items.map((t) => t.task_id)).toEqual([id]);

      const scheduler = b.scheduler();
      const engine = b.engine();
      await scheduler.tick(); // arms it
      expect((await b.store.tasks.get(id))!.status).toBe('waiting');
      if ('from' in row.fire) {
        const handled = await engine.handle(message(row.fire.from, row.fire.says));
        expect(handled.fired).toEqual([id]);
        // The same words again fire nothing: the task has run.
        expect((await engine.handle(message(row.fire.from, row.fire.says))).fired).toEqual([]);
      } else {
        expect((await engine.handle(message('cust_1', 'anything'))).fired).toEqual([]);
        await scheduler.tick();
        expect(b.bridge.sent).toHaveLength(0); // not due yet
        b.clock.advance(row.fire.afterMs);
        await scheduler.tick();
        await scheduler.settled(); // a pass does not wait for its runs; their outcome commits with the next group
      }
      expect(b.bridge.sent).toHaveLength(1);
      expect(b.bridge.sent[0]).toMatchObject({ content: `message of ${id}` });
      const after = (await b.store.tasks.get(id))!;
      expect(after.status).toBe(TRIGGERS.find((d) => d.type === type)!.recurring ? 'waiting' : 'completed');
      expect((await b.store.tasks.attempts(id))[0]).toMatchObject({ owner: OWNER });
    });
  });
});
