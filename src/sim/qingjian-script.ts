/**
 * Scripts of customer messages for the 轻简 simulator: a JSON-lines file, one message a line, e.g.
 *
 * ```
 * {"from_id":"customer_123","from_name":"小明","content":"你好","delay_ms":100}
 * {"from_id":"customer_123","content":"好的谢谢","at_ms":2000}
 * {"from_id":"customer_123","content":"我来处理","is_self":true}
 * ```
 *
 * `delay_ms` waits that long after the previous line; `at_ms` instead pushes at that offset from the start of the
 * replay. `acc_id` (default: the simulator's), `is_self`, `msg_type`, `chat_type`, `file` and `msg_id` are passed
 * through. Blank lines and lines starting with `#` are skipped.
 */
import { ValidationError } from '../errors.js';
import type { QingjianSimulator, SimMessageInput, SimPushed } from './qingjian-sim.js';

export interface ScriptLine extends SimMessageInput {
  /** 1-based line number in the file, for messages. */
  line: number;
  delay_ms?: number;
  at_ms?: number;
}

const KNOWN = new Set([
  'from_id',
  'from_name',
  'content',
  'acc_id',
  'is_self',
  'msg_type',
  'chat_type',
  'file',
  'msg_id',
  'delay_ms',
  'at_ms',
]);

/** Parses a script; throws a ValidationError naming the file and line of the first bad line. */
export function parseScript(text: string, source = 'script'): ScriptLine[] {
  const lines: ScriptLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const bad = (why: string) => new ValidationError(`${source}:${line}: ${why}`, 'script');
    let v: unknown;
    try {
      v = JSON.parse(trimmed);
    } catch {
      throw bad('not a JSON object');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not a JSON object');
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
    if (unknown.length > 0) throw bad(`unknown field ${unknown.map((k) => `"${k}"`).join(', ')}`);
    if (typeof o.from_id !== 'string' || o.from_id.trim() === '') throw bad('from_id must be a non-empty string');
    if (typeof o.content !== 'string') throw bad('content must be a string');
    for (const k of ['from_name', 'acc_id', 'msg_type', 'chat_type', 'msg_id'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`${k} must be a string`);
    }
    if (o.is_self !== undefined && typeof o.is_self !== 'boolean') throw bad('is_self must be true or false');
    for (const k of ['delay_ms', 'at_ms'] as const) {
      if (o[k] !== undefined && !(typeof o[k] === 'number' && Number.isFinite(o[k]) && o[k] >= 0)) throw bad(`${k} must be a number ≥ 0`);
    }
    if (o.file !== undefined && (typeof o.file !== 'object' || o.file === null || Array.isArray(o.file)))
      throw bad('file must be an object');
    lines.push({ ...(o as unknown as SimMessageInput), line });
  });
  return lines;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Pushes the lines with their timing; stops early when `signal` aborts. Returns what was pushed. */
export async function replayScript(
  sim: QingjianSimulator,
  lines: readonly ScriptLine[],
  options: { signal?: AbortSignal; onPush?: (line: ScriptLine, pushed: SimPushed) => void } = {},
): Promise<SimPushed[]> {
  const start = Date.now();
  const pushed: SimPushed[] = [];
  for (const l of lines) {
    const wait = l.at_ms !== undefined ? start + l.at_ms - Date.now() : (l.delay_ms ?? 0);
    await abortableSleep(wait, options.signal);
    if (options.signal?.aborted) break;
    const { line: _line, delay_ms: _delay, at_ms: _at, ...message } = l;
    const p = sim.pushMessage(message);
    pushed.push(p);
    options.onPush?.(l, p);
  }
  return pushed;
}
