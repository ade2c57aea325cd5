/**
 * Inbound (bridge → daemon) frames, parsed leniently: unknown fields are kept (`extra`), common aliases of other
 * WeCom/WeChat bridges are mapped (MESSAGE_FIELD_ALIASES), ids sent as numbers become strings. A frame that cannot be
 * used (not JSON, not an object, a required field missing or of the wrong type, too large) yields a reason instead of
 * throwing, plus its event_id when one could be read, so the client can ack a poison event instead of having it
 * delivered forever. Pure: no I/O.
 */
import {
  ACCOUNT_EVENTS,
  DEFAULT_MAX_FRAME_BYTES,
  MESSAGE_FIELD_ALIASES,
  type AccountEvent,
  type AccountEventName,
  type BridgeFile,
  type BridgeMessage,
  type ParseResult,
  type SendAck,
} from './frames.js';

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
