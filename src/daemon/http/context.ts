/**
 * What the HTTP routes are given, in a file of its own so that server.ts (which registers the routes) and the route
 * files (which read the context) do not import each other.
 */
import type { HealthData } from '../../api/index.js';
import type { Settings } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../store/index.js';

/** Which page of the bridge's accounts GET /api/health shows. */
export interface HealthPaging {
  accountsPage: number;
  accountsPageSize: number;
}

/** What the routes need, passed in by the composition root (src/daemon/daemon.ts). */
export interface HttpContext {
  store: Store;
  /** Called after a task was stored, so the scheduler arms it at once rather than at its next poll. */
  onTaskReceived?(taskId: string): void;
  logger: Logger;
  settings: Pick<Settings, 'filesDir' | 'apiToken'> & Partial<Pick<Settings, 'allowedHosts' | 'scopeAnyCustomer'>>;
  /** The full health body; the daemon composes it (it knows the mode, the bridge, the uptime). */
  health(paging?: HealthPaging): Promise<HealthData>;
  /** True once the daemon is stopping: new requests on kept-alive connections get a 503. */
  isStopping(): boolean;
  /** GET /metrics: the Prometheus text and its content type. */
  metrics?(): Promise<{ contentType: string; text: string }>;
}
