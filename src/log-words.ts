/**
 * The seed's log keywords; every message about these events starts with one of them, so `grep 任务接收` works.
 * Apart from log.ts so that naming them does not load the logger (pino) into a command that never logs.
 */
export const LOG_WORDS = {
  received: '任务接收',
  cancelled: '任务取消',
  triggered: '任务触发',
  completed: '任务完成',
  failed: '任务失败',
  expired: '任务过期',
  retried: '任务重试',
  recovered: '任务恢复',
  dispatched: '派单',
  handoff: '转接人工',
} as const;
