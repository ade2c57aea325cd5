/**
 * Keyword normalisation, applied to both the customer's message and the task's keyword so that what a person
 * would call "the same words" match:
 *   - Unicode NFKC: full-width letters, digits and punctuation become their half-width forms (ＯＫ → OK, ！ → !)
 *   - case folded (OK → ok)
 *   - surrounding white space removed, inner runs of white space collapsed to one space
 *   - trailing punctuation removed (好的。 → 好的, 好的!!! → 好的, 行~ → 行)
 */
const TRAILING_PUNCTUATION = /[\s\p{P}\p{S}]+$/u;
const LEADING_SPACE = /^\s+/u;
const INNER_SPACE = /\s+/gu;

export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(LEADING_SPACE, '')
    .replace(TRAILING_PUNCTUATION, '')
    .replace(INNER_SPACE, ' ');
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
