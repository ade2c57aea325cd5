/** Request and response bodies of the HTTP API: the contract between the daemon and its clients. */
import type { Action, Priority, TaskPayloadInput, TaskStatus, Trigger, TriggerType } from '../tasks/index.js';

export const API_PATHS = {
  receive: '/api/task/receive',
  status: '/api/task/status/:task_id',
  cancel: '/api/task/cancel',
  list: '/api/task/list',
  health: '/api/health',
  callback: '/api/task/callback',
  /** Prometheus text format; behind the token like the rest. */
  metrics: '/metrics',
} as const;

/** The service name that /api/health reports, as the seed's did. */
export const SERVICE_NAME = 'ai-cs-tianwang-bridge';

/** The header that carries an HMAC of a callback body, when the sender signs (recorded by the sink). */
export const SIGNATURE_HEADER = 'x-aics-signature';

/** POST /api/task/receive: the task as Tianwang sends it (the seed's example), before defaults. */
export type ReceiveRequest = TaskPayloadInput;
export interface ReceiveData {
  task_id: string;
  status: TaskStatus;
  /** Present when the task is valid but probably not what was meant (an any-customer trigger naming a customer). */
  warnings?: string[];
}

/**
 * A task as the API shows it (the seed's fields first). Its own type rather than the store's record, so that the
 * store can change how it keeps a task without changing what clients read; src/daemon/http/views.ts maps one to
 * the other.
 */
export interface TaskView {
  task_id: string;
  type: string;
  status: TaskStatus;
  priority: Priority;
  customer_id: string | null;
  customer_name: string | null;
  acc_id: string | null;
  trigger: Trigger;
  action: Action;
  timeout_hours: number;
  retry_count: number;
  max_retry: number;
  /** How many times the task was claimed. */
  attempt: number;
  /** Completed runs of a cron task. */
  run_no: number;
  created_at: string;
  created_by: string | null;
  triggered_at: string | null;
  completed_at: string | null;
  updated_at: string | null;
  error_message: string | null;
  result: unknown;
  /** ISO times (UTC) of the next clock firing and of expiry, when they apply. */
  due_at: string | null;
  expires_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** The customer the action goes to, set when the trigger fired. */
  target: { acc_id: string | null; from_id: string; from_name: string | null } | null;
  /** Present only when the task can never fire as stored (adopted from the Python system): what is missing, how to fix it. */
  problem?: string;
}

/** One status change in a task's history. */
export interface TaskEventView {
  id: number;
  task_id: string;
  at: string;
  from_status: TaskStatus | null;
  to_status: TaskStatus;
  reason: string | null;
  actor: string | null;
}

/** One attempt of a task's action: the bridge req_id, when it started and ended, how it ended. */
export interface TaskAttemptView {
  task_id: string;
  attempt: number;
  req_id: string;
  owner: string | null;
  started_at: string;
  ended_at: string | null;
  /** completed | retry | failed | lease_expired; null while under way. */
  outcome: string | null;
  error: string | null;
}

/** A page of tasks, newest first, with the total that matched. */
export interface TaskPageView {
  total: number;
  page: number;
  page_size: number;
  items: TaskView[];
}

/** What /api/health says about the database. */
export interface DbStatsView {
  file: string;
  schema_version: number;
  /** Only for a store kept in a local file (SQLite). */
  file_bytes?: number;
  wal_bytes?: number;
  total: number;
  oldest_pending: { task_id: string; created_at: string } | null;
  next_due: { task_id: string; due_at: string } | null;
}

/** GET /api/task/status/:task_id: the task, its history of status changes and its action attempts. */
export type StatusData = TaskView & { events: TaskEventView[]; attempts: TaskAttemptView[]; warnings?: string[] };

/** POST /api/task/cancel */
export interface CancelRequest {
  task_id: string;
  reason?: string;
}
export interface CancelData {
  task_id: string;
  status: TaskStatus;
  reason: string;
}

/** GET /api/task/list query parameters (all optional). */
export interface ListParams {
  customer_id?: string;
  status?: TaskStatus;
  trigger_type?: TriggerType;
  page?: number;
  page_size?: number;
}
export type ListData = TaskPageView;

export type DaemonModeName = 'api-only' | 'bridge' | 'tianwang';

/** GET /api/health with the token (or on a loopback daemon without one). */
export interface HealthData {
  service: typeof SERVICE_NAME;
  /** "degraded" when a periodic check found the database damaged or replaced (see `problems`). */
  status: 'ok' | 'degraded';
  problems?: string[];
  version: string;
  mode: DaemonModeName;
  agent: boolean;
  pid: number;
  started_at: string;
  uptime_s: number;
  /** The 轻简 bridge connection: `disabled` in api-only; otherwise its state, counters and accounts. */
  qingjian: {
    connected: boolean;
    state: 'disabled' | 'connecting' | 'connected' | 'disconnected' | 'stopped';
    url?: string;
    [more: string]: unknown;
  };
  db: DbStatsView;
  tasks: Record<TaskStatus, number>;
  outbox_backlog: number;
  /** Undelivered callbacks: how many, since when, and the last delivery error. */
  outbox?: { count: number; oldest_at: string | null; last_error: string | null };
  /** Set while the desk is paused (aics pause): since when, by whom, why. */
  paused?: { since: string; by: string | null; reason: string | null } | null;
  /** 派单 orders kept in the outbox because TIANWANG_DISPATCH_URL is unset (not counted in outbox_backlog). */
  dispatch_held?: number;
  /** What keeps the daemon from doing all of its job (bridge away, tasks left pending, orders held); empty when none. */
  warnings?: string[];
  /** The polite sender (AICS_SEND_RATE): its limits a minute (0 = none) and the sends waiting for their turn, by account. */
  sending?: { rate_per_account: number; rate_per_customer: number; waiting: number; waiting_by_account: Record<string, number> };
  /** The daemons on the database (from its registry), this one included. */
  daemons?: DaemonHealth[];
  /** `serve --multi`: each worker process (absent in one process). */
  workers?: WorkerHealth[];
}

/** One daemon on the database: alive (beating), stale (stopped beating: died or cut off) or stopped cleanly. */
export interface DaemonHealth {
  id: string;
  host: string;
  pid: number;
  accounts: string[];
  api_url: string | null;
  version: string | null;
  started_at: string;
  heartbeat_at: string;
  stopped_at: string | null;
  state: 'alive' | 'stale' | 'stopped';
  self: boolean;
}

/** One worker process of `serve --multi`. */
export interface WorkerHealth {
  index: number;
  /** null while it is down (restarting). */
  pid: number | null;
  /** Customers whose messages it was handed since the daemon started. */
  customers: number;
  /** Messages handed to it (or held for it while it restarts) not yet handled. */
  queue: number;
  restarts: number;
  rss_bytes: number | null;
  /** When its process became ready; null while it is down. */
  up_since: string | null;
}

/** GET /api/health without the token on a daemon that requires one: alive, nothing more. */
export interface HealthMinimalData {
  service: typeof SERVICE_NAME;
  status: 'ok';
}

/** POST /api/task/callback (the sink): any JSON object; answered with the id it was recorded under. */
export interface CallbackData {
  id: number;
}
