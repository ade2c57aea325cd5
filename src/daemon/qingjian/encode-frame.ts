/**
 * Outbound (daemon → bridge) frames: acks of events, pings, pongs and the `send_text` / `send_file` commands, each
 * carrying the caller's `req_id`. The daemon's own send commands (ports.ts) are mapped onto the bridge's here, so a
 * vendor's field names change here and nowhere else. Pure: no I/O.
 */
import type { FileCommand, TextCommand } from '../ports.js';
import { MAX_REQ_ID_LENGTH, type BridgeCommand } from './frames.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The daemon's text send as the bridge's `send_text` command (anything but an object is left for checkCommand). */
export function textCommand(c: TextCommand): BridgeCommand {
  const data = isObject(c) ? { acc_id: c.acc_id, to_id: c.to_id, content: c.content } : c;
  return { cmd: 'send_text', data };
}

/** The daemon's file or image send as the bridge's `send_file` command. */
export function fileCommand(c: FileCommand): BridgeCommand {
  const data = isObject(c)
    ? { acc_id: c.acc_id, to_id: c.to_id, kind: c.kind, file_url: c.file_url, file_path: c.file_path, file_name: c.file_name }
    : c;
  return { cmd: 'send_file', data };
}

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
