/**
 * `login` / `logout` / `ready` / `error` events: they update the bounded per-account state (accounts.ts), whether the
 * bridge said `ready` on this connection, and go to the `onAccountEvent` listeners. A bridge can repeat them at will,
 * so their log lines go through the LogThrottle.
 */
import type { Logger } from '../ports.js';
import type { AccountBook, AccountState } from './accounts.js';
import type { LogThrottle } from './log-throttle.js';
import type { AccountEvent } from './protocol.js';

export type AccountEventHandler = (event: AccountEvent) => void;

export class AccountEvents {
  /** The bridge has sent `ready` on the current connection. */
  ready = false;
  private readonly handlers = new Set<AccountEventHandler>();

  constructor(
    private readonly accounts: AccountBook,
    private readonly throttle: LogThrottle,
    private readonly log: Logger,
    /** An `error` event becomes the connection's last_error. */
    private readonly noteError: (text: string) => void,
  ) {}

  onAccountEvent(handler: AccountEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  apply(e: AccountEvent): void {
    const now = Date.now();
    const mark = (id: string, status: AccountState['status']) => {
      const a = this.accounts.get(id);
      if (a && a.status === status) return;
      if (this.accounts.set({ acc_id: id, status, since: now, last_error: a?.last_error ?? null })) this.overflow();
    };
    const log = { component: 'qingjian', event: e.event, acc_id: e.acc_id ?? undefined };
    switch (e.event) {
      case 'login':
        if (e.acc_id) mark(e.acc_id, 'online');
        this.throttle.log('info', 'account:login', log, `轻简 account ${e.acc_id ?? '?'} logged in`);
        break;
      case 'logout':
        if (e.acc_id) mark(e.acc_id, 'offline');
        this.throttle.log('warn', 'account:logout', log, `轻简 account ${e.acc_id ?? '?'} logged out`);
        break;
      case 'ready':
        this.ready = true;
        for (const id of e.acc_id ? [e.acc_id, ...e.acc_ids] : e.acc_ids) mark(id, 'online');
        this.throttle.log(
          'info',
          'account:ready',
          { ...log, accounts: e.acc_ids.slice(0, 20), account_count: e.acc_ids.length },
          '轻简 bridge ready',
        );
        break;
      case 'error': {
        const text = `${e.code ?? ''} ${e.message ?? 'error'}`.trim();
        this.noteError(text);
        if (e.acc_id) {
          const a = this.accounts.get(e.acc_id) ?? { acc_id: e.acc_id, status: 'online' as const, since: now, last_error: null };
          if (this.accounts.set({ ...a, last_error: text })) this.overflow();
        }
        this.throttle.log('warn', `error:${e.code ?? ''}`, { ...log, code: e.code, message: e.message }, `轻简 error: ${text}`);
        break;
      }
    }
    for (const h of this.handlers) {
      try {
        h(e);
      } catch (err) {
        this.log.error({ component: 'qingjian', err }, 'account listener threw');
      }
    }
  }

  private overflow(): void {
    this.throttle.log(
      'warn',
      'accounts-overflow',
      { component: 'qingjian', kept: this.accounts.size },
      `轻简 reported more accounts than the ${this.accounts.size} kept: the oldest are forgotten`,
    );
  }
}
