/**
 * Logging (DESIGN.md "Logs"): pino JSON lines to a file (default `logs/aics.log`, reopened on SIGUSR2 for
 * logrotate) and, optionally, readable lines on a terminal.
 *
 * File lines look like
 *   {"level":"INFO","time":"2026-02-28T01:00:00.000Z","pid":4242,"task_id":"TASK_1","customer_id":"c_1","msg":"任务接收 TASK_1"}
 * The level is written as its upper-case name, not pino's number, so the seed's recipes keep working:
 * `grep ERROR logs/aics.log`, `tail -f logs/aics.log | grep ERROR`. Readers (`aics logs grep`) accept both forms.
 * Times are ISO 8601 in UTC. Messages start with the seed's Chinese keywords (LOG_WORDS), so `grep 任务接收` works.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LogLevelName } from './config.js';
import { AicsError, ExitCode } from './errors.js';
import { formatInZone } from './tasks/index.js';

export type { Logger } from 'pino';

// The seed's log keywords live in log-words.ts (no pino), for code that only names them.
export { LOG_WORDS } from './log-words.js';

/** pino's numbers for its level names. */
export const LEVELS: Record<LogLevelName, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** A record's level as a number, whether the line carries "ERROR" (aics) or 50 (plain pino). */
export function levelNumber(level: unknown): number | null {
  if (typeof level === 'number') return level;
  if (typeof level === 'string') return LEVELS[level.toLowerCase() as LogLevelName] ?? null;
  return null;
}

function levelName(level: unknown): string {
  const n = levelNumber(level);
  const name = (Object.keys(LEVELS) as LogLevelName[]).find((k) => LEVELS[k] === n);
  return (name ?? String(level ?? '?')).toUpperCase();
}

/** Anything with write(text): process.stdout, a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

export interface LogOptions {
  /** JSON lines go here; null for no file (tests that only look at the terminal). */
  file: string | null;
  level?: LogLevelName;
  /** Where readable lines go (process.stdout in `aics serve`); omitted: nowhere. */
  terminal?: TextSink | null;
  /** 'pretty' (default): readable lines; 'json': the same JSON lines as the file (`aics serve --json`). */
  terminalFormat?: 'pretty' | 'json';
  /** IANA zone of the times on readable lines. */
  timeZone?: string;
  colour?: boolean;
  /** Sees every record logged at or above the level, before it is written (the daemon's metrics count events so). */
  observe?: (fields: Record<string, unknown>, msg: string) => void;
}

export interface DaemonLog {
  readonly logger: Logger;
  readonly file: string | null;
  /** Reopens the file by its name (after logrotate moved it away). */
  reopen(): void;
  /** Writes out what is buffered, synchronously (before a forced exit). */
  flushSync(): void;
  close(): Promise<void>;
}

/** Fails early, with one sentence, when the log file cannot be created or appended to. */
function checkWritable(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new AicsError(
      `log file ${file} cannot be written (${e.code ?? e.message}): check the folder's permissions, or choose another with --log-file / AICS_LOG_FILE`,
      ExitCode.unexpected,
      500,
      '--log-file',
    );
  }
}

export function openLog(options: LogOptions): DaemonLog {
  const file = options.file ? resolve(options.file) : null;
  if (file) checkWritable(file);
  const destination = file ? pino.destination({ dest: file, sync: false, mkdir: true, minLength: 0 }) : null;
  // A write error (disk full, folder removed before a reopen) must not kill the daemon: say it once on stderr.
  let reported = false;
  destination?.on('error', (error: Error) => {
    if (!reported) process.stderr.write(`aics: cannot write log file ${file}: ${error.message}\n`);
    reported = true;
  });
  const terminal = options.terminal ?? null;
  const pretty = (options.terminalFormat ?? 'pretty') === 'pretty';
  const render = { zone: options.timeZone ?? 'UTC', colour: options.colour ?? false };
  const tee: TextSink = {
    write(line: string) {
      destination?.write(line);
      if (terminal) terminal.write(pretty ? `${formatLine(line, render)}\n` : line);
    },
  };
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(options.observe ? { hooks: { logMethod: observing(options.observe) } } : {}),
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      // Defence in depth: nothing logs headers or settings whole, but a token must never reach a log line.
      redact: {
        paths: [
          'authorization',
          'token',
          'apiToken',
          'api_token',
          '*.authorization',
          '*.apiToken',
          'headers.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    tee,
  );
  return {
    logger,
    file,
    reopen() {
      destination?.reopen();
    },
    flushSync() {
      try {
        destination?.flushSync();
      } catch {
        // not open yet, or already closed: nothing buffered that could be written
      }
    },
    close() {
      if (!destination) return Promise.resolve();
      return new Promise<void>((done) => {
        const finish = () => {
          try {
            destination.flushSync();
          } catch {
            // see flushSync
          }
          destination.once('close', () => done());
          destination.end();
        };
        // A log opened and closed at once (a start-up failure) may not have its file descriptor yet.
        if ((destination as unknown as { fd: number }).fd >= 0) finish();
        else destination.once('ready', finish);
      });
    },
  };
}

/** pino's logMethod hook that shows each `(fields, msg)` call to `observe` first; an observer's error is its own. */
function observing(observe: NonNullable<LogOptions['observe']>) {
  return function (this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void) {
    const [first, second] = args as unknown[];
    try {
      if (typeof first === 'string') observe({}, first);
      else if (first && typeof first === 'object') observe(first as Record<string, unknown>, typeof second === 'string' ? second : '');
    } catch {
      // counting must never stop a line from being written
    }
    method.apply(this, args as unknown[]);
  };
}

/** Keys shown in a readable line's head rather than as key=value. */
const HEAD_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

const COLOURS: Record<string, string> = { TRACE: '90', DEBUG: '90', INFO: '32', WARN: '33', ERROR: '31', FATAL: '35' };

/**
 * Control and invisible format characters (escape sequences, bidi overrides, line breaks) written as `\uXXXX`: a
 * customer's name or id must not move the cursor, recolour or rewrite the operator's terminal, or forge a line.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return printable(/[\s="]/.test(value) || value === '' ? JSON.stringify(value) : value);
  return printable(JSON.stringify(value) ?? String(value));
}

/**
 * One record as a readable line: `2026-02-28 09:00:00 INFO  任务接收 TASK_1  task_id=TASK_1 customer_id=c_1`.
 * Times in the given zone; an `err` field adds its stack on the following lines.
 */
export function formatRecord(record: Record<string, unknown>, options: { zone: string; colour?: boolean }): string {
  const ms = typeof record.time === 'number' ? record.time : typeof record.time === 'string' ? Date.parse(record.time) : NaN;
  const time = Number.isNaN(ms) ? '-' : formatInZone(ms, options.zone);
  const level = levelName(record.level).padEnd(5);
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (HEAD_KEYS.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: string; stack?: string; type?: string };
      fields.push(`err=${fieldValue(err.message ?? err.type ?? 'error')}`);
      if (err.stack)
        stack = `\n${err.stack
          .split('\n')
          .map((l) => `    ${printable(l)}`)
          .join('\n')}`;
      continue;
    }
    fields.push(`${printable(key)}=${fieldValue(value)}`);
  }
  const colouredLevel = options.colour ? `\u001b[${COLOURS[level.trim()] ?? '0'}m${level}\u001b[0m` : level;
  const msg = typeof record.msg === 'string' ? printable(record.msg) : '';
  return `${time} ${colouredLevel} ${msg}${fields.length ? `  ${fields.join(' ')}` : ''}${stack}`;
}

/** A JSON line as a readable line; a line that is not a JSON object is shown as it is. */
export function formatLine(line: string, options: { zone: string; colour?: boolean }): string {
  const record = parseRecord(line);
  return record ? formatRecord(record, options) : printable(line.replace(/\r?\n$/, ''));
}

export function parseRecord(line: string): Record<string, unknown> | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
