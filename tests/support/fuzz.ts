/**
 * Pieces of the fuzz tests (tests/fuzz): a seeded PRNG, generators of hostile values, a raw HTTP client for bytes
 * that undici refuses to send, and a summary of what the store holds.
 *
 * The seed is fixed by default, so a run is repeatable and CI does not flake on a new input; AICS_FUZZ_SEED=<n>
 * replays a run, AICS_FUZZ_SEED=random explores a fresh one. AICS_FUZZ_N sets the number of cases of each fuzz file.
 * Every failure message starts with the seed that reproduces it.
 */
import Database from 'better-sqlite3';
import { connect } from 'node:net';

export const DEFAULT_FUZZ_SEED = 20260228;

/**
 * The seed and the number of cases of this run (see above), and the environment that replays it: `defaultN` is
 * the file's number of cases when AICS_FUZZ_N is not set.
 */
export function fuzzRun(defaultN: number): { seed: number; n: number; replay: string } {
  const env = process.env.AICS_FUZZ_SEED?.trim();
  const seed = env === 'random' ? (Date.now() ^ (process.pid << 16)) >>> 0 : env ? Number(env) >>> 0 : DEFAULT_FUZZ_SEED;
  if (env === 'random') process.stderr.write(`fuzz seed ${seed}\n`);
  const given = Number(process.env.AICS_FUZZ_N);
  const n = Number.isInteger(given) && given > 0 ? given : defaultN;
  return { seed, n, replay: `AICS_FUZZ_SEED=${seed} AICS_FUZZ_N=${n}` };
}

/** sfc32: small, fast, and the same sequence for the same seed on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** [0, 1) */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** Picks by weight: [[weight, value], …]. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

/** Strings that break naive code: SQL, traversal, control characters, odd Unicode, format strings. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n',
  "'; DROP TABLE tasks; --",
  '" OR 1=1 --',
  "x' OR '1'='1",
  '; SELECT * FROM sqlite_master',
  '../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/etc/passwd',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}%s%n%x',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-0',
  '1e309',
  'a\u0000b',
  '\u0000',
  '\u0007\u001b[31m',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\ufeffBOM',
  '\u202e\u2066rtl',
  '\u200b\u200c\u200d',
  'Ｆｕｌｌ　ｗｉｄｔｈ',
  '好的',
  '好的。',
  '𝕏😀👨‍👩‍👧',
  'é'.normalize('NFD'),
  '\r\nX-Injected: 1',
  'a'.repeat(129),
  'x'.repeat(5000),
];

/** A short random string: printable, Unicode, or nasty. */
export function randomString(rng: Rng): string {
  switch (rng.int(0, 4)) {
    case 0:
      return rng.pick(NASTY_STRINGS);
    case 1: {
      let s = '';
      for (let i = rng.int(0, 20); i > 0; i--) s += String.fromCharCode(rng.int(0x20, 0x7e));
      return s;
    }
    case 2: {
      let s = '';
      for (let i = rng.int(1, 12); i > 0; i--) s += String.fromCodePoint(rng.int(0, 0x10ffff));
      return s;
    }
    case 3: {
      // Any UTF-16 units, lone surrogates included.
      let s = '';
      for (let i = rng.int(1, 12); i > 0; i--) s += String.fromCharCode(rng.int(0, 0xffff));
      return s;
    }
    default:
      return `${rng.pick(['TASK_', 'c_', '', 'customer_'])}${rng.int(0, 1e6)}`;
  }
}

/** A random JSON value (as a value: numbers are finite). */
export function randomValue(rng: Rng, depth = 0): unknown {
  const leaf = depth > 3 || rng.chance(0.6);
  if (leaf) {
    return rng.weighted<() => unknown>([
      [3, () => randomString(rng)],
      [1, () => rng.pick([0, -1, 1, 0.5, -0, 1e21, -1e-7, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE])],
      [1, () => rng.int(-1000, 1000)],
      [1, () => rng.chance(0.5)],
      [1, () => null],
    ])();
  }
  if (rng.chance(0.4)) return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = rng.int(0, 5); i > 0; i--) out[rng.chance(0.7) ? rng.pick(FIELD_NAMES) : randomString(rng)] = randomValue(rng, depth + 1);
  return out;
}

/** Names the API knows, so random objects reach deeper into the validation. */
export const FIELD_NAMES = [
  'task_id',
  'type',
  'customer',
  'id',
  'name',
  'acc_id',
  'trigger',
  'customer_id',
  'customer_name',
  'keyword',
  'keywords',
  'exact_match',
  'time',
  'expression',
  'action',
  'message',
  'file_url',
  'file_name',
  'priority',
  'timeout_hours',
  'max_retry',
  'created_by',
  'reason',
  'status',
  'event_id',
] as const;

/** `{"a":{"a":…}}` `depth` levels deep, as text (JSON.stringify would overflow the stack). */
export function deepObjectText(depth: number, key = 'a'): string {
  return `{"${key}":`.repeat(depth) + '1' + '}'.repeat(depth);
}

export function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A JSON text with `{"key": <value text>}` merged into the object text `objectText`. */
export function withRawField(objectText: string, key: string, valueText: string): string {
  const inner = objectText.trim().slice(1, -1).trim();
  return `{${JSON.stringify(key)}:${valueText}${inner ? `,${inner}` : ''}}`;
}

/** Sets `value` at a dotted path in a copy of `obj` (creating objects on the way); `undefined` deletes. */
export function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

/** Every path to a leaf or object in `obj`, e.g. ['trigger', 'keyword']. */
export function paths(obj: unknown, prefix: string[] = []): string[][] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const out: string[][] = [];
  for (const [k, v] of Object.entries(obj)) {
    out.push([...prefix, k]);
    out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

// ───────────── raw HTTP ─────────────

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `bytes` to host:port as they are and reads every response until the server closes the connection or
 * `timeoutMs` passes (then the connection is closed and what arrived is returned). Responses must carry
 * Content-Length (ours all do).
 */
export function rawHttp(url: string, bytes: Buffer | string, timeoutMs = 3_000): Promise<{ responses: RawResponse[]; timedOut: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the server's answer: what arrived is parsed below
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve({ responses: parseResponses(Buffer.concat(chunks)), timedOut });
      } catch (error) {
        reject(error);
      }
    });
    socket.write(bytes);
  });
}

function parseResponses(buf: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`a truncated response head: ${JSON.stringify(buf.subarray(at).toString('latin1').slice(0, 200))}`);
    const [statusLine, ...lines] = buf.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
    if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = buf.subarray(end + 4, end + 4 + length).toString('utf8');
    out.push({ status: Number(m[1]), headers, body });
    at = end + 4 + length;
  }
  return out;
}

// ───────────── the store ─────────────

/** Rows of every table, by name (sqlite's own tables excepted). */
export function tableCounts(dbFile: string): Record<string, number> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as {
      name: string;
    }[];
    return Object.fromEntries(
      names.map(({ name }) => [name, (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n]),
    );
  } finally {
    db.close();
  }
}

/** Everything stored about these tasks: their rows, events, attempts and outbox entries. */
export function tasksSnapshot(dbFile: string, taskIds: readonly string[]): Record<string, unknown> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const ids = JSON.stringify(taskIds);
    const of = (table: string, order: string) =>
      db.prepare(`SELECT * FROM ${table} WHERE task_id IN (SELECT value FROM json_each(?)) ORDER BY ${order}`).all(ids);
    return {
      tasks: of('tasks', 'task_id'),
      task_events: of('task_events', 'id'),
      task_attempts: of('task_attempts', 'task_id, attempt'),
      outbox: of('outbox', 'id'),
    };
  } finally {
    db.close();
  }
}

/** Every task_id in the store. */
export function taskIds(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT task_id FROM tasks ORDER BY task_id').all() as { task_id: string }[]).map((r) => r.task_id);
  } finally {
    db.close();
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}
