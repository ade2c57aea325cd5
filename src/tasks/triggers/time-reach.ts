/** `time_reach`: the clock fires the task once, at a time in the configured zone (or with an offset). */
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { text } from '../fields.js';
import { parseTriggerTime } from '../time.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';

export const timeReachTrigger = z.object({
  type: z.literal('time_reach'),
  /** "2026-02-28 09:00:00" in the configured zone, or ISO 8601 with an offset. */
  time: text(40),
});

export const timeReach = defineTrigger<z.infer<typeof timeReachTrigger>>({
  type: 'time_reach',
  summary: 'the clock reaches a time (once)',
  schema: timeReachTrigger,
  firedBy: ['clock'],
  customerOf: () => null,
  dueAt(t, _nowMs, zone) {
    const parsed = parseTriggerTime(t.time, zone);
    if (!parsed.ok) throw new ValidationError(`trigger.time: ${parsed.error}`, 'trigger.time');
    return parsed.utcMs;
  },
  // Its timeout window starts at the time, so a task for next week does not expire before it fires, and one missed
  // while no daemon ran still fires late inside the window.
  expiry: 'from-due',
  dueField: 'time',
  columns: (t) => ({ ...EMPTY_COLUMNS, trigger_time: t.time }),
  problem(taskId, t) {
    if (typeof t.time === 'string' && t.time.trim() !== '') return null;
    return (
      `time_reach trigger has no time (the Python system's tasks.db has no column for it): it will never fire; ` +
      `set it with \`aics task reschedule ${taskId} --time "YYYY-MM-DD HH:MM:SS"\` or cancel it with \`aics task cancel ${taskId} --reason …\``
    );
  },
  cli: {
    impliedBy: 'time',
    flags: [
      {
        name: 'time',
        kind: 'string',
        summary: 'When a time_reach task fires: "YYYY-MM-DD HH:MM:SS" in AICS_TZ, or ISO 8601 with an offset.',
        helpValue: 'TIME',
      },
    ],
    fromFlags: (f) => ({ type: 'time_reach', time: f.time }),
    fieldFlags: { time: '--time' },
  },
  display: { condition: (t) => (typeof t.time === 'string' && t.time ? t.time : '(no time: see task status)') },
});
