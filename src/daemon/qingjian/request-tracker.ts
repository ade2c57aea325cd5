/**
 * Sends in flight, by `req_id`: a send issued while disconnected waits (up to `sendWaitMs`) for the connection; one
 * written waits for its ack (up to its ack timeout). Each ends exactly once, resolved by an `ok:true` ack or rejected
 * with a BridgeSendError:
 * - `rejected` (ok:false; retryable per the ack's code), `ack_timeout` and `connection_lost` (retryable, in doubt:
 *   retry with the same req_id), `not_connected` (retryable, not in doubt), `stopped`.
 * - A repeat of a req_id still pending gets the same promise when its frame is identical, and is refused
 *   (`invalid_request`) when it differs, so one attempt is never two different sends.
 */
import { BridgeSendError, type BridgeSendErrorCode } from '../../errors.js';
import type { Logger } from '../ports.js';
import type { LogThrottle } from './log-throttle.js';
import { isRetryableAck, type SendAck } from './protocol.js';

export interface SendResult {
  req_id: string;
  /** WeCom's id of the sent message, when the bridge gives one. */
  msg_id: string | null;
  code: number;
  msg: string;
  /** The ack's `data` as it came. */
  data: Record<string, unknown>;
}

/** Where the tracker writes: the connection (connection.ts). */
export interface CommandLine {
  readonly isOpen: boolean;
  write(frame: string): void;
}

interface PendingSend {
  reqId: string;
  frame: string;
  ackTimeoutMs: number;
  phase: 'queued' | 'sent';
  timer: NodeJS.Timeout | null;
  promise: Promise<SendResult>;
  resolve: (r: SendResult) => void;
  reject: (e: BridgeSendError) => void;
}

interface Failure {
  retryable: boolean;
  inDoubt: boolean;
  bridgeCode?: number;
}

export class RequestTracker {
  private readonly pending = new Map<string, PendingSend>();
  /** Command frames written (a retry counts again), sends acked ok, sends that ended in a BridgeSendError. */
  readonly counts = { sent: 0, acked: 0, send_failed: 0 };

  constructor(
    private readonly line: CommandLine,
    private readonly options: { url: string; sendWaitMs: number; logger: Logger; throttle: LogThrottle },
  ) {}

  /** Sends waiting for the connection or for their ack. */
  get size(): number {
    return this.pending.size;
  }

  /** A send refused before it was tracked (invalid, or the client stopped): counted, then rejected. */
  refuse(error: BridgeSendError): Promise<never> {
    this.counts.send_failed++;
    return Promise.reject(error);
  }

  /** Writes `frame` now when connected, else once the connection is back; resolves on its ack. */
  send(reqId: string, frame: string, ackTimeoutMs: number): Promise<SendResult> {
    const existing = this.pending.get(reqId);
    if (existing) {
      if (existing.frame === frame) return existing.promise;
      return this.refuse(
        new BridgeSendError({
          message: `req_id ${reqId} is already pending with another payload`,
          code: 'invalid_request',
          retryable: false,
          reqId,
        }),
      );
    }
    let resolve!: (r: SendResult) => void;
    let reject!: (e: BridgeSendError) => void;
    const promise = new Promise<SendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const p: PendingSend = { reqId, frame, ackTimeoutMs, phase: 'queued', timer: null, promise, resolve, reject };
    this.pending.set(reqId, p);
    if (this.line.isOpen) {
      this.write(p);
    } else {
      const { sendWaitMs, url } = this.options;
      this.options.logger.debug(
        { component: 'qingjian', req_id: reqId, wait_ms: sendWaitMs },
        '轻简 not connected: send waits for the connection',
      );
      p.timer = setTimeout(() => {
        this.fail(p, 'not_connected', `not connected to 轻简 at ${url} within ${sendWaitMs} ms`, { retryable: true, inDoubt: false });
      }, sendWaitMs);
    }
    return promise;
  }

  /** The connection is up: the sends that waited for it go out. */
  connected(): void {
    for (const p of [...this.pending.values()]) if (p.phase === 'queued') this.write(p);
  }

  /** The connection dropped: a send already written may have been delivered, so it fails in doubt. */
  connectionLost(): void {
    for (const p of [...this.pending.values()]) {
      if (p.phase === 'sent') {
        this.fail(p, 'connection_lost', 'the connection to 轻简 dropped before the ack (in doubt: retry with the same req_id)', {
          retryable: true,
          inDoubt: true,
        });
      }
    }
  }

  /** The client stops: every send ends `stopped` (in doubt when it was written). */
  stopAll(): void {
    for (const p of [...this.pending.values()]) {
      this.fail(p, 'stopped', 'the 轻简 bridge client was stopped', { retryable: true, inDoubt: p.phase === 'sent' });
    }
  }

  onAck(ack: SendAck): void {
    const p = this.pending.get(ack.req_id);
    if (!p || p.phase !== 'sent') {
      this.options.throttle.log(
        'info',
        'unknown-ack',
        { component: 'qingjian', req_id: ack.req_id, ok: ack.ok },
        '轻简 ack for no pending send (late or unknown req_id): ignored',
      );
      return;
    }
    if (!ack.ok) {
      this.fail(p, 'rejected', `轻简 refused the send: ${ack.code} ${ack.msg}`, {
        retryable: isRetryableAck(ack),
        inDoubt: false,
        bridgeCode: ack.code,
      });
      return;
    }
    this.pending.delete(p.reqId);
    if (p.timer) clearTimeout(p.timer);
    this.counts.acked++;
    this.options.logger.debug({ component: 'qingjian', req_id: p.reqId, msg_id: ack.msg_id }, '轻简 send acked');
    p.resolve({ req_id: ack.req_id, msg_id: ack.msg_id, code: ack.code, msg: ack.msg, data: ack.data });
  }

  private write(p: PendingSend): void {
    if (p.timer) clearTimeout(p.timer);
    p.phase = 'sent';
    this.counts.sent++;
    p.timer = setTimeout(() => {
      this.fail(p, 'ack_timeout', `no ack from 轻简 within ${p.ackTimeoutMs} ms`, { retryable: true, inDoubt: true });
    }, p.ackTimeoutMs);
    // A failed write shows up as a close of the socket, which fails the send as connection_lost.
    this.line.write(p.frame);
  }

  private fail(p: PendingSend, code: BridgeSendErrorCode, message: string, how: Failure): void {
    if (this.pending.get(p.reqId) !== p) return;
    this.pending.delete(p.reqId);
    if (p.timer) clearTimeout(p.timer);
    this.counts.send_failed++;
    const level = code === 'rejected' || code === 'stopped' ? 'info' : 'warn';
    this.options.throttle.log(
      level,
      `send-failed:${code}:${how.bridgeCode ?? ''}`,
      { component: 'qingjian', req_id: p.reqId, code, bridge_code: how.bridgeCode, retryable: how.retryable, in_doubt: how.inDoubt },
      `轻简 send failed: ${message}`,
    );
    p.reject(new BridgeSendError({ message, code, reqId: p.reqId, ...how }));
  }
}
