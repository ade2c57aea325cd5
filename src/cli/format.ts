/** How tasks look on an operator's terminal: tables (cli-table3) and times in the configured zone. */
import Table from 'cli-table3';
import type { TaskEvent, TaskRecord } from '../store/index.js';
import { formatInZone, type Trigger } from '../tasks/index.js';

export function table(head: string[], rows: (string | number)[][]): string {
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
  switch (trigger.type) {
    case 'specified_customer_reply':
    case 'customer_reply':
      return trigger.exact_match ? `= ${trigger.keyword}` : trigger.keyword;
    case 'customer_keyword':
      return (trigger.exact_match ? '= ' : '') + trigger.keywords.join('|');
    case 'customer_payment':
      return trigger.keywords ? trigger.keywords.join('|') : '(payment words)';
    case 'time_reach':
      return trigger.time;
    case 'cron':
      return trigger.expression;
  }
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
