/** What the callback sinks (SQLite and PostgreSQL) share: a receipt's columns, and a row back to a ReceivedCallback. */
import type { CallbackReceipt, ReceivedCallback } from './ports/callbacks.js';
import { safeParse } from './rows.js';

export type ReceivedCallbackRow = Omit<ReceivedCallback, 'body'> & { body: string };

/** received_callbacks' columns after received_at, in this order: event_id, task_id, status, body, remote_address, signature. */
export function callbackValues(receipt: CallbackReceipt): unknown[] {
  const body = receipt.body;
  const field = (name: string): string | null => {
    const v = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  };
  return [
    field('event_id'),
    field('task_id'),
    field('status'),
    JSON.stringify(body ?? null),
    receipt.remoteAddress ?? null,
    receipt.signature ?? null,
  ];
}

/** The body parsed back (kept as text when it was not JSON). */
export const rowToCallback = (row: ReceivedCallbackRow): ReceivedCallback => ({ ...row, body: safeParse(row.body) });
