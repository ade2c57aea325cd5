/**
 * Runs a claimed task's action through the bridge and records how it ended: completed (with the bridge's msg_id),
 * a retry after backoff (a retryable error with retries left), or failed. While the send is under way the task's
 * lease is renewed, so a daemon that dies mid-send is noticed within seconds and its task retried elsewhere.
 */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Store, TaskRecord } from '../../store/index.js';
import { checkFileUrl, requestId } from '../../tasks/index.js';
import { errorText, isInDoubt, isNotSent, isRetryable, type Logger, type MessageSender } from '../ports.js';
import { ACTION_BACKOFF, backoffMs, type BackoffPolicy } from './backoff.js';
import { LOG_WORDS } from '../../log.js';

export interface ActionRunnerOptions {
  store: Store;
  sender: MessageSender;
  logger: Logger;
  clock: () => number;
  /** "daemon:host:pid": the lease owner and the actor of events. */
  owner: string;
  leaseMs: number;
  filesDir: string;
  backoff?: BackoffPolicy;
  /** Runs `tick` every `ms` until the returned stop is called: the lease renewal's timer (tests pass a fake one). */
  every?: (ms: number, tick: () => void) => () => void;
}

/** A real interval that does not keep the process alive. */
function realEvery(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** `waiting`: the send never left (the bridge was away); the task waits for the bridge, no attempt spent. */
export type ActionOutcome = 'completed' | 'retry' | 'failed' | 'lost' | 'waiting';

/**
 * How many times one req_id may go out while its outcome is in doubt (no ack in time, the connection dropped after
 * the frame was written, or the daemon died mid-send): the first send and up to 9 repeats, all under the same
 * req_id, never under a new one. A bridge that caches results by req_id answers the repeats from its cache, so the
 * customer gets one message; a bridge without a cache could deliver up to this many copies. After that the task
 * ends `failed`, saying the message may have arrived. A link that drops under load puts many sends in doubt at
 * once, so the bound is not smaller.
 */
export const MAX_SENDS_PER_REQUEST = 10;

/** An error the retry policy should not retry (bad task data rather than a passing fault). */
class FinalError extends Error {
  readonly retryable = false;
}

export class ActionRunner {
  private readonly backoff: BackoffPolicy;

  constructor(private readonly o: ActionRunnerOptions) {
    this.backoff = o.backoff ?? ACTION_BACKOFF;
  }

  async run(task: TaskRecord): Promise<ActionOutcome> {
    const { store, logger, owner } = this.o;
    const reqId = requestId(task);
    const log = { task_id: task.task_id, customer_id: task.target?.from_id ?? task.customer_id, req_id: reqId, attempt: task.attempt };
    const stopRenewing = (this.o.every ?? realEvery)(Math.max(250, Math.floor(this.o.leaseMs / 3)), () => {
      void store.tasks.renewLease(task.task_id, task.attempt, owner, this.o.leaseMs).catch(() => undefined);
    });
    // Earlier attempts with this req_id: each may have reached the customer (in doubt, or a daemon died mid-send).
    let priorSends = 0;
    try {
      priorSends = (await store.tasks.attempts(task.task_id)).filter((a) => a.req_id === reqId && a.attempt < task.attempt).length;
      if (priorSends >= MAX_SENDS_PER_REQUEST) throw new FinalError(inDoubtLimit(reqId, priorSends));
      const result = await this.send(task, reqId);
      const done = await store.tasks.complete(task.task_id, task.attempt, result, owner);
      if (!done) {
        logger.warn(log, `${LOG_WORDS.completed} but the task was no longer ours (lease lost); the result is in the attempts log`);
        return 'lost';
      }
      logger.info({ ...log, msg_id: result.msg_id }, `${LOG_WORDS.completed} ${task.task_id} → ${result.to_id}`);
      return 'completed';
    } catch (error) {
      let message = errorText(error);
      // Never left (轻简 away): not an attempt. The task waits, due as before, until the bridge is back.
      if (isNotSent(error)) {
        const back = await store.tasks.putBack(task.task_id, task.attempt, message, owner);
        if (!back) return 'lost';
        logger.info(
          { ...log, error: message },
          `${task.task_id} not sent: 轻简 is not connected; it waits for the bridge (no attempt spent)`,
        );
        return 'waiting';
      }
      // A send whose ack was lost may have reached the customer: repeat it with the same req_id (a bridge that caches
      // by req_id answers from its cache), at most MAX_SENDS_PER_REQUEST sends in all, never under a new req_id.
      const inDoubt = isInDoubt(error);
      const sends = priorSends + 1;
      if (inDoubt && sends >= MAX_SENDS_PER_REQUEST) message = `${message}; ${inDoubtLimit(reqId, sends)}`;
      const again = inDoubt ? sends < MAX_SENDS_PER_REQUEST : isRetryable(error) && task.retry_count < task.max_retry;
      if (again) {
        const at = this.o.clock() + backoffMs(this.backoff, inDoubt ? 0 : task.retry_count);
        const retried = await store.tasks.retry(task.task_id, task.attempt, message, at, owner, { sameRequest: inDoubt });
        if (!retried) return 'lost';
        logger.warn({ ...log, error: message, retry_at: new Date(at).toISOString() }, `${LOG_WORDS.retried} ${task.task_id}: ${message}`);
        return 'retry';
      }
      const failed = await store.tasks.fail(task.task_id, task.attempt, message, owner);
      if (!failed) return 'lost';
      logger.error({ ...log, error: message }, `${LOG_WORDS.failed} ${task.task_id}: ${message}`);
      return 'failed';
    } finally {
      stopRenewing();
    }
  }

  private async send(task: TaskRecord, reqId: string) {
    const to = task.target?.from_id ?? task.customer_id;
    if (!to) throw new FinalError('no customer to send to (the task has no customer id)');
    const accId = task.target?.acc_id ?? task.acc_id ?? (await this.o.store.inbound.accountFor(to)) ?? this.singleAccount();
    if (!accId) throw new Error(`no WeCom account is known for customer ${to} yet (set customer.acc_id, or wait until they write)`);
    const { sender } = this.o;
    const base = { req_id: reqId, acc_id: accId, to_id: to };
    // The polite sender queues sends by priority, then due time.
    const meta = { priority: task.priority, dueAtMs: task.due_at ? Date.parse(task.due_at) : undefined };
    const action = task.action;
    if (action.type === 'send_message') {
      const r = await sender.sendText({ acc_id: accId, to_id: to, content: action.message }, reqId, meta);
      return { ...base, msg_id: r.msg_id ?? null };
    }
    const file = checkFileUrl(action.file_url, this.o.filesDir);
    if (!file.ok) throw new FinalError(`action.file_url: ${file.error}`);
    const where = file.kind === 'url' ? { file_url: file.value } : { file_path: await realFileInside(file.value, this.o.filesDir) };
    if (action.message) await sender.sendText({ acc_id: accId, to_id: to, content: action.message }, `${reqId}.text`, meta);
    const r = await sender.sendFile(
      {
        acc_id: accId,
        to_id: to,
        kind: action.type === 'send_image' ? 'image' : 'file',
        ...where,
        ...(action.type === 'send_file' && action.file_name ? { file_name: action.file_name } : {}),
      },
      reqId,
      meta,
    );
    return { ...base, msg_id: r.msg_id ?? null };
  }

  /** With one logged-in account there is no doubt which one to send from. */
  private singleAccount(): string | null {
    const accounts = this.o.sender.accounts?.() ?? [];
    return accounts.length === 1 ? accounts[0]! : null;
  }
}

/**
 * checkFileUrl is path arithmetic; this is where the file is about to be read. Resolves symbolic links and refuses
 * a file whose real path is outside the (real) files folder; the bridge gets the real path, so a link swapped
 * afterwards does not redirect it. A path with nothing behind it goes on as it is (the bridge says the file is
 * missing), unless it is a dangling link, which could later be made to point anywhere.
 */
async function realFileInside(path: string, filesDir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    const dangling = await lstat(path).then(
      (s) => s.isSymbolicLink(),
      () => false,
    );
    if (dangling) throw new FinalError(`action.file_url: ${path} is a symbolic link to nothing`);
    return path;
  }
  const root = await realpath(filesDir).catch(() => resolve(filesDir));
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new FinalError(`action.file_url: ${path} leads (through a symbolic link) to ${real}, outside the files folder ${root}`);
  }
  return real;
}

function inDoubtLimit(reqId: string, sends: number): string {
  return `req_id ${reqId} went out ${sends} times without an ack: not sent again (the customer may have received it)`;
}
