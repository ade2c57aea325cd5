/**
 * Parsing of `time_reach` times. Pure: the zone is passed in (from AICS_TZ / TZ by the caller).
 *
 * Accepted: "2026-02-28 09:00:00" or "2026-02-28 09:00" or "2026-02-28T09:00:00" — a wall-clock time in the
 * given IANA zone — and ISO 8601 with an offset ("2026-02-28T09:00:00+08:00", "…Z"), which ignores the zone.
 * Across a DST change a wall-clock time that does not exist (spring forward) is moved forward by the gap, and one
 * that exists twice (fall back) takes the earlier instant.
 */
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i;

/** The fields name a real calendar date and clock time (Date.parse and Date.UTC roll 2027-02-31 over to March 3). */
function isRealDateTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  const check = new Date(Date.UTC(year, month - 1, day));
  return (
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

export function isValidTimeZone(zone: string): boolean {
  try {
    zoneFormatter(zone); // kept once built: a valid zone costs a lookup from then on
    return true;
  } catch {
    return false;
  }
}

/** The system's zone, used when nothing is configured. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Building an Intl.DateTimeFormat costs far more than using one (about 0.1 ms): one per zone, kept. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * The last offset computed per zone, by the second it was computed for: every log line and every task received in
 * one second asks for the same one, and formatToParts costs about 10 µs (profiled at 4 % of intake). Zone rules
 * change offsets only at whole seconds, so the second decides.
 */
const lastOffset = new Map<string, { second: number; offsetMs: number }>();

/** Offset of `zone` from UTC at instant `utcMs`, in milliseconds (e.g. +8 h for Asia/Shanghai). */
export function zoneOffsetMs(utcMs: number, zone: string): number {
  const second = Math.floor(utcMs / 1000);
  const last = lastOffset.get(zone);
  if (last?.second === second) return last.offsetMs;
  const parts = zoneFormatter(zone).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offsetMs = asUtc - second * 1000;
  lastOffset.set(zone, { second, offsetMs });
  return offsetMs;
}

export type TimeParseResult = { ok: true; utcMs: number } | { ok: false; error: string };

export function parseTriggerTime(input: string, zone: string): TimeParseResult {
  const text = input.trim();
  const o = WITH_OFFSET.exec(text);
  if (o) {
    const [year, month, day, hour, minute, second, offH, offM] = o.slice(1).map((v) => Number(v ?? 0)) as number[];
    const ms = Date.parse(text.replace(' ', 'T'));
    const real = isRealDateTime(year!, month!, day!, hour!, minute!, second!) && offH! <= 14 && offM! <= 59;
    return Number.isNaN(ms) || !real ? { ok: false, error: `"${input}" is not a valid date and time` } : { ok: true, utcMs: ms };
  }
  const m = WALL_CLOCK.exec(text);
  if (!m) {
    return { ok: false, error: `"${input}" is not a time: use "YYYY-MM-DD HH:MM:SS" or ISO 8601 with an offset` };
  }
  if (!isValidTimeZone(zone)) return { ok: false, error: `unknown time zone "${zone}"` };
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] ? Number(m[6]) : 0;
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const naive = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (!isRealDateTime(year, month, day, hour, minute, second)) {
    return { ok: false, error: `"${input}" is not a valid date and time` };
  }
  // Two passes find the instant whose local wall-clock reading in `zone` is `naive`.
  // The offset is looked up one day before and after: an instant whose reading in `zone` is `naive` uses one of
  // them. The earlier matching candidate wins (fall back); if none matches, the time fell in a spring-forward gap
  // and the later reading is used, which moves it forward by the gap.
  const candidates = [naive - zoneOffsetMs(naive - 86_400_000, zone), naive - zoneOffsetMs(naive + 86_400_000, zone)];
  candidates.sort((a, b) => a - b);
  const exact = candidates.find((c) => c + zoneOffsetMs(c, zone) === naive);
  return { ok: true, utcMs: exact ?? candidates[1]! };
}

/** "2026-02-28 09:00:00" in `zone`: how operators read times on the terminal. */
export function formatInZone(utcMs: number, zone: string): string {
  const local = new Date(utcMs + zoneOffsetMs(utcMs, zone));
  return local.toISOString().slice(0, 19).replace('T', ' ');
}
