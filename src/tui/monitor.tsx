// The automatic JSX runtime, said here: oclif runs src/ through tsx in development and test, ignoring tsconfig's jsx.
/** @jsxRuntime automatic @jsxImportSource react */
/**
 * `aics monitor`: a live view of a running daemon — mode and uptime, the 轻简 bridge, task counts, the callback
 * backlog and the newest tasks — refreshed every interval. Keys: q (or Ctrl-C) quits, r refreshes now.
 */
import { Box, Text, useApp, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { AicsClient } from '../api/client.js';
import { TASK_STATUSES } from '../tasks/index.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';

export interface MonitorProps {
  client: AicsClient;
  intervalMs: number;
  recentCount?: number;
  /** Shows times in this zone (AICS_TZ). */
  formatTime: (iso: string) => string;
}

const STATUS_COLOUR: Record<string, string> = {
  pending: 'yellow',
  waiting: 'cyan',
  running: 'magenta',
  completed: 'green',
  failed: 'red',
  cancelled: 'gray',
  expired: 'gray',
};

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d ? `${d}d${h}h` : h ? `${h}h${m.toString().padStart(2, '0')}m` : `${m}m${s.toString().padStart(2, '0')}s`;
}

const cell = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

export interface MonitorViewProps {
  snap: Snapshot | null;
  baseUrl: string;
  intervalMs: number;
  formatTime: (iso: string) => string;
  /** The key help line (only when keys work: an interactive terminal). */
  keys?: boolean;
}

/** One frame of the monitor; pure, so `--once` can print it and tests can render it. */
export function MonitorView({ snap, baseUrl, intervalMs, formatTime, keys = false }: MonitorViewProps) {
  const h = snap?.health;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>aics monitor</Text> — {baseUrl}
        {h ? `  ·  ${h.mode}  ·  up ${duration(h.uptime_s)}  ·  pid ${h.pid}  ·  v${h.version}` : ''}
      </Text>
      {!snap && <Text color="gray">asking the daemon…</Text>}
      {snap?.error && (
        <Text color="red">
          unreachable: {snap.error}
          {keys ? ` (retrying every ${Math.round(intervalMs / 1000)} s)` : ''}
        </Text>
      )}
      {h?.paused && (
        <Text color="yellow" bold>
          PAUSED since {formatTime(h.paused.since)}
          {h.paused.by ? ` by ${h.paused.by}` : ''}
          {h.paused.reason ? ` (${h.paused.reason})` : ''}: nothing fires or is sent until "aics resume"
        </Text>
      )}
      {h && (
        <>
          <Text>
            轻简 bridge:{' '}
            {h.qingjian.state === 'disabled' ? (
              <Text color="gray">disabled (--api-only)</Text>
            ) : (
              <Text color={h.qingjian.connected ? 'green' : 'red'}>
                {h.qingjian.state}
                {typeof h.qingjian.reconnects === 'number' ? `  reconnects ${h.qingjian.reconnects}` : ''}
                {typeof h.qingjian.received === 'number' ? `  received ${h.qingjian.received}` : ''}
                {typeof h.qingjian.acked === 'number' ? `  sent ${h.qingjian.acked}` : ''}
                {!h.qingjian.connected && h.qingjian.last_error ? `  last error: ${String(h.qingjian.last_error)}` : ''}
              </Text>
            )}
            {h.agent ? '   agent: on' : '   agent: off'}
          </Text>
          <Text>
            tasks:{' '}
            {TASK_STATUSES.map((s) => (
              <Text key={s} color={STATUS_COLOUR[s]}>
                {s} {h.tasks[s] ?? 0}
                {'  '}
              </Text>
            ))}
          </Text>
          <Text>
            callbacks waiting: <Text color={h.outbox_backlog ? 'yellow' : 'green'}>{h.outbox_backlog}</Text>
            {h.outbox?.last_error ? <Text color="red"> last error: {h.outbox.last_error}</Text> : ''}
            {h.db.next_due ? `   next due: ${h.db.next_due.task_id} at ${formatTime(h.db.next_due.due_at)}` : ''}
          </Text>
          {h.dispatch_held ? (
            <Text>
              派单 held: <Text color="yellow">{h.dispatch_held}</Text> (TIANWANG_DISPATCH_URL is not set)
            </Text>
          ) : null}
          {(h.warnings ?? []).map((w) => (
            <Text key={w} color="yellow">
              warning: {w}
            </Text>
          ))}
          {h.workers?.length ? (
            <Box flexDirection="column" marginTop={1}>
              <Text bold>
                {cell('WORKER', 7)} {cell('PID', 8)} {cell('CUSTOMERS', 10)} {cell('QUEUE', 6)} {cell('RESTARTS', 9)} {cell('RSS', 7)} UP
                SINCE
              </Text>
              {h.workers.map((w) => (
                <Text key={w.index}>
                  {cell(String(w.index), 7)}{' '}
                  <Text color={w.pid === null ? 'red' : 'green'}>{cell(w.pid === null ? 'down' : String(w.pid), 8)}</Text>{' '}
                  {cell(String(w.customers), 10)} <Text color={w.queue ? 'yellow' : undefined}>{cell(String(w.queue), 6)}</Text>{' '}
                  <Text color={w.restarts ? 'yellow' : undefined}>{cell(String(w.restarts), 9)}</Text>{' '}
                  {cell(w.rss_bytes === null ? '-' : `${Math.round(w.rss_bytes / 1e6)}M`, 7)} {w.up_since ? formatTime(w.up_since) : '-'}
                </Text>
              ))}
            </Box>
          ) : null}
          <Box flexDirection="column" marginTop={1}>
            <Text bold>
              {cell('TASK_ID', 28)} {cell('STATUS', 10)} {cell('TRIGGER', 25)} {cell('CUSTOMER', 16)} CREATED
            </Text>
            {(snap?.recent ?? []).map((t) => (
              <Text key={t.task_id}>
                {cell(t.task_id, 28)} <Text color={STATUS_COLOUR[t.status]}>{cell(t.status, 10)}</Text> {cell(t.trigger.type, 25)}{' '}
                {cell(t.customer_id ?? '*', 16)} {formatTime(t.created_at)}
                {t.problem ? (
                  <Text color="yellow">
                    {' '}
                    ⚠ {t.problem.split(':')[0]} (aics task status {t.task_id})
                  </Text>
                ) : (
                  ''
                )}
              </Text>
            ))}
          </Box>
        </>
      )}
      {keys && <Text color="gray">q quit · r refresh</Text>}
    </Box>
  );
}

/** The live monitor: polls every interval; q quits, r refreshes now. */
export function Monitor({ client, intervalMs, recentCount = 10, formatTime }: MonitorProps) {
  const { exit } = useApp();
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const refresh = useCallback(() => {
    void takeSnapshot(client, recentCount).then(setSnap);
  }, [client, recentCount]);

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, intervalMs);
    return () => clearInterval(timer);
  }, [refresh, intervalMs]);

  useInput((input) => {
    if (input === 'q') exit();
    if (input === 'r') refresh();
  });

  return <MonitorView snap={snap} baseUrl={client.baseUrl} intervalMs={intervalMs} formatTime={formatTime} keys />;
}
