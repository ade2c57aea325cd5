import type { OutboxKind } from '../../store/index.js';

/**
 * The default callback URL is this daemon's own sink, which requires the token like every route: every kind that
 * goes there (callbacks, and handoff notices without AICS_HANDOFF_URL) carries it. Only there: the token never goes
 * to a URL someone configured.
 */
export function ownSinkHeaders(
  urls: Record<OutboxKind, string | null>,
  ownSink: string | null,
  apiToken: string | null,
): Partial<Record<OutboxKind, Record<string, string>>> | undefined {
  if (!ownSink || !apiToken) return undefined;
  const kinds = (Object.keys(urls) as OutboxKind[]).filter((k) => urls[k] === ownSink);
  return Object.fromEntries(kinds.map((k) => [k, { authorization: `Bearer ${apiToken}` }]));
}
