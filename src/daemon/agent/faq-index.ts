/**
 * Ranking FAQ entries for a customer's message: BM25 over each entry's words (its keywords and example questions,
 * segmented with jieba, synonyms folded into one word), plus a bonus for each keyword the message contains whole and
 * for each pattern it matches. The score is the rules' confidence: below the FAQ's `min_score` they ask a short
 * clarifying question instead of guessing.
 */
import { matchWindow } from '../../tasks/index.js';
import { normalizeForMatch, tokenize } from './segmenter.js';

export interface IndexEntry {
  id: string;
  keywords: string[];
  examples: string[];
  patterns: RegExp[];
  /** A catch-all topic (price): a specific entry that also matches well answers first (打样多少钱 → proof). */
  generic?: boolean;
}

export interface Ranked {
  id: string;
  score: number;
}

/** Words that carry no topic: they appear in questions about anything (客服 and 老板 are how customers address us). */
const STOP_WORDS = new Set(
  '的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 你 您 他 她 它 我们 你们 们 是 在 有 要 就 都 和 与 也 还 个 这 那 这个 那个 请 请问 一下 一个 可以 能 能不能 可不可以 会 想 问 问下 问一下 下 给 帮 把 让 吧 好 呃 嗯 哈 么 多 不 没 有没有 没有 是不是 怎么样 看看 看 一般 大概 什么 怎么 做 印 加 多少 客服 老板 亲'.split(
    ' ',
  ),
);

const K1 = 1.2;
const B = 0.75;
const PHRASE_BONUS = 1;
const PATTERN_BONUS = 3;
/** A specific entry within this share of a generic winner's score answers first. */
const SPECIFIC_SHARE = 0.5;

export class FaqIndex {
  private readonly canonical = new Map<string, string>();
  private readonly docs: { id: string; tf: Map<string, number>; length: number; phrases: string[]; patterns: RegExp[]; generic: boolean }[];
  private readonly stop: Set<string>;
  private readonly idf = new Map<string, number>();
  private readonly avgLength: number;

  /**
   * `synonyms`: a word → the words that mean the same (价格: [价钱, 多少钱]); all fold into the first.
   * `ignore`: words that say nothing about the topic here (the shop's products: 名片 is in price, size and
   * lead-time questions alike).
   */
  constructor(entries: IndexEntry[], synonyms: Record<string, string[]>, ignore: readonly string[] = []) {
    this.stop = new Set([...STOP_WORDS, ...ignore.map(normalizeForMatch)]);
    for (const [head, variants] of Object.entries(synonyms)) {
      for (const v of variants) this.canonical.set(normalizeForMatch(v), normalizeForMatch(head));
    }
    this.docs = entries.map((e) => {
      const words = [...e.keywords.flatMap((k) => this.words(k, 'precise')), ...e.examples.flatMap((k) => this.words(k))];
      const tf = new Map<string, number>();
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
      return {
        id: e.id,
        tf,
        length: words.length,
        phrases: e.keywords.map(normalizeForMatch).filter((k) => k.length >= 2),
        patterns: e.patterns,
        generic: e.generic ?? false,
      };
    });
    const n = this.docs.length;
    const df = new Map<string, number>();
    for (const d of this.docs) for (const w of d.tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    for (const [w, f] of df) this.idf.set(w, Math.log(1 + (n - f + 0.5) / (f + 0.5)));
    this.avgLength = n ? this.docs.reduce((s, d) => s + d.length, 0) / n : 1;
  }

  /** The topic words of `text`: segmented, stop words dropped, synonyms folded, each once. */
  words(text: string, mode: 'search' | 'precise' = 'search'): string[] {
    const t = normalizeForMatch(text);
    // A synonym that jieba splits (多少钱 → 多少 / 钱) counts when the text says it whole, and its parts do not.
    const whole = [...this.canonical].filter(([variant]) => variant.length >= 2 && t.includes(variant));
    const out = new Set<string>(whole.map(([, head]) => head));
    for (const w of tokenize(text, mode)) {
      if (this.stop.has(w) || whole.some(([variant]) => variant !== w && variant.includes(w))) continue;
      out.add(this.canonical.get(w) ?? w);
    }
    return [...out];
  }

  /** Entries scoring above 0, best first (the file's order breaks ties). */
  rank(text: string): Ranked[] {
    const query = this.words(text);
    const t = normalizeForMatch(text);
    const raw = matchWindow(text).normalize('NFKC').trim();
    const ranked = this.docs
      .map((d, order) => {
        let score = 0;
        for (const w of query) {
          const tf = d.tf.get(w);
          if (!tf) continue;
          score += (this.idf.get(w) ?? 0) * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * d.length) / this.avgLength)));
        }
        score += d.phrases.filter((p) => t.includes(p)).length * PHRASE_BONUS;
        score += d.patterns.filter((p) => p.test(raw)).length * PATTERN_BONUS;
        return { id: d.id, score: Math.round(score * 100) / 100, order, generic: d.generic };
      })
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.order - b.order);
    const [first, second] = ranked;
    if (first?.generic && second && !second.generic && second.score >= first.score * SPECIFIC_SHARE) {
      // 「打样多少钱」: the proof entry, which has the proof's price, answers before the general price list.
      ranked.splice(1, 1);
      ranked.unshift({ ...second, score: first.score });
    }
    return ranked.map(({ id, score }) => ({ id, score }));
  }
}
