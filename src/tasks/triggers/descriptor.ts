/**
 * What the rest of the program needs to know about one trigger type, in one place: its JSON shape, how a customer's
 * message fires it (or that only the clock does), its due time and expiry, who can fire it, how it is kept in the
 * seed's columns, how `aics task add` builds it from flags, and how it is shown. Each trigger type is one file in
 * this folder that exports one descriptor; index.ts lists them and everything else derives from that list. Pure.
 */
import type { z } from 'zod';

/** A customer's message as the bridge delivered it (aliases already mapped). */
export interface CustomerMessage {
  acc_id: string;
  from_id: string;
  from_name?: string;
  content: string;
  /** Typed on our own account: never a customer reply. */
  is_self?: boolean;
}

export interface MatchResult {
  /** The keyword that matched, for the log and the task's result. */
  keyword: string;
}

/**
 * Who can fire a task: the one customer the trigger names, any customer who writes, or the clock. A type may allow
 * two (customer_payment names a customer or not); `customerOf` tells which one a given trigger is.
 */
export type FiredBy = 'one-customer' | 'any-customer' | 'clock';

/**
 * When a task expires: `timeout_hours` after it was received (message triggers), after its due time (a one-off
 * time, so a task for next week does not expire before it fires), or never (a recurring task; each run reschedules).
 */
export type ExpiryWindow = 'from-receipt' | 'from-due' | 'never';

/** The seed's `tasks` columns a trigger is kept in (ours: trigger_json keeps the whole object besides). */
export interface TriggerColumns {
  specified_customer_id: string | null;
  specified_customer_name: string | null;
  trigger_keyword: string | null;
  trigger_keywords: readonly string[] | null;
  exact_match: boolean;
  trigger_time: string | null;
}

/** The seed's columns of a row written by the Python system, read back when its tasks.db is adopted. */
export interface SeedTriggerRow {
  trigger_type: string;
  specified_customer_id: string | null;
  specified_customer_name: string | null;
  customer_id: string | null;
  trigger_keyword: string | null;
  /** trigger_keywords parsed (JSON or "a,b,c"), or the single keyword. */
  keywords: string[];
}

/** A trigger-specific flag of `aics task add` (plain data: the CLI turns it into an oclif flag). */
export interface TriggerFlagSpec {
  name: string;
  summary: string;
  kind: 'string' | 'strings' | 'boolean';
  char?: string;
  helpValue?: string;
}

/** The values of `aics task add`'s flags that a trigger may read, by flag name. */
export interface TriggerFlagValues {
  customer?: string;
  'customer-name'?: string;
  keyword?: string[];
  exact?: boolean;
  [flag: string]: unknown;
}

export interface TriggerDescriptor<T extends { type: string } = { type: string }> {
  type: T['type'];
  /** One line for help and docs. */
  summary: string;
  /** The zod schema of the trigger object (its `type` a literal). */
  schema: z.ZodType<T> & { shape: { type: z.ZodLiteral<T['type']> } };
  firedBy: readonly FiredBy[];
  /** The one customer whose messages alone fire this trigger, or null (any customer, or the clock). */
  customerOf(trigger: T): string | null;
  /** Absent: no message fires it (the clock does). `message` is never our own account's. */
  match?(trigger: T, message: CustomerMessage): MatchResult | null;
  /** The words a message must say, for `task status --why`. */
  keywords?(trigger: T): { words: readonly string[]; exact: boolean };
  /** When it becomes due (ms), or null when it waits for a message. Throws ValidationError naming the field. */
  dueAt?(trigger: T, nowMs: number, zone: string): number | null;
  expiry: ExpiryWindow;
  /** With `from-due`: the field that sets the due time, named when the whole window is already past. */
  dueField?: keyof T & string;
  /** Each successful run waits for the next due time (cron); its runs get their own req_ids. */
  recurring?: boolean;
  columns(trigger: T): TriggerColumns;
  /** The trigger rebuilt from the seed's columns (a row from the Python system); absent: `{ type }` only. */
  fromSeedRow?(row: SeedTriggerRow): Record<string, unknown>;
  /** What a stored trigger lacks to ever fire (adopted rows), as a sentence with the fix; null when complete. */
  problem?(taskId: string, trigger: Partial<T>): string | null;
  cli: {
    /** Its flags beyond the common ones (--customer, --customer-name); giving them for another trigger is refused. */
    flags: readonly TriggerFlagSpec[];
    /** A flag of its own that, given without --trigger, picks this type (--time → time_reach). */
    impliedBy?: string;
    /** The trigger object from the flags, not yet validated (undefined fields are dropped). */
    fromFlags(flags: TriggerFlagValues): Record<string, unknown>;
    /** The flag that sets each field, for errors: { keyword: '--keyword' }. */
    fieldFlags: Readonly<Record<string, string>>;
  };
  display: {
    /** The condition in a few words: `好的`, `好的|可以|行`, `0 9 * * *`. Adopted rows may lack required fields. */
    condition(trigger: Partial<T>): string;
  };
}

/** The descriptor with its trigger type kept, for the registry (methods are bivariant, so any descriptor fits). */
export function defineTrigger<T extends { type: string }>(descriptor: TriggerDescriptor<T>): TriggerDescriptor<T> {
  return descriptor;
}

export const EMPTY_COLUMNS: TriggerColumns = {
  specified_customer_id: null,
  specified_customer_name: null,
  trigger_keyword: null,
  trigger_keywords: null,
  exact_match: false,
  trigger_time: null,
};
