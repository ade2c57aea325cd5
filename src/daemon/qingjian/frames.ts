/**
 * The shapes of the 轻简 (Qingjian) bridge protocol (DESIGN.md, "Qingjian bridge protocol"): its constants, ack codes
 * and frame types. Parsing is in parse-frame.ts, building frames in encode-frame.ts; protocol.ts gathers all three.
 */
import type { CustomerMessage } from '../../tasks/match.js';

export const DEFAULT_QINGJIAN_URL = 'ws://127.0.0.1:9528';

/** Frames larger than this are skipped as malformed (the connection stays up). A text message is a few KiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Longest accepted `req_id`; the engine's are like `TASK_20260227_001#2`. */
export const MAX_REQ_ID_LENGTH = 256;

/**
 * Field names of other bridges → ours, inside a message event's `data`. The canonical name wins when both are present;
 * an alias is consumed either way (it does not reappear in `extra`).
 */
export const MESSAGE_FIELD_ALIASES: Readonly<Record<string, keyof MessageFields>> = {
  sender: 'from_id',
  user_id: 'from_id',
  fromUser: 'from_id',
  sender_name: 'from_name',
  conversation_id: 'chat_id',
  msgId: 'msg_id',
};

/**
 * Codes a bridge puts in a failed ack (`ok:false`). No public list exists for 轻简; this is the convention the
 * daemon and `aics sim qingjian` share. Only the codes in PERMANENT_ACK_CODES say that the request can never succeed
 * as it is (a bad request, an account or customer the bridge does not know, a file it cannot read, a command it does
 * not have): they end the task `failed`. Every other failure — the 5xxx codes below, `500`, any code not listed —
 * may pass, so it is retried within `max_retry` with backoff and jitter. An explicit boolean `retryable` in the ack
 * overrides the code.
 */
export const ACK_CODES = {
  ok: 0,
  invalidRequest: 4000,
  unknownAccount: 4001,
  unknownCustomer: 4002,
  fileUnavailable: 4003,
  unknownCommand: 4004,
  bridgeError: 5000,
  accountOffline: 5001,
  busy: 5002,
  timeout: 5003,
  rateLimited: 5029,
} as const;

/** The failed-ack codes that are final (see ACK_CODES); docs/deploy.md lists them for operators. */
export const PERMANENT_ACK_CODES: ReadonlySet<number> = new Set([
  ACK_CODES.invalidRequest,
  ACK_CODES.unknownAccount,
  ACK_CODES.unknownCustomer,
  ACK_CODES.fileUnavailable,
  ACK_CODES.unknownCommand,
]);

/** Whether a failed ack is worth another attempt: anything but a known permanent code (see ACK_CODES). */
export function isRetryableAck(ack: Pick<SendAck, 'code' | 'retryable'>): boolean {
  if (ack.retryable !== null) return ack.retryable;
  return !PERMANENT_ACK_CODES.has(ack.code);
}

// ───────────────────────────── inbound ─────────────────────────────

export interface BridgeFile {
  name?: string;
  url?: string;
  path?: string;
  size?: number;
  /** Whatever else the bridge sent about the file. */
  [field: string]: unknown;
}

interface MessageFields {
  msg_id: string;
  acc_id: string;
  from_id: string;
  from_name?: string;
  chat_id?: string;
}

/**
 * A message event, aliases mapped: what the trigger engine and the agent consume. It is a `CustomerMessage`
 * (`src/tasks/match.ts`), so it can be handed to `matchesTrigger` as it is.
 */
export interface BridgeMessage extends CustomerMessage {
  msg_id: string;
  /** The event that carried it; null when the bridge sent none (nothing to ack then). */
  event_id: string | null;
  /** The frame's `ts` (ms since the epoch), or the time it arrived when the frame had none. */
  ts: number;
  from_name?: string;
  /** `single` (one customer) or `group`; whatever the bridge says, `single` when absent. */
  chat_type: string;
  /** `text`, `image`, `file`, … as the bridge says; `text` when absent. */
  msg_type: string;
  /** Typed on our own account (a human took over): never a customer reply. `from_id` is still the customer. */
  is_self: boolean;
  chat_id?: string;
  send_time?: number;
  file?: BridgeFile;
  /** Fields of `data` this module does not know, kept as they came. */
  extra: Record<string, unknown>;
}

export const ACCOUNT_EVENTS = ['login', 'logout', 'ready', 'error'] as const;
export type AccountEventName = (typeof ACCOUNT_EVENTS)[number];

/** `login` / `logout` (`{acc_id}`), `ready`, `error`. */
export interface AccountEvent {
  event: AccountEventName;
  event_id: string | null;
  ts: number;
  /** The account concerned, when the event names one. */
  acc_id: string | null;
  /** Accounts listed by a `ready` event (`accounts: [...]` of ids or of `{acc_id}` objects); empty otherwise. */
  acc_ids: string[];
  /** For `error`: the bridge's code and message, when given. */
  code: number | null;
  message: string | null;
  /** The event's `data` as it came. */
  data: Record<string, unknown>;
}

/** The bridge's answer to a command (`{"type":"ack","req_id",…}`). */
export interface SendAck {
  req_id: string;
  ok: boolean;
  code: number;
  msg: string;
  /** The message id WeCom gave the sent message, when the bridge says. */
  msg_id: string | null;
  /** An explicit `retryable` boolean in the ack, else null (then the code decides: isRetryableAck). */
  retryable: boolean | null;
  data: Record<string, unknown>;
}

export type InboundFrame =
  | { type: 'message'; message: BridgeMessage }
  | { type: 'account'; account: AccountEvent }
  /** An event this module has no use for (still acked by the client). */
  | { type: 'event'; event: string; event_id: string | null; ts: number; data: Record<string, unknown> }
  | { type: 'ack'; ack: SendAck }
  | { type: 'pong'; ts: number | null }
  | { type: 'ping'; ts: number | null }
  /** A well-formed frame of a type this module does not know; ignored. */
  | { type: 'unknown'; frame_type: string; frame: Record<string, unknown> };

export type ParseResult =
  | { ok: true; frame: InboundFrame }
  /** `event_id` is set when the malformed frame was an event whose id could still be read. */
  | { ok: false; reason: string; event_id: string | null };

// ───────────────────────────── outbound ─────────────────────────────

export interface SendTextRequest {
  /** Our WeCom account that talks to the customer. */
  acc_id: string;
  /** The customer (`from_id` of their messages). */
  to_id: string;
  content: string;
}

export interface SendFileRequest {
  acc_id: string;
  to_id: string;
  kind: 'file' | 'image';
  /** An http(s) URL the bridge downloads … */
  file_url?: string;
  /** … or a path on the bridge's machine. Exactly one of the two. */
  file_path?: string;
  /** The name the customer sees. */
  file_name?: string;
}

export type BridgeCommand = { cmd: 'send_text'; data: SendTextRequest } | { cmd: 'send_file'; data: SendFileRequest };
