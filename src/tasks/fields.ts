/**
 * The field validators that the task payload and every trigger descriptor share (zod), so that an error names the
 * same problem the same way whichever trigger it is in. Pure.
 */
import { z } from 'zod';
import { normalizeText } from './normalize.js';

/** A UTF-16 surrogate not part of a pair (the `u` flag makes a pair one code point, so only lone ones match). */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // SQLite keeps a lone surrogate as bytes that read back as U+FFFD: a task_id would answer under another id.
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (it holds a lone surrogate)');
/**
 * Ids go into URLs, log lines, terminals and (percent-encoded) HTTP headers. Control characters (C0, DEL, C1) and
 * invisible format characters (bidi overrides, zero-width spaces and joiners, BOM) make two ids look alike or rewrite
 * a terminal line, so they are refused; Chinese, emoji and other visible characters are fine.
 */
const INVISIBLE = /[\s\p{Cc}\p{Cf}]/u;
export const id = text(128).refine(
  (s) => !INVISIBLE.test(s),
  'must not contain spaces, control characters, or bidi or zero-width characters',
);

/** A keyword that normalises to nothing (👍, ?, 。) could never fire: see normalize.ts. */
export const keyword = text(200).refine(
  (k) => k === '' || normalizeText(k) !== '',
  'must contain a letter, digit or character other than punctuation, symbols and spaces (it could never match)',
);
export const keywordList = z.array(keyword).min(1, 'needs at least one keyword').max(50, 'at most 50 keywords');
