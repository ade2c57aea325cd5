/**
 * Reading a JSON document from a file or stdin, with one-line errors that say where the text went wrong
 * ("task.json: not valid JSON at line 4, column 12: expected ',' or '}'"). Node's own JSON.parse messages differ
 * between versions and often give no position, so a small scanner finds it.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '../errors.js';

/**
 * What a task file (or stdin) may hold: the API's body limit. Reading stops there, so `--file /dev/urandom` or a
 * gigabyte on stdin costs 256 KiB of memory and one clear error, not gigabytes.
 */
export const INPUT_LIMIT_BYTES = 256 * 1024;

class TooLarge extends Error {}

export interface JsonInput {
  /** "stdin" or the path as the operator wrote it: what error messages call it. */
  name: string;
  value: unknown;
}

/** Reads `path` ("-" for stdin) and parses it; ValidationError (exit 2) naming `flag` or the position otherwise. */
export async function readJsonInput(path: string, flag: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<JsonInput> {
  const name = path === '-' ? 'stdin' : path;
  let text: string;
  try {
    text = await readStream(path === '-' ? stdin : createReadStream(resolve(path)));
  } catch (error) {
    if (error instanceof TooLarge)
      throw new ValidationError(`${flag}: ${name} is larger than ${INPUT_LIMIT_BYTES / 1024} KiB (a task is far smaller)`, flag);
    const err = error as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : (err.code ?? err.message);
    throw new ValidationError(`${flag}: cannot read ${name}: ${why}`, flag);
  }
  return { name, value: parseJsonText(text, name, flag) };
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    if (bytes > INPUT_LIMIT_BYTES) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new TooLarge();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonText(raw: string, name: string, flag: string): unknown {
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new ValidationError(`${name}: is empty; expected the task as JSON`, flag);
  try {
    return JSON.parse(text);
  } catch (error) {
    const found = locateJsonError(text);
    if (!found) throw new ValidationError(`${name}: not valid JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`, flag);
    const { line, column } = lineAndColumn(text, found.offset);
    throw new ValidationError(`${name}: not valid JSON at line ${line}, column ${column}: ${found.reason}`, flag);
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The first offset at which `text` is not JSON (RFC 8259), or null when it is valid. */
export function locateJsonError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  const n = text.length;
  const describe = (at: number) => {
    if (at >= n) return 'end of input';
    const c = text[at]!;
    return c < ' ' ? JSON.stringify(c) : `'${c}'`;
  };
  const fail = (expected: string): never => {
    throw new JsonSyntax(i, `${expected}, found ${describe(i)}`);
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    i++; // opening quote
    while (i < n) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('expected 4 hex digits after \\u');
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          i++;
          fail('expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)');
        }
        i += 2;
        continue;
      }
      if (c < ' ') fail('expected the closing quote of the string (a line break or control character must be escaped)');
      i++;
    }
    fail('expected the closing quote of the string');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a "quoted" property name');
        string();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (c !== undefined && /[-0-9]/.test(c) && number.exec(text)) {
      i = number.lastIndex;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail('expected a value');
  };
  try {
    value();
    ws();
    if (i < n) fail('expected the end of the document');
    return null;
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, reason: error.reason };
    throw error;
  }
}
