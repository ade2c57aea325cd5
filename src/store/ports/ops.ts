/** The operators' reads port: the counts /metrics exports, and what `aics task status --why` shows. */
import type { WhyMessage } from '../../tasks/why.js';

export interface TaskCount {
  status: string;
  trigger_type: string;
  count: number;
}

/** A customer's message as `task status --why` sees it (the task model's shape, read from the store). */
export type SeenMessage = WhyMessage;

export interface OpsStore {
  /** Customers' recent messages (one customer's, with fromId), newest last. */
  recentMessages(options: { fromId?: string; limit: number }): Promise<SeenMessage[]>;
  /** Tasks by status and trigger type. */
  taskCounts(): Promise<TaskCount[]>;
}
