import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/tasks/index.js';

/** Keys and counts whose shard Python computed: int(hashlib.md5(key.encode()).hexdigest(), 16) % n. */
const SEED_VECTORS: [accId: string, fromId: string, count: number, shard: number][] = [
  ['wx_a', 'cust_1', 2, 1],
  ['wx_a', 'cust_2', 2, 0],
  ['acc', 'customer_123', 4, 2],
  ['', 'c', 3, 2],
  ['wx_b', '小明', 5, 4],
];

function python3Available(): boolean {
  try {
    execFileSync('python3', ['-c', 'pass']);
    return true;
  } catch {
    return false;
  }
}

describe('shardOf: the seed workers’ md5(acc_id:from_id) mod N', () => {
  it.each(SEED_VECTORS)('%s:%s among %i workers is worker %i', (accId, fromId, count, shard) => {
    expect(shardOf(accId, fromId, count)).toBe(shard);
  });

  it.skipIf(!python3Available())('agrees with python3 on many keys and counts (the full 128-bit value mod N)', () => {
    const keys = Array.from({ length: 200 }, (_, i) => [`wx_${i % 7}`, `客户_${i * 7919}`] as const);
    const counts = [1, 2, 3, 7, 16, 1000003];
    const script =
      'import sys,json,hashlib\n' +
      'd=json.load(sys.stdin)\n' +
      'print(json.dumps([[int(hashlib.md5((a+":"+f).encode()).hexdigest(),16)%n for n in d["counts"]] for a,f in d["keys"]]))';
    const python = JSON.parse(
      execFileSync('python3', ['-c', script], { input: JSON.stringify({ keys, counts }) }).toString(),
    ) as number[][];
    const ours = keys.map(([a, f]) => counts.map((n) => shardOf(a, f, n)));
    expect(ours).toEqual(python);
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => shardOf('a', 'b', 0)).toThrow(/positive integer/);
  });
});
