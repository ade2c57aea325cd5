/** Request and response bodies of the HTTP API: the contract between the daemon and its clients. */
import type { StoreFileSizes, StoreStats, TaskAttempt, TaskEvent, TaskPage, TaskRecord } from '../store/index.js';
import type { TaskPayloadInput, TaskStatus, TriggerType } from '../tasks/index.js';

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

/** GET /api/task/status/:task_id: the whole task and its history. */
/** The task, its history of status changes and its action attempts (req_id, outcome, error). */
export type StatusData = TaskRecord & { events: TaskEvent[]; attempts: TaskAttempt[]; warnings?: string[] };

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
export type ListData = TaskPage;

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
  qingjian: { connected: boolean; state: 'disabled' | 'connecting' | 'connected' | 'disconnected' | 'stopped'; url?: string; [more: string]: unknown };
  /** file_bytes and wal_bytes only for a store kept in a local file (SQLite). */
  db: Pick<StoreStats, 'file' | 'schema_version' | 'total' | 'oldest_pending' | 'next_due'> & Partial<StoreFileSizes>;
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
