/**
 * Reading the daemon's log file for `aics logs grep`: filters (pattern, level, task, customer, since) and a reader
 * that can follow the file like `tail -F`, across logrotate's rename-and-create, copytruncate and SIGUSR2 reopen.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLevelName } from './config.js';
import { NotFoundError, ValidationError } from './errors.js';
import { LEVELS, formatRecord, levelNumber, parseRecord, printable } from './log.js';
import { GuardedPattern, type LinePattern } from './log-pattern.js';
import { parseTriggerTime } from './tasks/index.js';

export interface LogFilter {
  /** Tested against the readable form of the line (what the operator sees). */
  pattern?: LinePattern;
  /** This level and above. */
  minLevel?: LogLevelName;
  taskId?: string;
  customerId?: string;
  sinceMs?: number;
}

export interface LogMatch {
  raw: string;
  record: Record<string, unknown> | null;
  text: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `2h`, `90s`, `1d` before now, or a time: ISO 8601, or "2026-02-28 09:00" in the configured zone. */
export function parseSince(text: string, nowMs: number, zone: string): number {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(text.trim());
  if (rel) return nowMs - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()} 00:00:00` : text;
  const parsed = parseTriggerTime(iso, zone);
  if (!parsed.ok)
    throw new ValidationError(`--since: "${text}" is neither a duration (10m, 2h, 1d) nor a time (${parsed.error})`, '--since');
  return parsed.utcMs;
}

export function compilePattern(pattern: string | undefined, ignoreCase: boolean): GuardedPattern | undefined {
  if (pattern === undefined || pattern === '') return undefined;
  try {
    return new GuardedPattern(new RegExp(pattern, ignoreCase ? 'iu' : 'u'));
  } catch (error) {
    throw new ValidationError(`PATTERN: ${(error as Error).message}`, 'PATTERN');
  }
}

function recordTime(record: Record<string, unknown>): number {
  const t = record.time;
  return typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;
}

/** The line if it passes every filter; a line that is not JSON passes only a pattern-only filter. */
export function matchLine(raw: string, filter: LogFilter, zone: string): LogMatch | null {
  if (raw.trim() === '') return null;
  const record = parseRecord(raw);
  const structured =
    filter.minLevel !== undefined || filter.taskId !== undefined || filter.customerId !== undefined || filter.sinceMs !== undefined;
  if (!record) {
    if (structured) return null;
    return !filter.pattern || filter.pattern.test(raw) ? { raw, record: null, text: printable(raw.replace(/\r?\n$/, '')) } : null;
  }
  if (filter.minLevel !== undefined && (levelNumber(record.level) ?? 0) < LEVELS[filter.minLevel]) return null;
  if (filter.taskId !== undefined && record.task_id !== filter.taskId) return null;
  if (filter.customerId !== undefined && record.customer_id !== filter.customerId) return null;
  if (filter.sinceMs !== undefined && !(recordTime(record) >= filter.sinceMs)) return null;
  const text = formatRecord(record, { zone });
  if (filter.pattern && !filter.pattern.test(text)) return null;
  return { raw, record, text };
}

export interface ReadOptions {
  follow?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * The file's lines from its start; with follow, then the lines appended later, forever (until the signal aborts).
 * Following survives the file being renamed and recreated (the old file is read to its end first), truncated in
 * place, or not existing yet.
 */
export async function* readLogLines(path: string, options: ReadOptions = {}): AsyncGenerator<string> {
  const pollMs = options.pollMs ?? 200;
  let fd: number | null = openOrNull(path);
  if (fd === null && !options.follow) {
    throw new NotFoundError(`log file ${path} does not exist: is the daemon logging elsewhere? (--log-file, AICS_LOG_FILE)`);
  }
  let position = 0;
  let inode = fd === null ? -1 : fstatSync(fd).ino;
  let pending = Buffer.alloc(0);
  const buffer = Buffer.alloc(CHUNK);
  const drain = function* (): Generator<string> {
    if (fd === null) return;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, position);
      if (n <= 0) return;
      position += n;
      pending = Buffer.concat([pending, buffer.subarray(0, n)]);
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        yield pending.subarray(0, nl).toString('utf8');
        pending = pending.subarray(nl + 1);
      }
    }
  };
  try {
    for (;;) {
      yield* drain();
      if (!options.follow) {
        if (pending.length > 0) yield pending.toString('utf8');
        return;
      }
      if (options.signal?.aborted) return;
      try {
        await sleep(pollMs, undefined, { signal: options.signal });
      } catch {
        return; // aborted
      }
      let current: { ino: number; size: number } | null = null;
      try {
        current = statSync(path);
      } catch {
        current = null; // moved away, not recreated yet: keep reading the old file
      }
      if (current && current.ino !== inode) {
        // Rotated: finish the old file, then start on the new one from its beginning.
        yield* drain();
        if (pending.length > 0) yield pending.toString('utf8');
        if (fd !== null) closeSync(fd);
        fd = openOrNull(path);
        inode = fd === null ? -1 : fstatSync(fd).ino;
        position = 0;
        pending = Buffer.alloc(0);
      } else if (current && fd !== null && current.size < position) {
        // Truncated in place (copytruncate): read again from the start.
        position = 0;
        pending = Buffer.alloc(0);
      }
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
