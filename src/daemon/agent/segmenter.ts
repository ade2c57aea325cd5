/**
 * Chinese word segmentation for the rules provider: jieba (@node-rs/jieba, its dictionary built in), loaded once per
 * process on first use (~0.3 s) so commands that never answer a customer do not pay for it. The module and its
 * dictionary are required then too, not imported: importing @node-rs/jieba/dict.js reads 11 MB of dictionary files
 * into Buffers, which a daemon whose LLM answers (and never segments a message) would hold for nothing. Text is
 * normalised first (full/half width, case), so 「ＡＢＣ」 and 「abc」 are the same token.
 */
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';
import { matchWindow } from '../../tasks/index.js';

const require = createRequire(import.meta.url);
let jieba: Jieba | null = null;

function loadJieba(): Jieba {
  const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
  const { dict } = require('@node-rs/jieba/dict.js') as typeof import('@node-rs/jieba/dict.js');
  return Jieba.withDict(dict);
}

/** Separators and emoji are not words. */
const NOT_A_WORD = /^[\s\p{P}\p{S}\p{Extended_Pictographic}]+$/u;

/** Only the first MAX_MATCH_CHARS characters are read (matchWindow): a hostile 40,000-character message costs no more. */
export function normalizeForMatch(text: string): string {
  return matchWindow(text).normalize('NFKC').toLowerCase();
}

/**
 * The words of `text`, punctuation dropped. `search` (for what customers say) adds the parts of long words
 * (宣传单 → 宣传, 传单, 宣传单); precise mode (for the FAQ's own keywords) keeps 人工费 whole, so a question about
 * 人工印刷 does not match an entry about the fee.
 */
export function tokenize(text: string, mode: 'search' | 'precise' = 'search'): string[] {
  jieba ??= loadJieba();
  const t = normalizeForMatch(text);
  return (mode === 'search' ? jieba.cutForSearch(t, true) : jieba.cut(t, true)).filter((w) => !NOT_A_WORD.test(w));
}
