/**
 * Where a command's use cases log (`aics task add`, `cancel`, `retry`, `reschedule`): the daemon's log file, so that
 * the seed's `grep 任务接收 logs/aics.log` and `aics logs grep` find a task added in a terminal as they find one
 * received over HTTP, with the same line. Only a log file that exists already (a daemon has run with it, or the
 * operator made it): a command never creates logs/ in whatever folder it runs in. The daemon and the command both
 * append whole lines, so their lines do not mix.
 */
import { existsSync } from 'node:fs';
import { SILENT_LOGGER, type AppLogger } from '../app/index.js';
import { openLog, type DaemonLog } from '../log.js';

export interface CommandLog {
  logger: AppLogger;
  close(): Promise<void>;
}

export function openCommandLog(file: string, level: Parameters<typeof openLog>[0]['level']): CommandLog {
  if (!existsSync(file)) return { logger: SILENT_LOGGER, close: async () => undefined };
  let log: DaemonLog;
  try {
    log = openLog({ file, level });
  } catch {
    // An unwritable log file must not stop the task from being stored: the command's own output says what it did.
    return { logger: SILENT_LOGGER, close: async () => undefined };
  }
  return { logger: log.logger, close: () => log.close() };
}
