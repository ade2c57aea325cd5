/**
 * The FAQ file of the rules provider (AICS_FAQ_FILE; default faq/sample-print-shop.yaml in the package): entries
 * of keywords / patterns → answers, handoff, payment, order and status words, and the fixed replies. YAML or JSON,
 * validated with zod so a typo names the field. Matching normalises both sides like the trigger engine does.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { matchWindow, normalizeText } from '../../tasks/index.js';
import { readDataFile, readTextFile } from './data-file.js';

/** The sample shipped with aics: resolved from this module, in src/ (tests) and dist/ alike. */
export const BUILTIN_FAQ_FILE = fileURLToPath(new URL('../../../faq/sample-print-shop.yaml', import.meta.url));
export const BUILTIN_SENSITIVE_WORDS_FILE = fileURLToPath(new URL('../../../faq/sensitive-words.txt', import.meta.url));
export const BUILTIN_SYSTEM_PROMPT_FILE = fileURLToPath(new URL('../../../prompts/agent-system.md', import.meta.url));

const words = z.array(z.string().min(1)).default([]);

const entrySchema = z
  .object({
    id: z.string().min(1).optional(),
    keywords: words,
    patterns: words,
    answer: z.string().min(1),
  })
  .refine((e) => e.keywords.length + e.patterns.length > 0, { message: 'an entry needs keywords or patterns' });

export const faqSchema = z.object({
  shop: z.string().default('本店'),
  fallback: z.string().min(1),
  handoff_reply: z.string().min(1),
  payment_reply: z.string().min(1).default('收到您的付款信息，我们核对后马上为您安排。'),
  file_reply: z.string().min(1).default('收到您发来的文件，设计师会尽快查看。'),
  order_reply: z.string().min(1).default('已为您下单（单号 {order_id}）：{summary}。'),
  order_missing: z.string().min(1).default('请告诉我要做的产品和数量。'),
  status_reply_none: z.string().min(1).default('暂时没有查到您的订单。'),
  handoff_words: words,
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
  hits: number;
}

export class Faq {
  private readonly entries: { id: string; keywords: string[]; patterns: RegExp[]; answer: string }[];

  constructor(
    readonly data: FaqData,
    readonly file: string,
  ) {
    this.entries = data.entries.map((e, i) => ({
      id: e.id ?? `entry_${i + 1}`,
      keywords: e.keywords.map(normalizeText).filter(Boolean),
      patterns: e.patterns.map((p, j) => {
        try {
          return new RegExp(p, 'iu');
        } catch (error) {
          throw new ValidationError(`${file}: entries[${i}].patterns[${j}] is not a regular expression (${(error as Error).message})`, 'AICS_FAQ_FILE');
        }
      }),
      answer: e.answer,
    }));
  }

  /** Reads and validates a FAQ file (YAML or JSON); the built-in sample when `file` is null. */
  static load(file: string | null): Faq {
    const path = file ?? BUILTIN_FAQ_FILE;
    return new Faq(readDataFile(path, faqSchema, 'AICS_FAQ_FILE'), path);
  }

  /** Entries answering `question`, best first (most hits; the file's order breaks ties). */
  lookup(question: string, limit = 2): FaqAnswer[] {
    const text = normalizeText(question);
    const raw = matchWindow(question).normalize('NFKC');
    const scored = this.entries
      .map((e, order) => ({
        id: e.id,
        answer: e.answer,
        order,
        hits: e.keywords.filter((k) => text.includes(k)).length + e.patterns.filter((p) => p.test(raw.trim())).length,
      }))
      .filter((e) => e.hits > 0)
      .sort((a, b) => b.hits - a.hits || a.order - b.order);
    return scored.slice(0, limit).map(({ id, answer, hits }) => ({ id, answer, hits }));
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
  return readTextFile(file ?? BUILTIN_SYSTEM_PROMPT_FILE, 'AICS_LLM_SYSTEM_PROMPT_FILE').replaceAll('{{shop}}', shop).trim();
}
