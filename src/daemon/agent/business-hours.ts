/**
 * The shop's opening hours (AICS_AGENT_HOURS) and holidays (AICS_AGENT_HOLIDAYS), in the configured time zone.
 * Pure time arithmetic, no I/O: the agent asks whether the shop is open now, when it opens next (a 转接人工 notice
 * waits for that) and when it last closed (the off-hours message goes once per conversation and closed spell).
 *
 *   AICS_AGENT_HOURS="mon-fri 09:00-18:00, sat 10:00-16:00"     # or "09:00-21:00" for every day
 *   AICS_AGENT_HOLIDAYS="2026-10-01..2026-10-07, 2027-01-01"      # closed all day
 */
import { ValidationError } from '../../errors.js';
import { formatInZone, parseTriggerTime } from '../../tasks/index.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;
/** How far to look for an opening or a closing: beyond a year of holidays the hours say "never". */
const SEARCH_DAYS = 400;

interface Window {
  days: Set<number>;
  /** Minutes after local midnight; `to` may be 1440 (24:00). */
  from: number;
  to: number;
}

export class BusinessHours {
  private constructor(
    private readonly windows: Window[],
    private readonly holidays: Set<string>,
    readonly zone: string,
    readonly text: string,
  ) {}

  /** null when no hours are set: always open. A bad value is a ValidationError naming the variable. */
  static parse(hours: string | null, holidays: string | null, zone: string): BusinessHours | null {
    if (!hours?.trim()) {
      if (holidays?.trim())
        throw new ValidationError(
          'AICS_AGENT_HOLIDAYS needs AICS_AGENT_HOURS (the opening hours the holidays interrupt)',
          'AICS_AGENT_HOLIDAYS',
        );
      return null;
    }
    return new BusinessHours(parseWindows(hours), parseHolidays(holidays ?? ''), zone, hours.trim());
  }

  isOpen(ms: number): boolean {
    const { date, weekday, minute } = this.local(ms);
    if (this.holidays.has(date)) return false;
    return this.windows.some((w) => w.days.has(weekday) && w.from <= minute && minute < w.to);
  }

  /** `ms` when open; else the next opening, or null when the hours never open again within a year. */
  nextOpening(ms: number): number | null {
    if (this.isOpen(ms)) return ms;
    const { date } = this.local(ms);
    for (let d = 0; d <= SEARCH_DAYS; d++) {
      const day = addDays(date, d);
      if (this.holidays.has(day)) continue;
      const starts = this.windowsOn(day)
        .map((w) => this.instant(day, w.from))
        .sort((a, b) => a - b);
      const next = starts.find((t) => t > ms);
      if (next !== undefined) return next;
    }
    return null;
  }

  /** The last closing at or before `ms` (0 when none within a year). */
  lastClosing(ms: number): number {
    const { date } = this.local(ms);
    for (let d = 0; d >= -SEARCH_DAYS; d--) {
      const day = addDays(date, d);
      if (this.holidays.has(day)) continue;
      const ends = this.windowsOn(day)
        .map((w) => this.instant(day, w.to))
        .filter((t) => t <= ms);
      if (ends.length) return Math.max(...ends);
    }
    return 0;
  }

  /** "2026-12-03 09:00" in the shop's zone, for the off-hours message. */
  format(ms: number): string {
    return formatInZone(ms, this.zone).slice(0, 16);
  }

  private windowsOn(date: string): Window[] {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return this.windows.filter((w) => w.days.has(weekday));
  }

  private instant(date: string, minute: number): number {
    const day = minute >= 1440 ? addDays(date, 1) : date;
    const m = minute % 1440;
    const r = parseTriggerTime(`${day} ${pad(Math.floor(m / 60))}:${pad(m % 60)}:00`, this.zone);
    if (!r.ok) throw new Error(r.error);
    return r.utcMs;
  }

  private local(ms: number): { date: string; weekday: number; minute: number } {
    const text = formatInZone(ms, this.zone);
    const date = text.slice(0, 10);
    return {
      date,
      weekday: new Date(`${date}T00:00:00Z`).getUTCDay(),
      minute: Number(text.slice(11, 13)) * 60 + Number(text.slice(14, 16)),
    };
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function parseWindows(text: string): Window[] {
  const bad = (part: string, why: string) =>
    new ValidationError(
      `AICS_AGENT_HOURS: "${part}" ${why} (e.g. "mon-fri 09:00-18:00, sat 10:00-16:00" or "09:00-21:00")`,
      'AICS_AGENT_HOURS',
    );
  return text
    .split(/[,;，；]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const m =
        /^(?:([a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*\/\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+)?(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/i.exec(
          part,
        );
      if (!m) throw bad(part, 'is not [days] HH:MM-HH:MM');
      const from = Number(m[2]) * 60 + Number(m[3]);
      const to = Number(m[4]) * 60 + Number(m[5]);
      if (Number(m[3]) > 59 || Number(m[5]) > 59 || from >= 1440 || to > 1440) throw bad(part, 'has a time that is not on the clock');
      if (to <= from) throw bad(part, 'closes before it opens (split a window past midnight in two)');
      const days = new Set<number>();
      for (const range of (m[1] ?? 'mon-sun').toLowerCase().split('/')) {
        const [a, b] = range.split('-').map((s) => DAY_NAMES.indexOf(s.trim()));
        if (a === undefined || a < 0 || (b !== undefined && b < 0))
          throw bad(part, `names a day that is not one of ${DAY_NAMES.join(' ')}`);
        // mon-sun wraps through the week's end: sun is 0 here.
        for (let d = a, n = 0; n < 7; d = (d + 1) % 7, n++) {
          days.add(d);
          if (b === undefined || d === b) break;
        }
      }
      return { days, from, to };
    });
}

function parseHolidays(text: string): Set<string> {
  const out = new Set<string>();
  for (const part of text.split(/[,;，；\s]+/).filter(Boolean)) {
    const m = /^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$/.exec(part);
    const valid = (d: string) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
    if (!m || !valid(m[1]!) || (m[2] && !valid(m[2]))) {
      throw new ValidationError(
        `AICS_AGENT_HOLIDAYS: "${part}" is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)`,
        'AICS_AGENT_HOLIDAYS',
      );
    }
    const end = m[2] ?? m[1]!;
    if (end < m[1]!) throw new ValidationError(`AICS_AGENT_HOLIDAYS: "${part}" ends before it starts`, 'AICS_AGENT_HOLIDAYS');
    for (let d = m[1]!, n = 0; d <= end && n < 366; d = addDays(d, 1), n++) out.add(d);
  }
  return out;
}
