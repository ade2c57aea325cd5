/**
 * The request tracker on its own (no socket): a line that records what is written and can be up or down, and a fake
 * clock for the ack timeouts. What a daemon would notice: a send made while 轻简 is away goes out once it is back; a
 * send written before a drop fails in doubt (retry with the same req_id), one never written does not; a repeat of a
 * pending req_id is the same send.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeSendError } from '../../src/errors.js';
import { LogThrottle } from '../../src/daemon/qingjian/log-throttle.js';
import { RequestTracker, type CommandLine } from '../../src/daemon/qingjian/request-tracker.js';
import { captureLogger } from './helpers.js';

class Line implements CommandLine {
  isOpen = false;
  readonly written: string[] = [];
  write(frame: string): void {
    this.written.push(frame);
  }
}

function tracker(line: Line) {
  const { logger } = captureLogger();
  return new RequestTracker(line, { url: 'ws://127.0.0.1:9', sendWaitMs: 5_000, logger, throttle: new LogThrottle(logger) });
}

const ack = (req_id: string, ok = true) => ({
  req_id,
  ok,
  code: ok ? 0 : 5002,
  msg: ok ? 'ok' : 'busy',
  msg_id: ok ? 'm-1' : null,
  retryable: null,
  data: {},
});

describe('RequestTracker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds a send while disconnected and writes it once the connection is back, then resolves on its ack', async () => {
    const line = new Line();
    const t = tracker(line);
    const sent = t.send('TASK_1#1', 'frame-1', 10_000);
    expect(line.written).toEqual([]);
    line.isOpen = true;
    t.connected();
    expect(line.written).toEqual(['frame-1']);
    t.onAck(ack('TASK_1#1'));
    await expect(sent).resolves.toMatchObject({ req_id: 'TASK_1#1', msg_id: 'm-1' });
    expect(t.counts).toEqual({ sent: 1, acked: 1, send_failed: 0 });
    expect(t.size).toBe(0);
  });

  it('fails a written send in doubt when the connection drops, and a send never written as not connected', async () => {
    const line = new Line();
    line.isOpen = true;
    const t = tracker(line);
    const written = t.send('TASK_1#1', 'frame-1', 10_000);
    line.isOpen = false;
    const waiting = t.send('TASK_2#1', 'frame-2', 10_000);
    t.connectionLost();
    await expect(written).rejects.toMatchObject({ code: 'connection_lost', retryable: true, inDoubt: true });
    expect(t.size).toBe(1);
    vi.advanceTimersByTime(5_000);
    await expect(waiting).rejects.toMatchObject({ code: 'not_connected', retryable: true, inDoubt: false });
  });

  it('gives a repeat of a pending req_id the same send, refuses another payload under it, and times the ack out in doubt', async () => {
    const line = new Line();
    line.isOpen = true;
    const t = tracker(line);
    const first = t.send('TASK_1#1', 'frame-1', 10_000);
    expect(t.send('TASK_1#1', 'frame-1', 10_000)).toBe(first);
    await expect(t.send('TASK_1#1', 'other', 10_000)).rejects.toMatchObject({ code: 'invalid_request', retryable: false });
    expect(line.written).toEqual(['frame-1']);
    vi.advanceTimersByTime(10_000);
    const err = await first.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeSendError);
    expect(err).toMatchObject({ code: 'ack_timeout', inDoubt: true });
    t.onAck(ack('TASK_1#1')); // late: ignored
    expect(t.counts).toEqual({ sent: 1, acked: 0, send_failed: 2 });
  });

  it('ends every send as stopped, in doubt only when it was written', async () => {
    const line = new Line();
    line.isOpen = true;
    const t = tracker(line);
    const written = t.send('A#1', 'a', 10_000);
    line.isOpen = false;
    const queued = t.send('B#1', 'b', 10_000);
    t.stopAll();
    await expect(written).rejects.toMatchObject({ code: 'stopped', inDoubt: true });
    await expect(queued).rejects.toMatchObject({ code: 'stopped', inDoubt: false });
  });
});
