/** A worker process's log line (pino JSON, over IPC) written to the front's log, tagged worker=<index>. */
import type { Logger } from '../../log.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

export function writeWorkerLine(logger: Logger, index: number, line: string): void {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.info({ worker: index }, line.trim());
    return;
  }
  const { level, time: _time, pid, msg, ...rest } = fields;
  const name = String(level ?? 'info').toLowerCase() as Level;
  const write = LEVELS.includes(name) ? name : 'info';
  logger[write]({ ...rest, worker: index, worker_pid: pid }, typeof msg === 'string' ? msg : '');
}
