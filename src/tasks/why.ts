/**
 * Why a task has not fired (`aics task status ID --why`), the seed's most common trouble ("任务未触发"). Pure: it is
 * given the task, its history and the customers' recent messages, and says, for each message, why it did not fire
 * the task, and for the task as a whole what it is waiting for.
 */
import { matchesTrigger } from './match.js';
import { keywordMatches, normalizeText } from './normalize.js';
import type { TaskStatus } from './status.js';
import { describeTrigger, isMessageTrigger, type Trigger } from './triggers/index.js';

export interface WhyTask {
  task_id: string;
  status: TaskStatus;
  trigger: Trigger;
  customer_id: string | null;
  acc_id: string | null;
  created_at: string;
  completed_at: string | null;
  expires_at: string | null;
  due_at: string | null;
  target: { msg_id?: string | null; from_id: string; acc_id?: string | null } | null;
}

/** A daemon on the database as `--why` needs it (several daemons on one database). */
export interface WhyDaemon {
  id: string;
  state: 'alive' | 'stale' | 'stopped';
  accounts: readonly string[];
}

export interface WhyEvent {
  at: string;
  to_status: TaskStatus;
}

export interface WhyMessage {
  acc_id: string;
  from_id: string;
  from_name: string | null;
  msg_id: string | null;
  /** null: only the arrival was recorded (the agent was off, so no chat log). */
  text: string | null;
  at_ms: number;
}

export type MessageVerdict =
  | 'fired'
  | 'before the task'
  | 'task already ended'
  | 'task not armed'
  | 'another customer'
  | 'keyword absent'
  | 'not an exact match'
  | 'matched'
  | 'text not recorded';

export interface MessageWhy extends WhyMessage {
  verdict: MessageVerdict;
  reason: string;
}

export interface WhyReport {
  /** What the task as a whole is waiting for, or why it can no longer fire. */
  summary: string[];
  messages: MessageWhy[];
}

function keywordsOf(t: Trigger): { words: readonly string[]; exact: boolean } {
  return describeTrigger(t).keywords?.(t) ?? { words: [], exact: false };
}

/** The customer a trigger waits for, if it names one. */
export function awaitedCustomer(t: Trigger): string | null {
  return describeTrigger(t).customerOf(t);
}

/** The task's status at a moment, from its history (the status after the last event at or before it). */
function statusAt(events: readonly WhyEvent[], atMs: number): TaskStatus | null {
  let status: TaskStatus | null = null;
  for (const e of events) {
    if (Date.parse(e.at) > atMs) break;
    status = e.to_status;
  }
  return status;
}

/**
 * With several daemons on the database each fires only its own accounts' tasks: a task whose account no daemon
 * alive serves waits for one (never sent through another account). Alone, a daemon fires everything.
 */
function waitsForDaemon(task: WhyTask, daemons: readonly WhyDaemon[]): string[] {
  const account = task.target?.acc_id ?? task.acc_id;
  if (daemons.length < 2 || !account) return [];
  const serving = daemons.filter((d) => d.accounts.includes(account));
  if (serving.some((d) => d.state === 'alive')) return [];
  const gone = serving.map((d) => `${d.id} (${d.state})`).join(', ');
  return [
    `waits for a daemon serving account ${account}: none running serves it${gone ? ` (it was served by ${gone})` : ''}; start "aics serve" with a 轻简 bridge for that account on this database`,
  ];
}

export function explainNotFired(
  task: WhyTask,
  events: readonly WhyEvent[],
  messages: readonly WhyMessage[],
  context: { nowMs: number; paused: boolean; formatTime: (ms: number) => string; daemons?: readonly WhyDaemon[] },
): WhyReport {
  const summary: string[] = [];
  const t = task.trigger;
  const { words, exact } = keywordsOf(t);
  const quoted = words.map((w) => `"${w}"`).join(' or ');
  switch (task.status) {
    case 'pending':
      summary.push(
        'pending: no daemon that can fire it has armed it — start "aics serve" (not --api-only) on this database, with a 轻简 bridge that serves the customer\'s account',
      );
      break;
    case 'waiting':
      if (isMessageTrigger(t.type)) {
        const who = awaitedCustomer(t);
        summary.push(
          `waiting for ${who ? `customer ${who}` : 'any customer'} to say ${quoted}${exact ? ' (exactly, after normalisation)' : ''}`,
        );
      }
      summary.push(...waitsForDaemon(task, context.daemons ?? []));
      if (task.due_at) {
        const due = Date.parse(task.due_at);
        summary.push(
          due > context.nowMs
            ? `due at ${context.formatTime(due)}`
            : `due since ${context.formatTime(due)}: a running daemon with a bridge fires it within a second`,
        );
      }
      break;
    case 'running':
      summary.push('running: it fired and its action is under way (see the attempts)');
      break;
    case 'expired':
      summary.push(
        `expired at ${task.completed_at ?? task.expires_at ?? '?'}: not triggered within timeout_hours; messages after that cannot fire it`,
      );
      break;
    case 'cancelled':
      summary.push(`cancelled at ${task.completed_at ?? '?'}; messages after that cannot fire it`);
      break;
    default:
      summary.push(`${task.status}: it fired${task.target ? ` on a message from ${task.target.from_id}` : ''}`);
  }
  if (task.expires_at && (task.status === 'pending' || task.status === 'waiting')) {
    summary.push(`expires at ${context.formatTime(Date.parse(task.expires_at))} unless triggered`);
  }
  if (context.paused) summary.push('the desk is paused (aics pause): nothing fires until "aics resume"');
  if (!isMessageTrigger(t.type)) return { summary, messages: [] };

  const createdMs = Date.parse(task.created_at);
  const endedMs = task.completed_at && (task.status === 'expired' || task.status === 'cancelled') ? Date.parse(task.completed_at) : null;
  const awaited = awaitedCustomer(t);
  const explained = messages.map((m): MessageWhy => {
    const why = (verdict: MessageVerdict, reason: string): MessageWhy => ({ ...m, verdict, reason });
    if (task.target?.msg_id && m.msg_id === task.target.msg_id) return why('fired', 'this message fired the task');
    if (awaited && m.from_id !== awaited) return why('another customer', `another customer (${m.from_id}); the task waits for ${awaited}`);
    if (m.at_ms < createdMs) return why('before the task', `arrived before the task was created (${context.formatTime(createdMs)})`);
    if (endedMs !== null && m.at_ms >= endedMs) return why('task already ended', `arrived after the task was ${task.status}`);
    if (m.text === null) return why('text not recorded', 'its text was not recorded (the chat log is kept when the agent runs)');
    const matched = matchesTrigger(
      { trigger: t },
      { acc_id: m.acc_id, from_id: m.from_id, from_name: m.from_name ?? undefined, content: m.text },
    );
    if (!matched) {
      const normal = normalizeText(m.text);
      if (exact && words.some((w) => keywordMatches(m.text!, w, false))) {
        return why('not an exact match', `exact_match: "${normal}" is not exactly ${quoted} after normalisation`);
      }
      if (words.some((w) => keywordMatches(m.text!, w, exact))) {
        return why('keyword absent', "the customer name does not match the task's customer_name");
      }
      return why('keyword absent', `${quoted} is not in "${normal}" (after normalisation: width, case, spaces, trailing punctuation)`);
    }
    const then = statusAt(events, m.at_ms);
    if (then === 'pending') {
      return why(
        'task not armed',
        `it says "${matched.keyword}", but the task was still pending: no daemon with a bridge for account ${m.acc_id} had armed it`,
      );
    }
    if (then !== 'waiting')
      return why('task already ended', `it says "${matched.keyword}", but the task was ${then ?? 'not yet stored'} then`);
    return why(
      'matched',
      `it says "${matched.keyword}" while the task was waiting: it should have fired — see "aics logs grep --task ${task.task_id}"`,
    );
  });
  return { summary, messages: explained };
}
