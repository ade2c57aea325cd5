/**
 * LISTEN on channel `aics_tasks`: the schema's trigger notifies it when a task becomes pending or waiting or its
 * due time changes, in whichever process wrote it. One dedicated connection (LISTEN needs a session of its own),
 * opened on first use and reconnected after a loss; polling stays the fallback while it is away.
 */
import pg from 'pg';

export const TASKS_CHANNEL = 'aics_tasks';

/** How long to wait before reconnecting after the LISTEN connection was lost, doubling up to the cap. */
const RETRY_MS = 250;
const RETRY_CAP_MS = 10_000;

export class TaskChanges {
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MS;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly url: string) {}

  /** Calls listener after each notification; returns the unsubscribe. Starts listening. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.start();
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the LISTEN is in place (tests and the first token wait for it). */
  async ready(): Promise<void> {
    this.start();
    await this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private start(): void {
    if (this.client || this.connecting || this.retryTimer || this.closed) return;
    this.connecting = this.connect().finally(() => (this.connecting = null));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'aics listen' });
    client.on('notification', () => this.changed());
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${TASKS_CHANNEL}`);
    } catch {
      await client.end().catch(() => undefined);
      this.retryLater();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MS;
    // What happened while not listening is unknown: tell the listeners to look.
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_CAP_MS);
  }
}
