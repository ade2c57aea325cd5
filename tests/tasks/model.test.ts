import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  TASK_STATUSES,
  canTransition,
  checkFileUrl,
  computeDeadlines,
  formatInZone,
  isTerminal,
  keywordMatches,
  matchesTrigger,
  newTaskId,
  normalizeText,
  parseTaskPayload,
  parseTriggerTime,
  type CustomerMessage,
} from '../../src/tasks/index.js';
import { SEED as seed } from '../support/fixtures.js';

const msg = (content: string, from_id = 'customer_123', from_name: string | undefined = '小明'): CustomerMessage => ({
  acc_id: '1688000001',
  from_id,
  from_name,
  content,
});
const task = (trigger: unknown) => parseTaskPayload({ ...seed.receive, trigger });

describe('payload schema', () => {
  it('accepts the seed example exactly as written, with defaults applied', () => {
    const p = parseTaskPayload(seed.receive);
    expect(p.task_id).toBe('TASK_20260227_001');
    expect(p.trigger).toEqual(seed.receive.trigger);
    expect(p.max_retry).toBe(3);
  });

  it('accepts every trigger example of the seed', () => {
    for (const [type, trigger] of Object.entries(seed.triggers)) {
      expect(task(trigger).trigger.type).toBe(type);
    }
  });

  it.each([
    [{ ...seed.receive, task_id: undefined }, 'task_id: is required'],
    [{ ...seed.receive, trigger: { ...seed.receive.trigger, keyword: undefined } }, 'trigger.keyword: is required'],
    [{ ...seed.receive, trigger: { ...seed.receive.trigger, customer_id: undefined } }, 'trigger.customer_id: is required'],
    [{ ...seed.receive, trigger: { type: 'customer_keyword', keywords: [] } }, 'trigger.keywords: needs at least one keyword'],
    [{ ...seed.receive, trigger: { type: 'teleport' } }, 'trigger.type'],
    [{ ...seed.receive, action: { type: 'send_file' } }, 'action.file_url: is required'],
    [{ ...seed.receive, action: { type: 'send_message', message: '   ' } }, 'action.message: must not be empty'],
    [{ ...seed.receive, priority: 'asap' }, 'priority: must be one of'],
    [{ ...seed.receive, timeout_hours: -1 }, 'timeout_hours: must be greater than 0'],
    [{ ...seed.receive, timeout_hours: '24' }, 'timeout_hours: must be number'],
    [{ ...seed.receive, trigger: { type: 'time_reach', time: '2026-02-28 09:00:00' }, customer: undefined }, 'customer: is required'],
    [{ ...seed.receive, trigger: { type: 'cron', expression: 'every day' } }, 'trigger.expression: is not a valid cron'],
    [{ ...seed.receive, task_id: 'has space' }, 'task_id: must not contain spaces'],
  ])('names the field at fault (%#)', (input, expected) => {
    expect(() => parseTaskPayload(input)).toThrow(ValidationError);
    expect(() => parseTaskPayload(input)).toThrow(expected);
  });

  it('rejects a body that is not an object', () => {
    expect(() => parseTaskPayload('x')).toThrow(ValidationError);
    expect(() => parseTaskPayload(null)).toThrow(ValidationError);
  });
});

describe('keyword normalisation and matching', () => {
  it.each(seed.exact_match_examples as { keyword: string; exact_match: boolean; message: string; fires: boolean }[])(
    'seed: "$message" vs $keyword exact=$exact_match → $fires',
    ({ keyword, exact_match, message, fires }) => {
      expect(keywordMatches(message, keyword, exact_match)).toBe(fires);
    },
  );

  it('normalises width, case, spaces and trailing punctuation', () => {
    expect(normalizeText('  ＯＫ！ ')).toBe('ok');
    expect(normalizeText('好的。')).toBe('好的');
    expect(normalizeText('好的~~')).toBe('好的');
    expect(keywordMatches('好的。', '好的', true)).toBe(true);
    expect(keywordMatches('好的!!!', '好的', true)).toBe(true);
    expect(keywordMatches('ＯＫ', 'ok', true)).toBe(true);
    expect(keywordMatches('不好', '好的', false)).toBe(false);
    expect(keywordMatches('anything', '   ', false)).toBe(false);
  });
});

describe('matchesTrigger', () => {
  const specified = task(seed.triggers.specified_customer_reply);

  it('specified_customer_reply checks id, then name when both have one, then keyword', () => {
    expect(matchesTrigger(specified, msg('好的谢谢'))).toEqual({ keyword: '好的' });
    expect(matchesTrigger(specified, msg('好的谢谢', 'customer_999'))).toBeNull();
    expect(matchesTrigger(specified, msg('好的谢谢', 'customer_123', '小红'))).toBeNull();
    expect(matchesTrigger(specified, msg('好的谢谢', 'customer_123', undefined))).toEqual({ keyword: '好的' });
    expect(matchesTrigger(specified, msg('收到'))).toBeNull();
  });

  it('customer_name is optional in the trigger', () => {
    const t = task({ type: 'specified_customer_reply', customer_id: 'customer_123', keyword: '好的' });
    expect(matchesTrigger(t, msg('好的', 'customer_123', '任何人'))).not.toBeNull();
  });

  it('exact_match fires only on the whole message', () => {
    const t = task({ ...seed.triggers.specified_customer_reply, exact_match: true });
    expect(matchesTrigger(t, msg('好的谢谢'))).toBeNull();
    expect(matchesTrigger(t, msg('好的'))).not.toBeNull();
  });

  it('customer_reply and customer_keyword fire for any customer', () => {
    expect(matchesTrigger(task(seed.triggers.customer_reply), msg('好的', 'someone'))).not.toBeNull();
    const kw = task(seed.triggers.customer_keyword);
    expect(matchesTrigger(kw, msg('可以的', 'x'))).toEqual({ keyword: '可以' });
    expect(matchesTrigger(kw, msg('行吧', 'y'))).toEqual({ keyword: '行' });
    expect(matchesTrigger(kw, msg('不要', 'z'))).toBeNull();
  });

  it('customer_payment uses its keywords, or the default payment words', () => {
    expect(matchesTrigger(task(seed.triggers.customer_payment), msg('我已经拍下了'))).toEqual({ keyword: '拍下了' });
    const defaults = task({ type: 'customer_payment' });
    expect(matchesTrigger(defaults, msg('已付款，请查收'))).toEqual({ keyword: '已付款' });
    expect(matchesTrigger(defaults, msg('多少钱'))).toBeNull();
  });

  it('never matches our own account (is_self) nor a clock trigger', () => {
    expect(matchesTrigger(specified, { ...msg('好的'), is_self: true })).toBeNull();
    expect(matchesTrigger(task(seed.triggers.time_reach), msg('好的'))).toBeNull();
  });
});

describe('status machine', () => {
  it('allows the documented path and nothing out of terminal states', () => {
    expect(canTransition('pending', 'waiting')).toBe(true);
    expect(canTransition('waiting', 'running')).toBe(true);
    expect(canTransition('running', 'completed')).toBe(true);
    expect(canTransition('running', 'failed')).toBe(true);
    expect(canTransition('running', 'waiting')).toBe(true);
    expect(canTransition('pending', 'running')).toBe(false);
    expect(canTransition('running', 'cancelled')).toBe(false);
    for (const s of TASK_STATUSES.filter(isTerminal)) {
      for (const to of TASK_STATUSES) expect(canTransition(s, to)).toBe(false);
    }
  });
});

describe('time_reach parsing', () => {
  it('reads wall-clock times in the configured zone', () => {
    const r = parseTriggerTime('2026-02-28 09:00:00', 'Asia/Shanghai');
    expect(r).toEqual({ ok: true, utcMs: Date.parse('2026-02-28T01:00:00Z') });
    expect(parseTriggerTime('2026-02-28 09:00', 'UTC')).toEqual({ ok: true, utcMs: Date.parse('2026-02-28T09:00:00Z') });
  });

  it('takes ISO 8601 offsets as they are', () => {
    expect(parseTriggerTime('2026-02-28T09:00:00+08:00', 'America/New_York')).toEqual({
      ok: true,
      utcMs: Date.parse('2026-02-28T01:00:00Z'),
    });
  });

  it('rejects impossible dates and other text', () => {
    expect(parseTriggerTime('2026-02-30 09:00:00', 'UTC').ok).toBe(false);
    expect(parseTriggerTime('tomorrow', 'UTC').ok).toBe(false);
    expect(parseTriggerTime('2026-02-28 25:00:00', 'UTC').ok).toBe(false);
  });

  it('documents DST: a skipped time moves forward, a repeated time takes the earlier instant', () => {
    // New York springs forward 2026-03-08 02:00 → 03:00; 02:30 does not exist.
    const gap = parseTriggerTime('2026-03-08 02:30:00', 'America/New_York');
    expect(gap.ok && formatInZone(gap.utcMs, 'America/New_York')).toBe('2026-03-08 03:30:00');
    // Falls back 2026-11-01 02:00 → 01:00; 01:30 happens twice (EDT first).
    const twice = parseTriggerTime('2026-11-01 01:30:00', 'America/New_York');
    expect(twice).toEqual({ ok: true, utcMs: Date.parse('2026-11-01T05:30:00Z') });
  });

  it('reads the clock across a DST change to the second (an offset is reused only within its own second)', () => {
    // New York springs forward at 2026-03-08 07:00:00Z: the last second of EST, then the first of EDT.
    const change = Date.parse('2026-03-08T07:00:00Z');
    expect(formatInZone(change - 1000, 'America/New_York')).toBe('2026-03-08 01:59:59');
    expect(formatInZone(change - 1, 'America/New_York')).toBe('2026-03-08 01:59:59');
    expect(formatInZone(change, 'America/New_York')).toBe('2026-03-08 03:00:00');
    expect(formatInZone(change - 1000, 'America/New_York')).toBe('2026-03-08 01:59:59');
  });

  it('time_reach windows start at the due time; message triggers at receipt', () => {
    const now = Date.parse('2026-02-27T00:00:00Z');
    const timed = task(seed.triggers.time_reach);
    const d = computeDeadlines({ ...timed, customer: { id: 'c1' } }, now, 'UTC');
    expect(d.dueAtMs).toBe(Date.parse('2026-02-28T09:00:00Z'));
    expect(d.expiresAtMs).toBe(Date.parse('2026-03-01T09:00:00Z'));
    expect(computeDeadlines(task(seed.triggers.customer_reply), now, 'UTC')).toEqual({ dueAtMs: null, expiresAtMs: now + 24 * 3600_000 });
    expect(() => computeDeadlines(timed, Date.parse('2026-03-02T00:00:00Z'), 'UTC')).toThrow('trigger.time');
  });

  it('cron is due at its next occurrence in the zone and never expires', () => {
    const now = Date.parse('2026-02-27T12:00:00Z');
    const cron = task({ type: 'cron', expression: '0 9 * * *' });
    expect(computeDeadlines(cron, now, 'Asia/Shanghai')).toEqual({ dueAtMs: Date.parse('2026-02-28T01:00:00Z'), expiresAtMs: null });
  });
});

describe('file_url policy', () => {
  const dir = '/srv/aics/files';
  it('allows http(s) and paths inside the files folder', () => {
    expect(checkFileUrl('https://cdn.example.com/a.pdf', dir)).toMatchObject({ ok: true, kind: 'url' });
    expect(checkFileUrl('designs/a.pdf', dir)).toEqual({ ok: true, kind: 'path', value: '/srv/aics/files/designs/a.pdf' });
    expect(checkFileUrl('/srv/aics/files/a.pdf', dir)).toMatchObject({ ok: true, kind: 'path' });
  });
  it.each(['file:///etc/passwd', 'ftp://x/a', '../secret.txt', 'a/../../b', '/etc/passwd', '/srv/aics/filesX/a', 'javascript:alert(1)'])(
    'refuses %s',
    (value) => {
      expect(checkFileUrl(value, dir).ok).toBe(false);
    },
  );
});

it('generates task ids like Tianwang’s', () => {
  expect(newTaskId(Date.parse('2026-02-27T10:11:12Z'), () => 0.5)).toMatch(/^TASK_20260227_101112_[0-9A-Z]{4}$/);
});
