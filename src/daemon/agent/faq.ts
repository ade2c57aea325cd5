/**
 * The FAQ file of the rules provider (AICS_FAQ_FILE; default faq/sample-print-shop.yaml in the package): entries
 * of keywords / example questions / patterns → answers, synonyms, the confidence threshold, the words that ask for
 * a person, complain, pay, order or ask for status, and the fixed replies. YAML or JSON, validated with zod so a
 * typo names the field. Entries are ranked by FaqIndex (jieba + BM25), not by substrings.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { normalizeText } from '../../tasks/index.js';
import { readDataFile, readTextFile } from './data-file.js';
import { FaqIndex } from './faq-index.js';

/** The sample shipped with aics: resolved from this module, in src/ (tests) and dist/ alike. */
export const BUILTIN_FAQ_FILE = fileURLToPath(new URL('../../../faq/sample-print-shop.yaml', import.meta.url));
export const BUILTIN_SENSITIVE_WORDS_FILE = fileURLToPath(new URL('../../../faq/sensitive-words.txt', import.meta.url));
export const BUILTIN_SYSTEM_PROMPT_FILE = fileURLToPath(new URL('../../../prompts/agent-system.md', import.meta.url));

const words = z.array(z.string().min(1)).default([]);

const entrySchema = z
  .object({
    id: z.string().min(1).optional(),
    keywords: words,
    /** Questions customers ask that this entry answers: their words count like keywords. */
    examples: words,
    patterns: words,
    /** Greetings, thanks, goodbyes: answered, but not a question about the shop (the eval counts them apart). */
    smalltalk: z.boolean().default(false),
    /** A catch-all topic (the price list): an entry about something specific that also matches answers first. */
    generic: z.boolean().default(false),
    answer: z.string().min(1),
  })
  .refine((e) => e.keywords.length + e.examples.length + e.patterns.length > 0, {
    message: 'an entry needs keywords, examples or patterns',
  });

export const faqSchema = z.object({
  shop: z.string().default('本店'),
  /** Older files' catch-all reply; the clarifying question (clarify_reply) took its place. */
  fallback: z.string().min(1).optional(),
  handoff_reply: z.string().min(1),
  payment_reply: z.string().min(1).default('收到您的付款信息，我们核对后马上为您安排。'),
  file_reply: z.string().min(1).default('收到您发来的文件，设计师会尽快查看。'),
  order_reply: z.string().min(1).default('已为您下单（单号 {order_id}）：{summary}。'),
  order_missing: z.string().min(1).default('请告诉我要做的产品和数量。'),
  status_reply_none: z.string().min(1).default('暂时没有查到您的订单。'),
  clarify_reply: z.string().min(1).default('不好意思，我没太明白。您是想问价格、工期、发票、地址，还是要下单呢？'),
  order_confirm: z.string().min(1).default('请核对订单：{summary}。回复「确认」即为您下单，要修改请直接告诉我。'),
  order_cancelled: z.string().min(1).default('好的，这个订单先不下了，有需要随时找我。'),
  off_hours_reply: z.string().min(1).default('您好，现在是非营业时间，消息已收到，{opens} 上班后第一时间回复您。'),
  handoff_reply_off_hours: z.string().min(1).default('好的，已为您登记转接人工，{opens} 上班后人工客服会第一时间联系您。'),
  /** Below this score (FaqIndex) an entry is a guess: the rules ask a clarifying question instead. */
  min_score: z.number().positive().default(1.5),
  /** A word → words that mean the same, folded into it before scoring (价格: [价钱, 多少钱, 报价]). */
  synonyms: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Phrases that ask for a person (转人工, 找客服 …); 客服 or 人工 inside another question is not one. */
  handoff_words: words,
  complaint_words: words,
  confirm_words: words,
  cancel_words: words,
  payment_words: words,
  order_words: words,
  status_words: words,
  products: words,
  materials: words,
  entries: z.array(entrySchema).default([]),
});

export type FaqData = z.infer<typeof faqSchema>;

export interface FaqAnswer {
  id: string;
  answer: string;
  /** FaqIndex's score: the confidence. */
  score: number;
  smalltalk: boolean;
}

export class Faq {
  private readonly entries: Map<string, { answer: string; smalltalk: boolean }>;
  private built: FaqIndex | null = null;
  private readonly buildIndex: () => FaqIndex;

  constructor(
    readonly data: FaqData,
    readonly file: string,
  ) {
    const entries = data.entries.map((e, i) => ({
      id: e.id ?? `entry_${i + 1}`,
      keywords: e.keywords.map(normalizeText).filter(Boolean),
      examples: e.examples,
      patterns: e.patterns.map((p, j) => {
        try {
          return new RegExp(p, 'iu');
        } catch (error) {
          throw new ValidationError(
            `${file}: entries[${i}].patterns[${j}] is not a regular expression (${(error as Error).message})`,
            'AICS_FAQ_FILE',
          );
        }
      }),
      answer: e.answer,
      smalltalk: e.smalltalk,
      generic: e.generic,
    }));
    this.entries = new Map(entries.map((e) => [e.id, { answer: e.answer, smalltalk: e.smalltalk }]));
    this.buildIndex = () => new FaqIndex(entries, data.synonyms, data.products);
  }

  /**
   * Built on the first question it ranks: it loads jieba's dictionary (~45 MB of native memory, ~0.3 s), which an
   * agent answering through an LLM may never need (the rules answer only when the LLM fails).
   */
  get index(): FaqIndex {
    return (this.built ??= this.buildIndex());
  }

  /** Reads and validates a FAQ file (YAML or JSON); the built-in sample when `file` is null. */
  static load(file: string | null): Faq {
    const path = file ?? BUILTIN_FAQ_FILE;
    return new Faq(readDataFile(path, faqSchema, 'AICS_FAQ_FILE'), path);
  }

  /** Entries answering `question` with at least `min_score`, best first. */
  lookup(question: string, limit = 2): FaqAnswer[] {
    return this.rank(question)
      .filter((a) => a.score >= this.data.min_score)
      .slice(0, limit);
  }

  /** Every entry with a score, best first, confident or not. */
  rank(question: string): FaqAnswer[] {
    return this.index.rank(question).map(({ id, score }) => ({ id, score, ...this.entries.get(id)! }));
  }

  /** The first of `list` that `text` contains (normalised), or null. */
  static said(text: string, list: readonly string[]): string | null {
    const t = normalizeText(text);
    return list.find((w) => t.includes(normalizeText(w))) ?? null;
  }
}

/** The sensitive-word list (one a line, # comments); the built-in list when `file` is null. */
export function loadSensitiveWords(file: string | null): string[] {
  return readTextFile(file ?? BUILTIN_SENSITIVE_WORDS_FILE, 'AICS_SENSITIVE_WORDS_FILE')
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** The LLM's system prompt; `{{shop}}` is replaced with the FAQ's shop name. */
export function loadSystemPrompt(file: string | null, shop: string): string {
  return readTextFile(file ?? BUILTIN_SYSTEM_PROMPT_FILE, 'AICS_LLM_SYSTEM_PROMPT_FILE')
    .replaceAll('{{shop}}', shop)
    .trim();
}
