/** How tasks look on an operator's terminal: tables (cli-table3) and times in the configured zone. */
import type TableType from 'cli-table3';
import { createRequire } from 'node:module';
import type { TaskAttempt, TaskEvent, TaskRecord } from '../store/index.js';
import { formatInZone, triggerDescriptor, type Trigger } from '../tasks/index.js';

// Required when a table is drawn, not imported: every command imports this file (base-command.ts for localTime),
// and cli-table3 with its string-width dependencies costs a JSON or one-line answer's start for nothing.
const require = createRequire(import.meta.url);

export function table(head: string[], rows: (string | number)[][]): string {
  const Table = require('cli-table3') as typeof TableType;
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const t = new Table({ head, style: { head: colour ? ['cyan'] : [], border: colour ? ['grey'] : [] } });
  t.push(...rows.map((r) => r.map((c) => String(c))));
  return t.toString();
}

export function localTime(isoText: string | null | undefined, zone: string): string {
  if (!isoText) return '-';
  const ms = Date.parse(isoText);
  return Number.isNaN(ms) ? isoText : formatInZone(ms, zone);
}

/** The condition of a trigger in a few words: `好的`, `好的|可以|行`, `2026-02-28 09:00:00`, `0 9 * * *`. */
export function triggerCondition(trigger: Trigger): string {
  // Adopted rows may lack what the schema requires (a time_reach row from the Python system has no time).
  const descriptor = triggerDescriptor((trigger as { type: string }).type);
  return descriptor ? descriptor.display.condition(trigger) : `(unknown trigger ${String((trigger as { type: unknown }).type)})`;
}

export function actionSummary(task: TaskRecord): string {
  const a = task.action;
  const text = a.type === 'send_message' ? a.message : a.file_url;
  return `${a.type}: ${truncate(text, 40)}`;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function taskRows(tasks: TaskRecord[], zone: string): (string | number)[][] {
  return tasks.map((t) => [
    t.task_id,
    t.status,
    t.trigger.type,
    t.customer_id ? `${t.customer_id}${t.customer_name ? ` ${t.customer_name}` : ''}` : '*',
    truncate(triggerCondition(t.trigger), 30),
    actionSummary(t),
    t.priority,
    localTime(t.created_at, zone),
  ]);
}

export const TASK_HEAD = ['TASK_ID', 'STATUS', 'TRIGGER', 'CUSTOMER', 'WHEN', 'ACTION', 'PRIORITY', 'CREATED'];

export function eventRows(events: TaskEvent[], zone: string): (string | number)[][] {
  return events.map((e) => [localTime(e.at, zone), `${e.from_status ?? '∅'} → ${e.to_status}`, e.reason ?? '', e.actor ?? '']);
}

/** 1536 → "1.5 KiB": file sizes for operators. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 93784 → "1d 2h 3m 4s": an uptime for operators. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return first === -1
    ? '0s'
    : parts
        .slice(first)
        .map(([n, u]) => `${n}${u}`)
        .join(' ');
}

/** Aligned "label  value" lines; rows whose value is undefined are left out. */
export function keyValues(rows: [string, string | number | undefined][], indent = ''): string {
  const shown = rows.filter((r): r is [string, string | number] => r[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n');
}

function customerText(id: string | null, name: string | null): string {
  return id ? `${id}${name ? ` ${name}` : ''}` : '(any customer)';
}

/** The trigger in one line: `specified_customer_reply: 好的 (customer customer_123 小明)`. */
export function triggerSummary(trigger: Trigger): string {
  // The one customer who can fire it; the seed's specified_customer_reply also names them.
  const customer = triggerDescriptor(trigger.type)?.customerOf(trigger) ?? null;
  const name = 'customer_name' in trigger ? (trigger.customer_name ?? null) : null;
  const who = customer ? ` (customer ${name ? customerText(customer, name) : customer})` : '';
  return `${trigger.type}: ${triggerCondition(trigger)}${who}`;
}

/** The key fields of one task, for `task add` (short) and `task status` (full). */
export function taskDetails(task: TaskRecord, zone: string, full = true): string {
  const a = task.action;
  const action =
    a.type === 'send_message' ? `send_message: ${a.message}` : `${a.type}: ${a.file_url}${a.message ? ` (with text: ${a.message})` : ''}`;
  const rows: [string, string | number | undefined][] = [
    ['task_id', task.task_id],
    ['status', task.status],
    ['type', task.type],
    ['customer', customerText(task.customer_id, task.customer_name) + (task.acc_id ? ` via ${task.acc_id}` : '')],
    ['trigger', triggerSummary(task.trigger)],
    ['action', action],
    ['priority', task.priority],
    ...(full ? [] : ([['problem', task.problem]] as [string, string | undefined][])),
    ['due', task.due_at ? localTime(task.due_at, zone) : undefined],
    [
      'expires',
      task.expires_at
        ? localTime(task.expires_at, zone)
        : triggerDescriptor(task.trigger.type)?.expiry === 'never'
          ? 'never (recurring)'
          : undefined,
    ],
  ];
  if (full) {
    rows.push(
      ['timeout', `${task.timeout_hours} h`],
      ['retries', `${task.retry_count} of ${task.max_retry} (attempts ${task.attempt})`],
      ['created', `${localTime(task.created_at, zone)}${task.created_by ? ` by ${task.created_by}` : ''}`],
      ['triggered', task.triggered_at ? localTime(task.triggered_at, zone) : undefined],
      ['completed', task.completed_at ? localTime(task.completed_at, zone) : undefined],
      [
        'sent to',
        task.target
          ? customerText(task.target.from_id, task.target.from_name) + (task.target.acc_id ? ` via ${task.target.acc_id}` : '')
          : undefined,
      ],
      ['lease', task.lease_owner ? `${task.lease_owner} until ${localTime(task.lease_expires_at, zone)}` : undefined],
      ['problem', task.problem],
      ['error', task.error_message ?? undefined],
      [
        'result',
        task.result === null || task.result === undefined
          ? undefined
          : typeof task.result === 'string'
            ? task.result
            : JSON.stringify(task.result),
      ],
    );
  }
  return keyValues(rows, '  ');
}

export const EVENT_HEAD = ['TIME', 'CHANGE', 'REASON', 'BY'];

export const ATTEMPT_HEAD = ['ATTEMPT', 'REQ_ID', 'STARTED', 'ENDED', 'OUTCOME', 'ERROR'];

export function attemptRows(attempts: TaskAttempt[], zone: string): (string | number)[][] {
  return attempts.map((a) => [
    a.attempt,
    a.req_id,
    localTime(a.started_at, zone),
    localTime(a.ended_at, zone),
    a.outcome ?? 'under way',
    truncate(a.error ?? '', 50),
  ]);
}
