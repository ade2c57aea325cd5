/**
 * What a store implementation gives the contract suite: fresh, empty stores, and a second connection onto one of
 * them (another process's view). Each implementation has one runner file (sqlite.test.ts; later postgres.test.ts)
 * that builds a factory and calls runStoreContract. The contract files use the ports only.
 */
import { afterAll } from 'vitest';
import type { Store } from '../../../src/store/index.js';
import { parseTaskPayload, type TaskPayloadInput } from '../../../src/tasks/index.js';
import { SEED } from '../../support/fixtures.js';

export interface ContractOpenOptions {
  /** Milliseconds since the epoch; the contract moves it by hand. */
  clock?: () => number;
  timeZone?: string;
}

export interface StoreFactory {
  name: string;
  /** A new, empty store. */
  open(options?: ContractOpenOptions): Promise<Store>;
  /** Another connection onto the same data as `store`, as a second daemon would have. */
  openAgain(store: Store, options?: ContractOpenOptions): Promise<Store>;
  /** Closes what was opened and removes what was made. */
  cleanup(): Promise<void>;
}

/** A store on fresh data with a clock the test moves, in the seed's zone. */
export interface Fixture {
  store: Store;
  clock: { now: number };
  again(): Promise<Store>;
}

export const ZONE = 'Asia/Shanghai';
export const START = Date.parse('2026-02-27T08:00:00Z');

export function fixtures(factory: StoreFactory): (start?: number) => Promise<Fixture> {
  afterAll(() => factory.cleanup());
  return async (start = START) => {
    const clock = { now: start };
    const options = { clock: () => clock.now, timeZone: ZONE };
    const store = await factory.open(options);
    return { store, clock, again: () => factory.openAgain(store, options) };
  };
}

export const payload = (over: Partial<TaskPayloadInput> = {}) => parseTaskPayload({ ...SEED.receive, ...over });
export const TRIGGERS = SEED.triggers as Record<string, TaskPayloadInput['trigger']>;
export const ID = 'TASK_20260227_001';
