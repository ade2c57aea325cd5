/**
 * The token compare (src/daemon/http/auth.ts) is constant-time: every check, whatever the header, ends in exactly one
 * crypto.timingSafeEqual over two 32-byte digests, so neither a wrong prefix nor a wrong length returns sooner.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const compares = vi.hoisted(() => ({ calls: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    compares.calls.push([a.byteLength, b.byteLength]);
    return real.timingSafeEqual(a, b);
  };
  return { ...real, default: { ...real, timingSafeEqual }, timingSafeEqual };
});

const { tokenChecker } = await import('../../src/daemon/http/auth.js');

describe('tokenChecker', () => {
  beforeEach(() => {
    compares.calls.length = 0;
  });

  it('compares with timingSafeEqual over equal-length digests, once per check, whatever the header', () => {
    const token = 'a'.repeat(64);
    const check = tokenChecker(token);
    const headers = [
      `Bearer ${token}`,
      `Bearer ${'a'.repeat(63)}b`,
      `Bearer b${'a'.repeat(63)}`,
      'Bearer a',
      `Bearer ${'a'.repeat(10_000)}`,
      'Bearer ',
      '',
      undefined,
      token,
      'Basic YWJj',
    ];
    const results = headers.map((h) => check(h));
    expect(results).toEqual([true, false, false, false, false, false, false, false, false, false]);
    expect(compares.calls).toHaveLength(headers.length);
    for (const [a, b] of compares.calls) expect([a, b]).toEqual([32, 32]);
  });
});
