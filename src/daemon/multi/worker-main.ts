/**
 * The entry of a worker process of `aics serve --multi` (forked by the front, worker-pool.ts): it opens the
 * database, builds the worker part (engine, agent, scheduler for its shard of the customers) around the front's bridge
 * over IPC, says `ready`, beats every second, and on `drain` (a reload or the daemon's stop) finishes the work under
 * way and exits 0. If the front goes away (its IPC channel closes) it stops the same way.
 */
import { openLog } from '../../log.js';
import type { ClaimScope } from '../../store/index.js';
import { shardOf } from '../../tasks/index.js';
import { startWorker, type Worker } from '../assembly/worker.js';
import { DaemonMetrics } from '../ops/metrics.js';
import { openCheckedStore, startBackgroundCheckpoints } from '../startup-files.js';
import type { FrontToWorker, WorkerInit, WorkerToFront } from './protocol.js';
import { RemoteBridge } from './remote-bridge.js';

function post(message: WorkerToFront): void {
  if (process.connected) process.send?.(message);
}

async function run(init: WorkerInit, bridge: RemoteBridge): Promise<void> {
  const { settings } = init;
  // The worker's lines go to the front, which writes them to its log with worker=<index>.
  const log = openLog({
    file: null,
    level: settings.logLevel,
    terminal: { write: (line) => post({ t: 'log', line }) },
    terminalFormat: 'json',
  });
  const logger = log.logger;
  const store = await openCheckedStore(settings, Date.now);
  // Each process's connection hands its checkpoints to a thread of its own, like the front's.
  const checkpoints = startBackgroundCheckpoints(store, logger);
  // This worker fires the time tasks of its own customers only (tasks with no customer: worker 0).
  const shard: ClaimScope = { shard: { index: init.index, count: init.count } };
  const worker: Worker = await startWorker({
    store,
    logger,
    clock: Date.now,
    settings,
    bridge,
    pacedByFront: true,
    agent: init.agent,
    metrics: new DaemonMetrics(),
    pollMs: init.pollMs,
    leaseMs: init.leaseMs,
    actionBackoff: init.actionBackoff,
    scope: () => shard,
    ownsCustomer: (accId, fromId) => shardOf(accId, fromId, init.count) === init.index,
  });
  worker.start();
  const beat = setInterval(() => post({ t: 'beat', rss: process.memoryUsage().rss }), init.heartbeatMs);
  let draining: Promise<void> | null = null;
  const drain = () =>
    (draining ??= (async () => {
      clearInterval(beat);
      await worker.stop(init.drainTimeoutMs);
      await checkpoints?.stop();
      await store.close();
      await log.close();
      // Exit once the last lines written over IPC have left (process.exit would drop what is still queued).
      if (process.connected) process.send?.({ t: 'beat', rss: process.memoryUsage().rss }, undefined, {}, () => process.exit(0));
      else process.exit(0);
    })());
  process.on('message', (message: FrontToWorker) => {
    if (message.t === 'poke') worker.scheduler.poke();
    // The front says when: once no earlier worker of this shard runs (it could still be sending them).
    else if (message.t === 'resume-answers') worker.resumeAnswers();
    else if (message.t === 'drain') void drain();
  });
  process.on('disconnect', () => void drain());
  // SIGTERM/SIGINT reach the whole process group (a terminal's Ctrl-C): the front decides when workers stop.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  post({ t: 'ready', pid: process.pid });
}

const bridge = new RemoteBridge(post);
process.on('message', (message: FrontToWorker) => {
  if (message.t === 'init') {
    run(message.init, bridge).catch((error: unknown) => {
      process.stderr.write(`aics worker: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  } else bridge.receive(message);
});
