/**
 * Keyword normalisation, applied to both the customer's message and the task's keyword so that what a person
 * would call "the same words" match:
 *   - Unicode NFKC: full-width letters, digits and punctuation become their half-width forms (ＯＫ → OK, ！ → !)
 *   - case folded (OK → ok)
 *   - surrounding white space removed, inner runs of white space collapsed to one space
 *   - trailing punctuation removed (好的。 → 好的, 好的!!! → 好的, 行~ → 行)
 *
 * Customer text is hostile input: every step here is linear in its length, and only the first MAX_MATCH_CHARS
 * characters of a message are matched (issue #17: an anchored `[…]+$` regex was quadratic, and one 8,000-character
 * message froze the daemon for seconds).
 */

/** How much of a message keywords are looked for in (a keyword is at most 200 characters). */
export const MAX_MATCH_CHARS = 8000;

const LEADING_SPACE = /^\s+/u;
const INNER_SPACE = /\s+/gu;
/** One code point: white space, punctuation or a symbol (emoji included). */
const STRIPPABLE = /^[\s\p{P}\p{S}]$/u;

/** The first `max` characters of `text`, never cutting a surrogate pair in half. */
export function matchWindow(text: string, max = MAX_MATCH_CHARS): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** `text` without its trailing white space, punctuation and symbols: one backward scan, one code point at a time. */
function stripTrailing(text: string): string {
  let end = text.length;
  while (end > 0) {
    const low = text.charCodeAt(end - 1);
    const width = end >= 2 && low >= 0xdc00 && low <= 0xdfff && isHigh(text.charCodeAt(end - 2)) ? 2 : 1;
    if (!STRIPPABLE.test(text.slice(end - width, end))) break;
    end -= width;
  }
  return text.slice(0, end);
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;

export function normalizeText(text: string): string {
  return stripTrailing(matchWindow(text).normalize('NFKC').toLowerCase().replace(LEADING_SPACE, '')).replace(INNER_SPACE, ' ');
}

/**
 * Whether `message` says `keyword`: with exactMatch the whole message must equal it (after normalisation),
 * otherwise containing it is enough ("好的谢谢" contains 好的). An empty keyword never matches.
 */
export function keywordMatches(message: string, keyword: string, exactMatch: boolean): boolean {
  const k = normalizeText(keyword);
  if (k === '') return false;
  const m = normalizeText(message);
  return exactMatch ? m === k : m.includes(k);
}
