/**
 * Where the store lives, read from --db / AICS_DB: a file path (today's default), a `file:` or `sqlite:` URL, or a
 * `postgres://` URL (a PostgreSQL server's database). A value without one of these schemes is a
 * path, even with a colon in it, so every existing --db value keeps its meaning.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.js';

export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

const SCHEME = /^(file|sqlite|postgres|postgresql):/i;

/** True when the value is a URL rather than a path (config keeps such a value as it is). */
export function isStoreUrl(value: string): boolean {
  return SCHEME.test(value.trim()) || /^[a-z][a-z0-9+.-]+:\/\//i.test(value.trim());
}

/** Reads a --db value; relative file paths are resolved against `cwd`. ValidationError naming --db for a value it cannot use. */
export function parseStoreLocation(value: string, cwd: string = process.cwd()): StoreLocation {
  const text = value.trim();
  if (!text) throw new ValidationError('--db / AICS_DB: is empty; give a database file path', '--db');
  if (!isStoreUrl(text)) return { kind: 'sqlite', file: resolve(cwd, text) };
  const scheme = text.slice(0, text.indexOf(':')).toLowerCase();
  const rest = text.slice(scheme.length + 1);
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: text };
  if (scheme === 'file') {
    if (!rest.startsWith('//')) return { kind: 'sqlite', file: resolve(cwd, decodeURIComponent(rest)) };
    try {
      return { kind: 'sqlite', file: fileURLToPath(text) };
    } catch (error) {
      throw new ValidationError(`--db / AICS_DB: ${text} is not a local file URL (${(error as Error).message})`, '--db');
    }
  }
  if (scheme === 'sqlite') {
    // sqlite:///abs/tasks.db is absolute; sqlite:data/tasks.db and sqlite://data/tasks.db are relative.
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (!path) throw new ValidationError(`--db / AICS_DB: ${text} names no file`, '--db');
    return { kind: 'sqlite', file: resolve(cwd, decodeURIComponent(path)) };
  }
  throw new ValidationError(
    `--db / AICS_DB: "${redactUrl(text)}" is not a store aics knows: give a SQLite file path (or a file: / sqlite: URL)`,
    '--db',
  );
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
