/**
 * The use cases: what the HTTP routes and the commands both do with tasks. Each validates, writes through the
 * store, logs the seed's words and wakes the scheduler the same way whoever calls it.
 */
export { SILENT_LOGGER, type AppContext, type AppLogger, type Caller } from './context.js';
export { receiveTask, type Received, type ReceiveOptions } from './receive-task.js';
export { cancelSchema, cancelTask, type Cancelled } from './cancel-task.js';
export { listTasks, parseListQuery, taskStats, taskStatus, type TaskStatusReport } from './read-tasks.js';
export { failedTaskIds, rescheduleTask, retryTasks } from './change-tasks.js';
export { assertNoDaemonOn, migrateStore, type MigrationReport, type TableCopy } from './migrate-store.js';
export { forgetDaemon, type ForgottenDaemon } from './forget-daemon.js';
