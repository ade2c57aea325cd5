/**
 * Which worker of `aics serve --multi` owns a customer: md5("acc_id:from_id") read as a 128-bit number, mod the
 * number of workers — exactly the seed's `int(hashlib.md5(key.encode()).hexdigest(), 16) % N`, so that a customer
 * lands on the worker with the same index as under the Python system. Pure (md5 is arithmetic, not I/O).
 */
import { createHash } from 'node:crypto';

/** A worker's place among `count` workers. */
export interface Shard {
  index: number;
  count: number;
}

/** The seed's shard key: the WeCom account and the customer, joined by a colon. */
export function shardKey(accId: string | null | undefined, fromId: string | null | undefined): string {
  return `${accId ?? ''}:${fromId ?? ''}`;
}

/** 0 … count-1: the worker that owns this customer among `count` workers. */
export function shardOf(accId: string | null | undefined, fromId: string | null | undefined, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`a shard count is a positive integer, not ${count}`);
  if (count === 1) return 0;
  const hex = createHash('md5').update(shardKey(accId, fromId), 'utf8').digest('hex');
  return Number(BigInt(`0x${hex}`) % BigInt(count));
}
