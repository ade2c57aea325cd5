/**
 * The 轻简 (Qingjian) bridge protocol: the one place that knows the vendor's frame shapes (DESIGN.md, "Qingjian
 * bridge protocol"). Pure: no I/O, no timers, no sockets; `client.ts` does the talking.
 *
 * Inbound (bridge → daemon) is parsed leniently: unknown fields are kept (`extra`), common aliases of other
 * WeCom/WeChat bridges are mapped (MESSAGE_FIELD_ALIASES), ids sent as numbers become strings. A frame that cannot be
 * used (not JSON, not an object, a required field missing or of the wrong type, too large) yields a reason instead of
 * throwing, plus its event_id when one could be read, so the client can ack a poison event instead of having it
 * delivered forever.
 *
 * Outbound (daemon → bridge) frames are built here: acks of events, pings, pongs and the `send_text` / `send_file`
 * commands, each carrying the caller's `req_id`.
 *
 * When the real vendor format is known, the mapping is changed here and nowhere else.
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

type Obj = Record<string, unknown>;

class Malformed extends Error {}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id: a non-empty string, or a finite number / bigint (some bridges send numeric ids). */
function idValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

function requiredId(obj: Obj, field: string): string {
  const v = obj[field];
  const id = idValue(v);
  if (id === undefined) throw new Malformed(v === undefined || v === null || v === '' ? `missing ${field}` : `${field} is not a string`);
  return id;
}

function optionalId(obj: Obj, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  const id = idValue(v);
  if (id === undefined && v !== '') throw new Malformed(`${field} is not a string`);
  return id;
}

function optionalString(obj: Obj, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Malformed(`${field} is not a string`);
  return v;
}

/** A time or size: a finite number, or a string of digits. */
function optionalNumber(obj: Obj, field: string): number | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  throw new Malformed(`${field} is not a number`);
}

function optionalBoolean(obj: Obj, field: string): boolean | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new Malformed(`${field} is not a boolean`);
}

const MESSAGE_KNOWN = new Set([
  'msg_id',
  'acc_id',
  'from_id',
  'from_name',
  'chat_id',
  'chat_type',
  'msg_type',
  'content',
  'is_self',
  'send_time',
  'file',
]);

/** Maps a message event's `data` onto a BridgeMessage; throws Malformed. */
function toMessage(data: Obj, eventId: string | null, ts: number): BridgeMessage {
  const fields: Obj = {};
  const extra: Obj = {};
  for (const [key, value] of Object.entries(data)) {
    if (MESSAGE_KNOWN.has(key)) fields[key] = value;
    else if (!(key in MESSAGE_FIELD_ALIASES)) extra[key] = value;
  }
  for (const [alias, canonical] of Object.entries(MESSAGE_FIELD_ALIASES)) {
    if (data[alias] !== undefined && data[alias] !== null && (fields[canonical] === undefined || fields[canonical] === null)) {
      fields[canonical] = data[alias];
    }
  }
  const content = fields.content;
  if (content !== undefined && content !== null && typeof content !== 'string') throw new Malformed('content is not a string');
  let file: BridgeFile | undefined;
  if (fields.file !== undefined && fields.file !== null) {
    if (!isObject(fields.file)) throw new Malformed('file is not an object');
    file = { ...fields.file };
    for (const f of ['name', 'url', 'path'] as const) optionalString(file, f);
    const size = optionalNumber(file, 'size');
    if (size !== undefined) file.size = size;
  }
  const message: BridgeMessage = {
    msg_id: requiredId(fields, 'msg_id'),
    event_id: eventId,
    ts,
    acc_id: requiredId(fields, 'acc_id'),
    from_id: requiredId(fields, 'from_id'),
    content: typeof content === 'string' ? content : '',
    chat_type: optionalString(fields, 'chat_type') ?? 'single',
    msg_type: optionalString(fields, 'msg_type') ?? 'text',
    is_self: optionalBoolean(fields, 'is_self') ?? false,
    extra,
  };
  const fromName = optionalString(fields, 'from_name');
  if (fromName !== undefined) message.from_name = fromName;
  const chatId = optionalId(fields, 'chat_id');
  if (chatId !== undefined) message.chat_id = chatId;
  const sendTime = optionalNumber(fields, 'send_time');
  if (sendTime !== undefined) message.send_time = sendTime;
  if (file) message.file = file;
  return message;
}

function toAccountEvent(event: AccountEventName, data: Obj, eventId: string | null, ts: number): AccountEvent {
  const accIds: string[] = [];
  const list = data.accounts;
  if (Array.isArray(list)) {
    for (const item of list) {
      const id = isObject(item) ? idValue(item.acc_id) : idValue(item);
      if (id !== undefined) accIds.push(id);
    }
  }
  const messageText = optionalString(data, 'msg') ?? optionalString(data, 'message') ?? optionalString(data, 'error') ?? null;
  return {
    event,
    event_id: eventId,
    ts,
    acc_id: optionalId(data, 'acc_id') ?? null,
    acc_ids: accIds,
    code: optionalNumber(data, 'code') ?? null,
    message: messageText,
    data,
  };
}

function toAck(frame: Obj): SendAck {
  const reqId = requiredId(frame, 'req_id');
  const code = optionalNumber(frame, 'code');
  let ok = optionalBoolean(frame, 'ok');
  if (ok === undefined) {
    if (code === undefined) throw new Malformed('ack has neither ok nor code');
    ok = code === 0;
  }
  const data = frame.data === undefined || frame.data === null ? {} : frame.data;
  if (!isObject(data)) throw new Malformed('data is not an object');
  return {
    req_id: reqId,
    ok,
    code: code ?? (ok ? 0 : -1),
    msg: optionalString(frame, 'msg') ?? optionalString(frame, 'message') ?? (ok ? 'ok' : 'failed'),
    msg_id: optionalId(data, 'msg_id') ?? optionalId(data, 'msgId') ?? null,
    retryable: optionalBoolean(frame, 'retryable') ?? null,
    data,
  };
}

/**
 * Parses one inbound text frame. Never throws. `nowMs` stands in for a missing `ts`.
 */
export function parseInboundFrame(raw: string, options: { maxBytes?: number; nowMs?: number } = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
  // A UTF-8 character is at most 3 bytes per UTF-16 unit, so skip the exact count when the string is clearly small.
  if (raw.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > maxBytes) return { ok: false, reason: `frame too large (${bytes} bytes > ${maxBytes})`, event_id: null };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON', event_id: null };
  }
  if (!isObject(parsed)) return { ok: false, reason: 'not a JSON object', event_id: null };
  const frame = parsed;
  let eventId: string | null = null;
  try {
    let type = frame.type;
    if (type === undefined && typeof frame.event === 'string') type = 'event';
    if (typeof type !== 'string') throw new Malformed(type === undefined ? 'missing type' : 'type is not a string');
    const ts = optionalNumber(frame, 'ts');
    switch (type) {
      case 'event': {
        eventId = optionalId(frame, 'event_id') ?? null;
        const event = frame.event;
        if (typeof event !== 'string' || event === '') throw new Malformed('missing event');
        const data = frame.data === undefined || frame.data === null ? {} : frame.data;
        if (!isObject(data)) throw new Malformed('data is not an object');
        const at = ts ?? options.nowMs ?? Date.now();
        if (event === 'message') return { ok: true, frame: { type: 'message', message: toMessage(data, eventId, at) } };
        if ((ACCOUNT_EVENTS as readonly string[]).includes(event)) {
          return { ok: true, frame: { type: 'account', account: toAccountEvent(event as AccountEventName, data, eventId, at) } };
        }
        return { ok: true, frame: { type: 'event', event, event_id: eventId, ts: at, data } };
      }
      case 'ack':
        return { ok: true, frame: { type: 'ack', ack: toAck(frame) } };
      case 'pong':
      case 'ping':
        return { ok: true, frame: { type, ts: ts ?? null } };
      default:
        return { ok: true, frame: { type: 'unknown', frame_type: type, frame } };
    }
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, reason: err.message, event_id: eventId };
    throw err;
  }
}

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

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** Why a req_id cannot be used, or null. */
export function checkReqId(reqId: unknown): string | null {
  if (!nonEmpty(reqId)) return 'req_id must be a non-empty string';
  if (reqId.length > MAX_REQ_ID_LENGTH) return `req_id is longer than ${MAX_REQ_ID_LENGTH} characters`;
  return null;
}

/** Why a command cannot be sent as it is, or null. */
export function checkCommand(command: BridgeCommand): string | null {
  const d = command.data as unknown as Obj;
  if (!isObject(d)) return 'data must be an object';
  if (!nonEmpty(d.acc_id)) return 'acc_id must be a non-empty string';
  if (!nonEmpty(d.to_id)) return 'to_id must be a non-empty string';
  if (command.cmd === 'send_text') {
    if (!nonEmpty(d.content)) return 'content must be a non-empty string';
    return null;
  }
  if (d.kind !== 'file' && d.kind !== 'image') return 'kind must be "file" or "image"';
  const hasUrl = nonEmpty(d.file_url);
  const hasPath = nonEmpty(d.file_path);
  if (hasUrl === hasPath) return 'exactly one of file_url and file_path is needed';
  if (d.file_name !== undefined && !nonEmpty(d.file_name)) return 'file_name must be a non-empty string when given';
  return null;
}

/** `{"type":"cmd","cmd":…,"req_id":…,"data":{…}}`, with only the known fields of `data`, in a stable order. */
export function encodeCommand(command: BridgeCommand, reqId: string): string {
  let data: Obj;
  if (command.cmd === 'send_text') {
    const d = command.data;
    data = { acc_id: d.acc_id, to_id: d.to_id, content: d.content };
  } else {
    const d = command.data;
    data = { acc_id: d.acc_id, to_id: d.to_id, kind: d.kind };
    if (d.file_url !== undefined) data.file_url = d.file_url;
    if (d.file_path !== undefined) data.file_path = d.file_path;
    if (d.file_name !== undefined) data.file_name = d.file_name;
  }
  return JSON.stringify({ type: 'cmd', cmd: command.cmd, req_id: reqId, data });
}

export function encodeEventAck(eventId: string): string {
  return JSON.stringify({ type: 'ack', event_id: eventId });
}

export function encodePing(ts: number): string {
  return JSON.stringify({ type: 'ping', ts });
}

export function encodePong(ts: number | null): string {
  return JSON.stringify(ts === null ? { type: 'pong' } : { type: 'pong', ts });
}
