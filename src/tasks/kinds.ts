/**
 * The priorities, without zod, for modules that need only them. schema.ts re-exports them, so `tasks/index.js`
 * offers them as before. (The trigger types are the registry's: src/tasks/triggers.)
 */

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Higher fires first when several tasks match one message. */
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };
