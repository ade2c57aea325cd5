/**
 * Reading the agent's files (the FAQ, scripted dialogues, sensitive words, the system prompt): YAML, or JSON by the `.json` ending, validated
 * with a zod schema. Every failure is one ValidationError naming the file and, as its field, the setting or
 * argument that named the file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** A text file's content, or one ValidationError naming `field` (the setting or argument that named the file). */
export function readTextFile(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError(
      `${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      field,
    );
  }
}

export function readDataFile<S extends z.ZodType>(path: string, schema: S, field: string): z.infer<S> {
  const text = readTextFile(path, field);
  const json = /\.json$/i.test(path);
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ValidationError(`${path}: not valid ${json ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`, field);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`, field);
  }
  return parsed.data;
}
