/**
 * The WeCom accounts the bridge has told about (login, logout, ready, error), bounded: a bridge that reports an
 * endless stream of accounts cannot grow the daemon's memory. Past `max`, the account whose state is oldest is
 * forgotten first, offline ones before online ones. Read a page at a time (GET /api/health pages them).
 */
export interface AccountState {
  acc_id: string;
  /** `online` after login or ready, `offline` after logout; the last known value while disconnected. */
  status: 'online' | 'offline';
  /** When `status` last changed (ms since the epoch). */
  since: number;
  last_error: string | null;
}

export interface AccountsPage {
  accounts: Record<string, AccountState>;
  total: number;
  page: number;
  page_size: number;
  /** Accounts forgotten because more than the bound were reported. */
  forgotten: number;
}

export const DEFAULT_MAX_ACCOUNTS = 1000;
export const DEFAULT_ACCOUNTS_PAGE_SIZE = 50;
export const MAX_ACCOUNTS_PAGE_SIZE = 500;

export class AccountBook {
  private readonly map = new Map<string, AccountState>();
  private forgottenCount = 0;

  constructor(private readonly max = DEFAULT_MAX_ACCOUNTS) {}

  get size(): number {
    return this.map.size;
  }

  get(accId: string): AccountState | undefined {
    return this.map.get(accId);
  }

  /** Sets an account's state; returns true when this forgot an older account to stay within the bound. */
  set(state: AccountState): boolean {
    // Re-inserted at the end: the map's order is the order of the last change, oldest first.
    this.map.delete(state.acc_id);
    this.map.set(state.acc_id, state);
    if (this.map.size <= this.max) return false;
    let victim: string | undefined;
    for (const [id, a] of this.map) {
      if (a.status === 'offline') {
        victim = id;
        break;
      }
    }
    this.map.delete(victim ?? this.map.keys().next().value!);
    this.forgottenCount++;
    return true;
  }

  online(): string[] {
    const out: string[] = [];
    for (const a of this.map.values()) if (a.status === 'online') out.push(a.acc_id);
    return out;
  }

  /** One page, by acc_id. */
  page(page = 1, pageSize = DEFAULT_ACCOUNTS_PAGE_SIZE): AccountsPage {
    const ids = [...this.map.keys()].sort();
    const accounts: Record<string, AccountState> = {};
    for (const id of ids.slice((page - 1) * pageSize, page * pageSize)) accounts[id] = { ...this.map.get(id)! };
    return { accounts, total: ids.length, page, page_size: pageSize, forgotten: this.forgottenCount };
  }
}
