/**
 * Reading an order's fields from a customer's words: product and material from the FAQ's lists, quantity (digits or
 * Chinese numerals, with a measure word), size (A4, 90x54mm), deadline (周五前, 3月1日). Pure text work, no I/O.
 */
import { matchWindow } from '../../tasks/index.js';
import type { Faq } from './faq.js';
import type { DraftFields, OrderFields } from './tools.js';

const UNITS = '张|个|份|本|件|套|只|条|块|盒|册|幅|pcs|卷|副';
const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CN_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000, 万: 10000 };
// Each number is tried from the start of its digit run only ((?<![\d.])): unanchored, `\d+` would be retried from
// every digit of a long run and take quadratic time on a hostile message.
const QUANTITY = new RegExp(
  `(?:数量\\s*[:：]?\\s*(\\d+))|(?<![\\d.])(\\d+(?:\\.\\d+)?)\\s*(k|w|千|万)?\\s*(?:${UNITS})|([零〇一二两三四五六七八九十百千万]+)\\s*(?:${UNITS})`,
  'i',
);
const SIZE = /((?<![\d.])\d+(?:\.\d+)?\s*[x×*]\s*\d+(?:\.\d+)?\s*(?:mm|cm|m|毫米|厘米|米)?|(?<![a-z])a[0-6](?![0-9a-z]))/i;
const DEADLINE =
  /((?:今天|明天|后天|大后天|本周[一二三四五六日天]?|下周[一二三四五六日天]?|周[一二三四五六日天]|星期[一二三四五六日天]|\d{1,2}月\d{1,2}[日号]|\d{1,2}[日号]|(?<!\d)\d+天)(?:之前|以前|前|内)?)/;

/** 三百 → 300, 两千五 → 2500, 一万 → 10000; NaN when it is not a number. */
export function chineseNumber(s: string): number {
  let total = 0;
  let section = 0;
  let digit = 0;
  let lastUnit = 1;
  for (const ch of s) {
    if (ch in CN_DIGITS) digit = CN_DIGITS[ch]!;
    else if (ch === '万') {
      total += (section + digit) * 10000;
      section = 0;
      digit = 0;
      lastUnit = 10000;
    } else if (ch in CN_UNITS) {
      section += (digit || 1) * CN_UNITS[ch]!;
      digit = 0;
      lastUnit = CN_UNITS[ch]!;
    } else return NaN;
  }
  // 两千五: a trailing digit after a unit is a tenth of it.
  if (digit && lastUnit >= 100 && s.length > 1 && !(s.at(-1)! in CN_UNITS) && !/[零〇]/.test(s)) digit *= lastUnit / 10;
  return total + section + digit;
}

function quantityOf(t: string): number | undefined {
  const q = QUANTITY.exec(t);
  if (!q) return undefined;
  let n: number;
  if (q[1]) n = Number(q[1]);
  else if (q[2]) n = Number(q[2]) * ({ k: 1000, 千: 1000, w: 10000, 万: 10000 }[q[3]?.toLowerCase() ?? ''] ?? 1);
  else n = chineseNumber(q[4]!);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

const longestFirst = (list: readonly string[]) => [...list].sort((a, b) => b.length - a.length);

/** Whatever fields the text gives; an empty object when it gives none. */
export function readOrderFields(text: string, faq: Faq): DraftFields {
  const t = matchWindow(text).normalize('NFKC');
  const lower = t.toLowerCase();
  const fields: DraftFields = {};
  const product = longestFirst(faq.data.products).find((p) => lower.includes(p.toLowerCase()));
  if (product) fields.product = product;
  const quantity = quantityOf(t);
  if (quantity) fields.quantity = quantity;
  const size = SIZE.exec(t);
  if (size) fields.size = size[1]!.replace(/\s+/g, '').replace(/^a/, 'A');
  const material = longestFirst(faq.data.materials).find((m) => lower.includes(m.toLowerCase()));
  if (material && material !== product) {
    const gram = new RegExp(`((?<!\\d)\\d+\\s*g)\\s*${material.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i').exec(t);
    fields.material = gram ? `${gram[1]!.replace(/\s+/g, '')}${material}` : material;
  }
  const deadline = DEADLINE.exec(t);
  if (deadline) fields.deadline = deadline[1]!;
  return fields;
}

/** Product and quantity (both required), size, material, deadline from one message; null without both. */
export function parseOrder(text: string, faq: Faq): OrderFields | null {
  const f = readOrderFields(text, faq);
  return f.product && f.quantity ? (f as OrderFields) : null;
}
