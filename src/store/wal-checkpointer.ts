/**
 * The daemon's WAL checkpoints, run on a thread of their own. SQLite's automatic checkpoint (every 1,000 WAL pages)
 * runs inside whichever COMMIT crosses the threshold, with its fsync, on the event loop: it is what made a send's p99
 * many times its p50. The daemon's connection turns it off (wal_autocheckpoint=0) and a worker thread with its own
 * connection to the same file copies the WAL into the database instead: PASSIVE four times a second (it never blocks
 * a writer), and TRUNCATE once the -wal file is over a size bound, so the WAL cannot grow without bound.
 *
 * If the thread cannot start or dies, the daemon's connection goes back to the automatic checkpoint and one warning
 * says so: the checkpoints are then slower, never skipped. Short CLI commands never start one (SQLite's default).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';

/** SQLite's default: the fallback, and what the connection goes back to once the checkpointer stops. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointerOptions {
  /**
   * How often the thread runs a PASSIVE checkpoint (ms); default 250: a smaller WAL per checkpoint means a shorter
   * fsync of it, which the daemon's appends to the same file can wait behind (bench/commit-latency.js: p99.9 of a
   * commit 4–5 ms at 200 ms, 8 ms at 1 s). A tick with nothing to copy costs next to nothing.
   */
  intervalMs?: number;
  /** Above this many bytes of -wal file, a TRUNCATE follows the PASSIVE checkpoint; default 64 MiB. */
  truncateAboveBytes?: number;
  /**
   * How long the thread's TRUNCATE waits for readers (ms); default 100. It holds the write lock meanwhile, so the
   * daemon's writes wait too: short, and tried again at the next tick.
   */
  busyTimeoutMs?: number;
  /** Said once when the thread is lost (the fallback), and when the WAL is over the bound but cannot be truncated. */
  onWarning?: (message: string) => void;
  /** Each checkpoint the thread ran (tests, and whoever wants to watch the WAL). */
  onCheckpoint?: (result: CheckpointResult) => void;
  /** better-sqlite3's entry file, loaded by the thread; default the one this module resolves. */
  driverPath?: string;
}

/** One checkpoint: PRAGMA wal_checkpoint's row, and the -wal file's size after it. */
export interface CheckpointResult {
  mode: 'PASSIVE' | 'TRUNCATE';
  /** 1 when the checkpoint could not finish (a writer or a reader was in the way). */
  busy: number;
  /** Frames in the WAL when the checkpoint began. */
  log: number;
  /** Of those, the frames now copied into the database file (all of them after a TRUNCATE that was not busy). */
  checkpointed: number;
  wal_bytes: number;
}

export type CheckpointerState = 'starting' | 'running' | 'fallback' | 'stopped';

type FromThread = { t: 'ready' } | ({ t: 'checkpoint'; id?: number } & CheckpointResult);

/**
 * The thread, as CommonJS evaluated from a string: it then runs the same from the TypeScript sources (vitest) and from
 * dist/, with no file of its own to find. It loads better-sqlite3 from the path the parent resolved.
 */
const THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
const walFile = workerData.file + '-wal';
function walBytes() {
  try { return statSync(walFile).size; } catch { return 0; }
}
function checkpoint() {
  const passive = db.pragma('wal_checkpoint(PASSIVE)')[0];
  const result = { t: 'checkpoint', mode: 'PASSIVE', busy: passive.busy, log: passive.log, checkpointed: passive.checkpointed };
  if (walBytes() > workerData.truncateAboveBytes) {
    // Its own row counts the emptied WAL (0, 0): what was copied is PASSIVE's, and on success every frame.
    const truncate = db.pragma('wal_checkpoint(TRUNCATE)')[0];
    result.mode = 'TRUNCATE';
    result.busy = truncate.busy;
    if (truncate.busy === 0) result.checkpointed = passive.log;
  }
  result.wal_bytes = walBytes();
  return result;
}
const timer = setInterval(() => parentPort.postMessage(checkpoint()), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.t === 'now') parentPort.postMessage({ ...checkpoint(), id: message.id });
  else if (message.t === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ t: 'ready' });
`;

export class WalCheckpointer {
  private worker: Worker | null = null;
  private currentState: CheckpointerState = 'starting';
  /** TRUNCATE attempts in a row that found a reader or another checkpoint in the way. */
  private busyTruncates = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private settleReady: (running: boolean) => void = () => undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  /** true once the thread runs; false if it could not start (the fallback took over). */
  readonly ready: Promise<boolean>;

  /**
   * Turns the automatic checkpoint off on `db` (the daemon's connection to `file`) and starts the thread, which keeps
   * the process alive only while something waits on it (its start, a checkpointNow, a stop).
   */
  constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly options: WalCheckpointerOptions = {},
  ) {
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    db.pragma('wal_autocheckpoint = 0');
    try {
      this.worker = this.spawn();
    } catch (error) {
      this.fallBack(`cannot start: ${messageOf(error)}`);
    }
  }

  get state(): CheckpointerState {
    return this.currentState;
  }

  /** A checkpoint now, on the thread (what the timer runs); rejected when the thread is not running. */
  checkpointNow(): Promise<CheckpointResult> {
    const worker = this.worker;
    if (!worker || this.currentState === 'fallback' || this.currentState === 'stopped') {
      return Promise.reject(new Error(`the WAL checkpointer is not running (${this.currentState})`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.refWhileAwaited();
      worker.postMessage({ t: 'now', id });
    });
  }

  /**
   * Ends the thread (a checkpoint under way finishes first) and gives the connection back its automatic checkpoint,
   * for whatever is still written before it closes. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const worker = this.worker;
      if (worker && this.currentState !== 'fallback') {
        this.currentState = 'stopped';
        // Awaited: the thread keeps the process alive until it has closed its connection.
        worker.ref();
        worker.postMessage({ t: 'stop' });
        // A thread that does not end by itself (stuck in a long checkpoint) is ended.
        const force = setTimeout(() => void worker.terminate(), 5000).unref();
        await this.exited;
        clearTimeout(force);
      }
      this.currentState = 'stopped';
      this.settleReady(false);
      this.rejectPending('the WAL checkpointer stopped');
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    })();
    return this.stopping;
  }

  private spawn(): Worker {
    const o = this.options;
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      // The parent's flags (--input-type=module, a loader such as tsx) would change how this CommonJS string is read.
      execArgv: [],
      workerData: {
        file: this.file,
        driverPath: o.driverPath ?? createRequire(import.meta.url).resolve('better-sqlite3'),
        intervalMs: o.intervalMs ?? 250,
        truncateAboveBytes: o.truncateAboveBytes ?? 64 * 1024 * 1024,
        busyTimeoutMs: o.busyTimeoutMs ?? 100,
      },
    });
    // Kept referenced only while someone waits on it (its start, a checkpointNow): otherwise a process that exits
    // without the daemon's stop must not wait for the thread.
    let lastError: unknown = null;
    worker.on('error', (error) => (lastError = error));
    worker.on('message', (message: FromThread) => this.receive(message));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        if (this.currentState === 'starting' || this.currentState === 'running') {
          this.fallBack(lastError ? messageOf(lastError) : `its thread exited (code ${code})`);
        }
        resolve();
      }),
    );
    return worker;
  }

  private receive(message: FromThread): void {
    if (message.t === 'ready') {
      if (this.currentState === 'starting') this.currentState = 'running';
      this.settleReady(true);
      this.refWhileAwaited();
      return;
    }
    const { t: _t, id, ...result } = message;
    this.warnWhenOverBound(result);
    this.options.onCheckpoint?.(result);
    if (id === undefined) return;
    this.pending.get(id)?.resolve(result);
    this.pending.delete(id);
    this.refWhileAwaited();
  }

  private refWhileAwaited(): void {
    // A stop() under way waits for the thread's exit: a late 'ready' must not unref it (the process would end first).
    if (this.currentState === 'starting' || this.pending.size > 0 || this.stopping) this.worker?.ref();
    else this.worker?.unref();
  }

  /**
   * A reader that keeps an old snapshot open can keep the WAL from being truncated: said once it has been so for three
   * ticks in a row (one busy attempt is only another process's checkpoint under way), and again after a success.
   */
  private warnWhenOverBound(result: CheckpointResult): void {
    if (result.mode !== 'TRUNCATE') return;
    this.busyTruncates = result.busy === 0 ? 0 : this.busyTruncates + 1;
    if (this.busyTruncates === 3) {
      this.options.onWarning?.(
        `the WAL of ${this.file} is ${result.wal_bytes} bytes and cannot be truncated (a reader keeps an old snapshot open); retrying every tick`,
      );
    }
  }

  /** The thread is lost: the connection checkpoints by itself again (on the event loop), and says so once. */
  private fallBack(reason: string): void {
    this.currentState = 'fallback';
    this.worker = null;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.settleReady(false);
    this.rejectPending(`the WAL checkpointer stopped: ${reason}`);
    this.options.onWarning?.(`WAL checkpointer thread ${reason}: back to SQLite's automatic checkpoint on the event loop`);
  }

  private rejectPending(message: string): void {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
