/**
 * What every use case is given, whoever calls it (an HTTP route in the daemon, a command in a terminal): the store,
 * somewhere to log, a clock and a way to wake the scheduler. Use cases import nothing from commands, HTTP, the TUI or
 * the daemon, so both paths validate, write, log and wake the same way.
 */
import type { Store } from '../store/index.js';

/** The two log levels a use case writes; pino's Logger is one, and so is a logger that drops everything. */
export interface AppLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export const SILENT_LOGGER: AppLogger = { info: () => undefined, warn: () => undefined };

export interface AppContext {
  store: Pick<Store, 'tasks'>;
  logger: AppLogger;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /**
   * A task may have become due: the daemon pokes its scheduler; a command has no scheduler in its process and passes
   * nothing (a running daemon notices the change on its next poll, within a second).
   */
  wake?: (taskId: string) => void;
}

/** Who asks: "api:127.0.0.1" from the HTTP API, "cli:root" from a terminal. Kept in the task's history. */
export interface Caller {
  actor: string;
}
