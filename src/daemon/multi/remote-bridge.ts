/**
 * The 轻简 bridge as a worker process of `serve --multi` sees it: the front's bridge, over IPC. Sends go to the front
 * (which paces them for all workers and writes them on its one socket) and their outcome comes back; customer
 * messages come from the front in the order the bridge delivered them, and `handled` tells it when to ack.
 */
import type { WorkerBridge } from '../assembly/worker.js';
import type { FileCommand, SendMeta, SendResult, TextCommand } from '../ports.js';
import type { BridgeConnectionState, BridgeMessage, MessageHandler } from '../qingjian/index.js';
import { fromFailure, type FrontToWorker, type WorkerToFront } from './protocol.js';

export class RemoteBridge implements WorkerBridge {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: SendResult) => void; reject: (e: Error) => void }>();
  private readonly stateHandlers = new Set<(state: BridgeConnectionState) => void>();
  private readonly messageHandlers = new Set<MessageHandler>();
  private connected = false;
  private accounts: string[] = [];

  constructor(private readonly post: (message: WorkerToFront) => void) {}

  get isConnected(): boolean {
    return this.connected;
  }

  onlineAccounts(): string[] {
    return this.accounts;
  }

  sendText(command: TextCommand, reqId: string, meta?: SendMeta): Promise<SendResult> {
    return this.request((id) => ({ t: 'send', id, kind: 'text', command, reqId, meta }));
  }

  sendFile(command: FileCommand, reqId: string, meta?: SendMeta): Promise<SendResult> {
    return this.request((id) => ({ t: 'send', id, kind: 'file', command, reqId, meta }));
  }

  onStateChange(handler: (state: BridgeConnectionState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** A message from the front; false when it was not for the bridge. */
  receive(message: FrontToWorker): boolean {
    switch (message.t) {
      case 'send-result': {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.failure) waiter?.reject(fromFailure(message.failure));
        else waiter?.resolve(message.result ?? {});
        return true;
      }
      case 'bridge': {
        this.accounts = message.accounts;
        if (message.connected !== this.connected) {
          this.connected = message.connected;
          for (const h of this.stateHandlers) h(message.connected ? 'connected' : 'disconnected');
        }
        return true;
      }
      case 'message':
        this.deliver(message.seq, message.message);
        return true;
      default:
        return false;
    }
  }

  /** Every handler is called at once, in arrival order (as the bridge does in one process); handled once all settled. */
  private deliver(seq: number, message: BridgeMessage): void {
    const results: unknown[] = [];
    for (const handler of this.messageHandlers) {
      try {
        results.push(handler(message));
      } catch (error) {
        results.push(Promise.reject(error));
      }
    }
    void Promise.allSettled(results).then((settled) => {
      this.post({ t: 'handled', seq, ok: settled.every((r) => r.status === 'fulfilled') });
    });
  }

  private request(build: (id: number) => WorkerToFront): Promise<SendResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post(build(id));
    });
  }
}
