/**
 * What every reply goes through before it is sent: the sensitive-word list (each occurrence → ***), and splitting
 * of long replies into parts of at most `maxChars`, cut at sentence ends (。！？!?; newline) when there is one.
 */

export function maskSensitive(text: string, words: readonly string[]): string {
  let out = text;
  for (const w of words) {
    if (!w) continue;
    out = out.split(w).join('***');
    // case-insensitive for Latin words
    if (/[a-z]/i.test(w)) out = out.replace(new RegExp(w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '***');
  }
  return out;
}

const SENTENCE_END = /[。！？!?；;\n]|\.(?=\s|$)/gu;

/** Parts of at most maxChars each, cut after the last sentence end inside the limit (else at the limit). */
export function splitReply(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > maxChars) {
    const window = rest.slice(0, maxChars);
    let cut = -1;
    for (const m of window.matchAll(SENTENCE_END)) cut = m.index! + m[0].length;
    if (cut < maxChars / 3) cut = maxChars; // no sentence end in a sensible place: cut hard
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts.filter(Boolean);
}
