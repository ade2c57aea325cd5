/**
 * The worker's background loops that are not about firing tasks: the outbox sender (callbacks, 派单, handoff
 * notices), retention, and the integrity watch. Built once the HTTP API has bound its port, because by default the
 * callbacks go to this daemon's own sink at the address it actually bound.
 */
import { clientHost, type Settings } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import { IntegrityWatch } from '../integrity-watch.js';
import { OutboxSender } from '../outbox/outbox-sender.js';
import { ownSinkHeaders } from '../outbox/own-sink.js';
import { Retention } from '../retention.js';

export interface HousekeepingOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  settings: Settings;
  /** The port the HTTP API bound. */
  port: number;
  deliveryBackoff?: BackoffPolicy;
  integrityCheckMs?: number;
}

export interface Housekeeping {
  readonly integrity: IntegrityWatch;
  start(): void;
  /** The outbox first (deliveries in flight finish or are given back), then retention, then the integrity watch. */
  stop(): Promise<void>;
}

export function buildHousekeeping(o: HousekeepingOptions): Housekeeping {
  const { store, logger, clock, settings } = o;
  const callbackUrl = settings.callbackUrl ?? `http://${clientHost(settings.host)}:${o.port}/api/task/callback`;
  // Handoff notices (转接人工) go to AICS_HANDOFF_URL, else to the callback URL (an event field tells them apart).
  const urls = { callback: callbackUrl, dispatch: settings.dispatchUrl, handoff: settings.agent.handoffUrl ?? callbackUrl };
  const outbox = new OutboxSender({
    store,
    logger,
    clock,
    urls,
    secret: settings.callbackSecret,
    headers: ownSinkHeaders(urls, settings.callbackUrl === null ? callbackUrl : null, settings.apiToken),
    backoff: o.deliveryBackoff,
  });
  const retention = new Retention({ store, logger, clock, retentionDays: settings.retentionDays });
  const integrity = new IntegrityWatch({ store, logger, everyMs: o.integrityCheckMs });
  return {
    integrity,
    start() {
      integrity.start();
      outbox.start();
      retention.start();
    },
    async stop() {
      await outbox.stop();
      await retention.stop();
      await integrity.stop();
    },
  };
}
