/**
 * Business hours with holidays: the arithmetic (open, next opening, last closing, across weekends, holidays and the
 * time zone) and what a customer notices, on the in-process agent with a real SQLite file and a set clock: outside
 * the hours the first reply carries the off-hours message once per closed spell, and 转接人工 is queued in the
 * outbox for the next opening instead of paging nobody.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config.js';
import { BusinessHours } from '../../src/daemon/agent/business-hours.js';
import { LocalAgent } from '../../src/daemon/agent/dialogue.js';
import { ValidationError } from '../../src/errors.js';
import { tempDir } from '../support/fixtures.js';

const ZONE = 'Asia/Shanghai';
const HOURS = 'mon-fri 09:00-18:00, sat 10:00-16:00';
const HOLIDAYS = '2026-10-01..2026-10-07, 2027-01-01';
/** A wall-clock time in Shanghai. */
const at = (text: string) => Date.parse(`${text.replace(' ', 'T')}:00+08:00`);

describe('BusinessHours', () => {
  const h = BusinessHours.parse(HOURS, HOLIDAYS, ZONE)!;

  it('is open inside a window of its weekday and closed outside, on Sundays and on holidays', () => {
    expect(h.isOpen(at('2026-12-04 09:00'))).toBe(true); // Friday
    expect(h.isOpen(at('2026-12-04 17:59'))).toBe(true);
    expect(h.isOpen(at('2026-12-04 18:00'))).toBe(false);
    expect(h.isOpen(at('2026-12-05 12:00'))).toBe(true); // Saturday
    expect(h.isOpen(at('2026-12-06 12:00'))).toBe(false); // Sunday
    expect(h.isOpen(at('2026-10-05 12:00'))).toBe(false); // a Monday in the National Day holiday
  });

  it('finds the next opening across the weekend and the holidays, and the last closing', () => {
    expect(h.nextOpening(at('2026-12-04 20:00'))).toBe(at('2026-12-05 10:00'));
    expect(h.nextOpening(at('2026-12-05 16:30'))).toBe(at('2026-12-07 09:00'));
    expect(h.nextOpening(at('2026-09-30 19:00'))).toBe(at('2026-10-08 09:00'));
    expect(h.nextOpening(at('2026-12-31 23:00'))).toBe(at('2027-01-02 10:00')); // New Year's Day off, then Saturday
    expect(h.nextOpening(at('2026-12-04 10:00'))).toBe(at('2026-12-04 10:00'));
    expect(h.lastClosing(at('2026-12-07 08:00'))).toBe(at('2026-12-05 16:00'));
    expect(h.format(at('2026-12-07 09:00'))).toBe('2026-12-07 09:00');
  });

  it('no hours: always open; bad values name the variable', () => {
    expect(BusinessHours.parse(null, null, ZONE)).toBeNull();
    const error = (hours: string | null, holidays: string | null) => {
      try {
        BusinessHours.parse(hours, holidays, ZONE);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error('mon-fri 9-18', null)).toMatch(/^AICS_AGENT_HOURS: "mon-fri 9-18" is not \[days\] HH:MM-HH:MM/);
    expect(error('monday 09:00-18:00', null)).toMatch(/^AICS_AGENT_HOURS: /);
    expect(error('18:00-09:00', null)).toMatch(/closes before it opens/);
    expect(error('09:00-18:00', '2026-13-01')).toMatch(/^AICS_AGENT_HOLIDAYS: "2026-13-01" is not a date/);
    expect(error(null, '2026-10-01')).toMatch(/^AICS_AGENT_HOLIDAYS needs AICS_AGENT_HOURS/);
  });
});

describe('the agent outside business hours', () => {
  const ws = tempDir('aics-hours-');
  afterAll(() => ws.cleanup());
  let now = at('2026-12-04 20:00'); // Friday evening, closed
  const settings = resolveSettings({}, { AICS_TZ: ZONE, AICS_AGENT_HOURS: HOURS, AICS_AGENT_HOLIDAYS: HOLIDAYS }, ws.dir);
  let local: LocalAgent;
  beforeAll(async () => {
    local = await LocalAgent.open(settings, join(ws.dir, 'hours.db'), undefined, () => now);
  });
  afterAll(() => local.close());
  const customer = { id: 'c_night', name: '夜猫子' };

  it('answers with the off-hours message once per closed spell, and still answers the question', async () => {
    const first = await local.say(customer, '名片多少钱');
    expect(first!.sent.join('')).toMatch(/^您好，现在是非营业时间.*2026-12-05 10:00 上班后/);
    expect(first!.sent.join('')).toContain('名片 500张 45元起');
    now += 60_000;
    const second = await local.say(customer, '可以开发票吗');
    expect(second!.sent.join('')).not.toContain('非营业时间');
    expect(second!.sent.join('')).toContain('增值税');

    now = at('2026-12-05 11:00'); // Saturday, open
    expect((await local.say(customer, '地址在哪'))!.sent.join('')).not.toContain('非营业时间');
    now = at('2026-12-05 17:00'); // closed again: a new closed spell, told again
    expect((await local.say(customer, '工期多久'))!.sent.join('')).toContain('2026-12-07 09:00 上班后');
  });

  it('转接人工 is queued for the next opening: the notice is not due before it, the customer is told when', async () => {
    now = at('2026-12-05 20:00');
    const other = { id: 'c_weekend', name: '周末客户' };
    const r = await local.say(other, '转人工');
    expect(r!.handoff).toBe(true);
    expect(r!.sent.join('')).toBe('好的，已为您登记转接人工，2026-12-07 09:00 上班后人工客服会第一时间联系您。');
    expect(await local.store.outbox.due(10, ['handoff'])).toHaveLength(0);
    now = at('2026-12-07 08:59');
    expect(await local.store.outbox.due(10, ['handoff'])).toHaveLength(0);
    now = at('2026-12-07 09:00');
    const [notice] = await local.store.outbox.due(10, ['handoff']);
    expect(notice).toMatchObject({ kind: 'handoff' });
    expect(JSON.parse(String((notice as { payload: unknown }).payload))).toMatchObject({
      customer_id: 'c_weekend',
      customer_name: '周末客户',
    });
    // the agent stays quiet for the customer until a person has had the conversation for the usual time
    now = at('2026-12-06 10:00');
    expect((await local.say(other, '有人吗'))!.silent).toBe('human');
  });
});
