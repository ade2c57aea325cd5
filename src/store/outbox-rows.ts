/** What the outbox's implementations share about its rows. */
import type { OutboxItem } from './ports/outbox.js';

/** Oldest due first, the order due() reads in: an UPDATE … RETURNING gives its rows in no promised order. */
export const byDueThenId = (a: OutboxItem, b: OutboxItem): number => a.next_attempt_at - b.next_attempt_at || a.id - b.id;
