/**
 * The keyword index behind the engine's any-customer tasks finds exactly the tasks keywordMatches says a message
 * fires, however they were added and removed (issue 15, matching). Pure: no store, no clock.
 */
import { describe, expect, it } from 'vitest';
import { KeywordIndex, keywordMatches } from '../../src/tasks/index.js';

const ALPHABET = ['好', '的', '谢', '谢', 'a', 'b', 'A', 'Ｂ', ' ', '。', '!', '😀'];

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function text(next: () => number, max: number): string {
  let out = '';
  const n = 1 + Math.floor(next() * max);
  for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}

function expected(entries: Map<string, { words: string[]; exact: boolean }>, message: string): string[] {
  return [...entries].filter(([, e]) => e.words.some((w) => keywordMatches(message, w, e.exact))).map(([id]) => id);
}

describe('KeywordIndex', () => {
  it('finds the tasks whose keyword a message says, contains or exact, after the normalisation', () => {
    const index = new KeywordIndex([
      { id: 'thanks', words: ['谢谢'], exact: false },
      { id: 'ok', words: ['ＯＫ', '好的'], exact: false },
      { id: 'exactly-ok', words: ['好的'], exact: true },
      { id: 'empty', words: [''], exact: false },
    ]);
    expect([...index.candidates('好的谢谢')].sort()).toEqual(['ok', 'thanks']);
    expect([...index.candidates('  好的。')].sort()).toEqual(['exactly-ok', 'ok']);
    expect([...index.candidates('ok!')]).toEqual(['ok']);
    expect([...index.candidates('在吗')]).toEqual([]);
  });

  it('agrees with keywordMatches on random keywords and messages while tasks come and go', () => {
    const next = random(15);
    const index = new KeywordIndex();
    const entries = new Map<string, { words: string[]; exact: boolean }>();
    for (let round = 0; round < 400; round++) {
      const id = `t${Math.floor(next() * 300)}`;
      if (next() < 0.3) {
        index.remove(id);
        entries.delete(id);
      } else {
        const e = { words: [text(next, 3), text(next, 2)], exact: next() < 0.2 };
        index.add({ id, ...e });
        entries.set(id, e);
      }
      for (let m = 0; m < 5; m++) {
        const message = text(next, 12);
        expect([...index.candidates(message)].sort(), message).toEqual(expected(entries, message).sort());
      }
    }
    expect(index.size).toBe(entries.size);
  });
});
