/**
 * Bad input over HTTP (issue #6): thousands of random and malformed requests to every endpoint of a real daemon on
 * port 0, valid ones interleaved. Nothing crashes, nothing answers 500, every answer is the envelope with the HTTP
 * status equal to its code, every 400 names the field (or the body), Object.prototype stays clean, and what was
 * stored before is exactly what is stored after.
 *
 * Repeatable: AICS_FUZZ_SEED=<n> replays a run, AICS_FUZZ_SEED=random tries a fresh one, AICS_FUZZ_N=<n> sets the
 * number of requests (tests/support/fuzz.ts).
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';
import {
  NASTY_STRINGS,
  Rng,
  deepArrayText,
  deepObjectText,
  fuzzRun,
  paths,
  pool,
  randomString,
  randomValue,
  rawHttp,
  setPath,
  tableCounts,
  taskIds,
  tasksSnapshot,
  withRawField,
} from '../support/fuzz.js';

const { seed, n: N, replay } = fuzzRun(2500);
const TOKEN = 'fuzz-token-8d1f0c2b9e7a4c3d';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const LIMIT = 256 * 1024;

// ───────────── what is stored before the run ─────────────

const WAITING = ['S_WAIT_1', 'S_WAIT_2', 'S_WAIT_3', 'S_WAIT_4', 'S_WAIT_5'];
const TERMINAL = ['S_CANCELLED_1', 'S_DONE_1'];
const RUNNING = ['S_RUNNING_1'];
const SEEDED = [...WAITING, ...TERMINAL, ...RUNNING];

/** Valid payloads, one per trigger and action type: the fuzzer's starting points. */
function templates(): Record<string, unknown>[] {
  const customer = { id: 'customer_123', name: '小明' };
  return [
    task('T'),
    task('T', { trigger: { type: 'customer_reply', keyword: '好的' } }),
    task('T', { trigger: { type: 'customer_keyword', keywords: ['好的', '可以', '行'] }, priority: 'high' }),
    task('T', { trigger: { type: 'customer_payment' }, action: { type: 'send_image', file_url: 'https://example.com/a.png' } }),
    task('T', { customer, trigger: { type: 'time_reach', time: '2030-02-28 09:00:00' } }),
    task('T', {
      customer,
      trigger: { type: 'cron', expression: '0 9 * * *' },
      action: { type: 'send_file', file_url: 'docs/a.pdf', file_name: 'a.pdf' },
    }),
  ];
}

function seededPayload(id: string): Record<string, unknown> {
  const all = templates();
  return { ...all[SEEDED.indexOf(id) % all.length]!, task_id: id };
}

// ───────────── the cases ─────────────

interface Case {
  kind: string;
  method: string;
  /** Already percent-encoded as it goes on the wire. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** A whole request written to the socket as it is (malformed HTTP that no client library would send). */
  raw?: Buffer;
  /** A valid request: the status it must get. */
  expect?: number;
  /** A valid receive: the task id it stores. */
  stores?: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const POST_PATHS = ['/api/task/receive', '/api/task/cancel', '/api/task/callback'];
const ALL_PATHS = [
  '/api/task/receive',
  '/api/task/cancel',
  '/api/task/callback',
  '/api/task/list',
  '/api/health',
  '/api/task/status/S_WAIT_1',
];

/** A few changes to a valid object: deleted, retyped, nasty, huge, extra and array-for-object fields. */
function mutate(rng: Rng, base: Record<string, unknown>): Record<string, unknown> {
  let obj = base;
  for (let n = rng.int(1, 3); n > 0; n--) {
    const all = paths(obj);
    const at = all.length ? rng.pick(all) : ['task_id'];
    obj = rng.weighted<() => Record<string, unknown>>([
      [3, () => setPath(obj, at, undefined)],
      [4, () => setPath(obj, at, randomValue(rng))],
      [3, () => setPath(obj, at, rng.pick(NASTY_STRINGS))],
      [1, () => setPath(obj, at, 'x'.repeat(rng.int(100, 5000)))],
      [2, () => setPath(obj, [...at.slice(0, -1), randomString(rng)], randomValue(rng))],
      [2, () => setPath(obj, at, [randomValue(rng)])],
      [1, () => setPath(obj, at, rng.pick([0, -0, -1, 1.5, 1e21, 2 ** 53 + 1, true, false, null, {}, []]))],
    ])();
  }
  return obj;
}

/** Textual changes JSON.stringify cannot make: prototype keys, duplicates, non-JSON numbers, deep nesting, … */
function mutateText(rng: Rng, text: string): string {
  return rng.weighted<() => string>([
    [3, () => withRawField(text, '__proto__', '{"polluted":"yes","status":"completed"}')],
    [2, () => withRawField(text, 'constructor', '{"prototype":{"polluted":"yes"}}')],
    [1, () => withRawField(text, 'trigger', '{"__proto__":{"polluted":"yes"},"type":"customer_reply","keyword":"好的"}')],
    [2, () => `{"task_id":"FZ_DUP","task_id":${JSON.stringify(randomString(rng))},${text.slice(1)}`],
    [
      2,
      () =>
        text.replace(
          /"timeout_hours":\s*[^,}]+/,
          `"timeout_hours":${rng.pick(['NaN', '1e309', '-1e309', 'Infinity', '-0', '0x10', '1_000', '.5', '+1', '01'])}`,
        ),
    ],
    [1, () => text.replace(/"max_retry":\s*[^,}]+|(?=})$/, `"max_retry":${rng.pick(['1e309', '-0', '3.0', '3e0', '1e-400'])}`)],
    [
      2,
      () =>
        withRawField(
          text,
          rng.pick(['extra', 'trigger', 'action', 'customer']),
          rng.chance(0.5) ? deepObjectText(10_000) : deepArrayText(10_000),
        ),
    ],
    [2, () => text.slice(0, rng.int(0, text.length - 1))],
    [1, () => `${text}${rng.pick(['x', ',', '}', ' // comment', '\u0000', '{}'])}`],
    [1, () => `\ufeff${text}`],
    [1, () => text.replace(/"/g, "'")],
  ])();
}

/** Bytes that are not UTF-8, or not text at all. */
function badBytes(rng: Rng): Buffer {
  return rng.weighted<() => Buffer>([
    [
      2,
      () =>
        Buffer.concat([
          Buffer.from('{"task_id":"'),
          Buffer.from(rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80], [0xc0, 0xaf], [0xfe, 0xff]])),
          Buffer.from('"}'),
        ]),
    ],
    [2, () => rng.bytes(rng.int(1, 300))],
    [1, () => Buffer.alloc(rng.int(1, 100))],
    [1, () => Buffer.from(rng.pick(['', ' ', '\n', '\r\n\r\n', '""', 'null', 'true', '0', '[]', '{}', '[{}]', '"{}"']))],
    [1, () => Buffer.from(JSON.stringify(task('FZ_UTF16')), 'utf16le')],
  ])();
}

/** A string near (or over) `size` bytes as a JSON object body. */
function sized(size: number, valid: boolean): string {
  const head = valid
    ? JSON.stringify(task('T_SIZE', { action: { type: 'send_message', message: 'm' } })).slice(0, -1) + ',"padding":"'
    : '{"padding":"';
  return head + 'x'.repeat(Math.max(0, size - head.length - 2)) + '"}';
}

/** Percent-encoded; lone surrogates (which encodeURIComponent refuses) become U+FFFD. */
const pct = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/gu, '\ufffd'));

function statusPath(rng: Rng): string {
  return `/api/task/status/${rng.pick<() => string>([
    () => '..%2f..%2fetc%2fpasswd',
    () => '..%2f..%2fetc',
    () => '%2e%2e%2f%2e%2e%2fetc',
    () => '..',
    () => '.',
    () => '%00',
    () => 'S_WAIT_1%00',
    () => '%ED%A0%80',
    () => '%E0%A4%A',
    () => '%',
    () => '%zz',
    () => 'x'.repeat(rng.pick([129, 2000, 20_000, 70_000])),
    () => pct('任务😀💥'),
    () => pct(randomString(rng)),
    () => 'S_WAIT_1/extra',
    () => "S_WAIT_1'%20OR%20'1'='1",
    () => '%27%3B%20DROP%20TABLE%20tasks%3B%20--',
  ])()}`;
}

function listQuery(rng: Rng): string {
  const one = () =>
    rng.pick([
      'page=-1',
      'page=0',
      'page=1.5',
      'page=1e3',
      'page=abc',
      'page=9007199254740993',
      'page=%201',
      'page_size=1e9',
      'page_size=201',
      'page_size=0',
      'page_size=-5',
      'status[]=x',
      'status[]=pending',
      'status=x&status=y',
      'status=pending%00',
      'status=PENDING',
      'status=',
      `customer_id=${pct(randomString(rng))}`,
      'customer_id=%ED%A0%80',
      `customer_id=${pct("'; DROP TABLE tasks; --")}`,
      'trigger_type=bogus',
      'trigger_type=cron&trigger_type=cron',
      '__proto__[polluted]=yes',
      'constructor[prototype][polluted]=yes',
      '__proto__=x',
      '=',
      '&&&',
      'page',
      '%',
      'a=%ZZ',
      `q=${'x'.repeat(rng.pick([100, 5000]))}`,
    ]);
  return Array.from({ length: rng.int(1, 3) }, one).join('&');
}

function rawRequest(rng: Rng, port: number): Buffer {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const auth = `Authorization: Bearer ${TOKEN}\r\n`;
  const body = JSON.stringify(task('FZ_RAW'));
  return Buffer.from(
    rng.pick<() => string>([
      () => `GARBAGE\r\n\r\n`,
      () => `GET /api/health HTTP/9.9\r\n${host}\r\n`,
      () => `GET  /api/health  HTTP/1.1\r\n${host}\r\n`,
      () => `GET /api/health HTTP/1.1\r\n${host}Bad Header: x\r\n\r\n`,
      () => `GET /api/health HTTP/1.1\r\n${host}X-Nul: a\u0000b\r\n\r\n`,
      () => `GET /api/health HTTP/1.1\r\n${host}X-Long: ${'a'.repeat(20_000)}\r\n\r\n`,
      () => `GET /api/health HTTP/1.1\r\n${host}${'X-Many: 1\r\n'.repeat(3000)}\r\n`,
      () => `GET /api/task/list?page=1 HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      () => `GET http://127.0.0.1:${port}/api/task/list HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      () => `GET /api/task/status/\u00ff\u00fe HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      () => `GET /api/task/status/任务 HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      () =>
        `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
      () => `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n${body}`,
      () => `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n${body}`,
      () => `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n${body}`,
      () =>
        `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n${body}\r\n0\r\n\r\n`,
      () =>
        `POST /api/task/receive HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
      () =>
        `POST /api/task/cancel HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      () => `POST /api/task/cancel HTTP/1.0\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      () => `DELETE /api/task/receive HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      () => `GET /api/health HTTP/1.1\r\n${host}Authorization: Bearer ${TOKEN}\r\nAuthorization: Bearer wrong\r\nConnection: close\r\n\r\n`,
      () => `GET /api/task/list HTTP/1.1\r\n${host}Authorization: Bearer ${TOKEN}\u0000\r\nConnection: close\r\n\r\n`,
      () => `GET /api/task/list HTTP/1.1\r\n${host}Authorization: Bearer ${'\u00e9'.repeat(30)}\r\nConnection: close\r\n\r\n`,
    ])(),
    'latin1',
  );
}

function fuzzCase(rng: Rng, i: number, port: number): Case {
  const fresh = `FZ_${i}`;
  const auth = (): Record<string, string> =>
    rng.chance(0.93)
      ? AUTH
      : rng.pick<Record<string, string>>([
          {},
          { authorization: '' },
          { authorization: 'Bearer' },
          { authorization: 'Bearer ' },
          { authorization: `Bearer ${TOKEN}x` },
          { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
          { authorization: TOKEN },
          { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
          { authorization: `Bearer ${'a'.repeat(8000)}` },
          { authorization: 'Bearer \u0001\u007f' },
        ]);

  // Valid requests, interleaved: they must still succeed.
  if (i % 15 === 0) {
    return rng.pick<() => Case>([
      () => ({
        kind: 'valid receive',
        method: 'POST',
        path: '/api/task/receive',
        headers: { ...AUTH, ...JSON_TYPE },
        body: JSON.stringify({ ...rng.pick(templates()), task_id: `OK_${i}` }),
        expect: 200,
        stores: `OK_${i}`,
      }),
      () => ({ kind: 'valid status', method: 'GET', path: `/api/task/status/${rng.pick(SEEDED)}`, headers: AUTH, expect: 200 }),
      () => ({ kind: 'valid list', method: 'GET', path: '/api/task/list?status=waiting&page=1&page_size=10', headers: AUTH, expect: 200 }),
      () => ({ kind: 'valid health', method: 'GET', path: '/api/health', headers: AUTH, expect: 200 }),
      () => ({
        kind: 'valid idempotent receive',
        method: 'POST',
        path: '/api/task/receive',
        headers: { ...AUTH, ...JSON_TYPE },
        body: JSON.stringify(seededPayload(WAITING[0]!)),
        expect: 200,
      }),
    ])();
  }

  return rng.weighted<() => Case>([
    [
      24,
      () => {
        const base = { ...rng.pick(templates()), task_id: rng.chance(0.85) ? fresh : rng.pick(SEEDED) };
        let body = JSON.stringify(mutate(rng, base));
        if (rng.chance(0.25)) body = mutateText(rng, body);
        return { kind: 'receive mutant', method: 'POST', path: '/api/task/receive', headers: { ...auth(), ...JSON_TYPE }, body };
      },
    ],
    [
      8,
      () => {
        // Never a seeded task that could still be cancelled: a valid cancel of one would change the snapshot.
        const base = { task_id: rng.pick([...TERMINAL, ...RUNNING, fresh, 'NO_SUCH_TASK']), reason: randomString(rng) };
        let body = JSON.stringify(rng.chance(0.7) ? mutate(rng, base) : base);
        if (rng.chance(0.2)) body = mutateText(rng, body);
        if (rng.chance(0.05)) body = JSON.stringify({ ...base, reason: 'r'.repeat(501) });
        return { kind: 'cancel mutant', method: 'POST', path: '/api/task/cancel', headers: { ...auth(), ...JSON_TYPE }, body };
      },
    ],
    [
      6,
      () => {
        let body = JSON.stringify(
          rng.chance(0.5) ? randomValue(rng) : mutate(rng, { task_id: fresh, status: 'completed', event_id: `ev_${i}` }),
        );
        if (rng.chance(0.3)) body = mutateText(rng, body.startsWith('{') ? body : '{}');
        return { kind: 'callback mutant', method: 'POST', path: '/api/task/callback', headers: { ...auth(), ...JSON_TYPE }, body };
      },
    ],
    [
      6,
      () => {
        const body = rng.weighted<() => string>([
          [3, () => JSON.stringify(randomValue(rng))],
          [1, () => deepObjectText(10_000)],
          [1, () => deepArrayText(10_000)],
          [1, () => deepObjectText(rng.int(50, 40_000), '__proto__')],
          [1, () => `{"a":${deepArrayText(rng.int(100, 100_000))}}`],
        ])();
        return { kind: 'random JSON', method: 'POST', path: rng.pick(POST_PATHS), headers: { ...auth(), ...JSON_TYPE }, body };
      },
    ],
    [
      5,
      () => ({ kind: 'bad bytes', method: 'POST', path: rng.pick(POST_PATHS), headers: { ...auth(), ...JSON_TYPE }, body: badBytes(rng) }),
    ],
    [
      3,
      () => {
        const size = rng.pick([LIMIT - 64, LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 4096, 4 * LIMIT]);
        return {
          kind: `body of ${size} bytes`,
          method: 'POST',
          path: rng.pick(POST_PATHS),
          headers: { ...AUTH, ...JSON_TYPE },
          body: sized(size, rng.chance(0.5)),
        };
      },
    ],
    [
      6,
      () => {
        const type = rng.pick([
          null,
          'text/plain',
          'text/plain; charset=utf-8',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=xyz',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'application/json;charset="utf-8"',
          'APPLICATION/JSON',
          'application/json ; charset = utf-8',
          'application/jsonx',
          'application/json, text/plain',
          'application/vnd.api+json',
          '*/*',
          '',
          ';',
          'application/json; ' + 'x=1; '.repeat(500),
        ]);
        const body = rng.chance(0.8) ? JSON.stringify({ ...task(fresh) }) : 'task_id=x&reason=y';
        return {
          kind: `content-type ${JSON.stringify(type)?.slice(0, 40)}`,
          method: 'POST',
          path: rng.pick(POST_PATHS),
          headers: { ...auth(), ...(type === null ? {} : { 'content-type': type }) },
          body,
        };
      },
    ],
    [
      3,
      () => ({
        kind: 'odd headers',
        method: rng.pick(['GET', 'POST']),
        path: rng.pick(ALL_PATHS),
        headers: {
          ...auth(),
          ...JSON_TYPE,
          ...rng.pick([
            { 'x-huge': 'h'.repeat(rng.pick([1000, 15_000, 20_000, 70_000])) },
            { 'content-encoding': 'gzip' },
            { 'content-encoding': 'br, identity' },
            { 'accept-charset': 'utf-16' },
            { accept: 'text/html' },
            { 'x-forwarded-for': '10.0.0.1, 1.2.3.4' },
            { 'transfer-encoding': 'chunked' },
            { expect: '100-continue' },
            { 'x-http-method-override': 'DELETE' },
            { connection: 'close' },
          ]),
        },
        body: JSON.stringify(task(fresh)),
      }),
    ],
    [7, () => ({ kind: 'status id', method: rng.pick(['GET', 'GET', 'HEAD']), path: statusPath(rng), headers: auth() })],
    [7, () => ({ kind: 'list query', method: 'GET', path: `/api/task/list?${listQuery(rng)}`, headers: auth() })],
    [
      6,
      () => {
        const path = rng.pick([
          ...ALL_PATHS,
          '/api/task',
          '/api/task/status',
          '/api/task/status/',
          '//api//health',
          '/api/health/..',
          '/api/../api/health',
          '/API/HEALTH',
          '/api/health?x=%ZZ',
          '/%2e%2e/%2e%2e/etc/passwd',
          '/api/task/receive%00',
          '/api/task/receive/../cancel',
          '/api/task/receive;x=1',
          '/api/task/receive%2f..%2fcancel',
          `/${'p/'.repeat(3000)}`,
          '/\u00e9',
        ]);
        const method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'FOO', 'get']);
        const hasBody = !['GET', 'HEAD', 'TRACE', 'get'].includes(method);
        return {
          kind: 'method and path',
          method,
          path,
          headers: { ...auth(), ...(hasBody ? JSON_TYPE : {}) },
          body: hasBody ? '{}' : undefined,
        };
      },
    ],
    [4, () => ({ kind: 'raw HTTP', method: 'RAW', path: '', headers: {}, raw: rawRequest(rng, port) })],
  ])();
}

// ───────────── checks ─────────────

/** What is wrong with an answer, or null. */
function problem(c: Case, status: number, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (c.expect !== undefined && status !== c.expect) return `a valid request got ${status}, not ${c.expect}`;
  if (c.method === 'HEAD') return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  const e = body as { code?: unknown; message?: unknown; data?: unknown };
  if (!e || typeof e !== 'object' || Object.keys(e).sort().join() !== 'code,data,message') return 'not the {code,message,data} envelope';
  if (e.code !== status) return `code ${String(e.code)} ≠ HTTP status ${status}`;
  if (typeof e.message !== 'string' || e.message === '') return 'no message';
  if (status === 400) {
    const field = (e.data as { field?: unknown } | null)?.field;
    if (typeof field !== 'string' || field === '') return '400 without data.field';
    if (!e.message.startsWith('参数错误: ') || !e.message.includes(`${field}:`)) return `400 message does not name its field "${field}"`;
  }
  return null;
}

function describeCase(c: Case, i: number): string {
  const what = c.raw ? JSON.stringify(c.raw.toString('latin1').slice(0, 100)) : `${c.method} ${c.path.slice(0, 100)}`;
  const body =
    c.body === undefined ? '' : ` body=${JSON.stringify((Buffer.isBuffer(c.body) ? c.body.toString('latin1') : c.body).slice(0, 120))}`;
  return `#${i} ${c.kind}: ${what}${body}`;
}

// ───────────── the run ─────────────

let d: TestDaemon;
const protoBefore = {
  object: Object.getOwnPropertyNames(Object.prototype).sort().join(),
  array: Object.getOwnPropertyNames(Array.prototype).sort().join(),
};

beforeAll(async () => {
  d = await startDaemon({ apiToken: TOKEN });
  for (const id of SEEDED) {
    const res = await call(d.url, 'POST', '/api/task/receive', seededPayload(id), AUTH);
    expect(res.status, res.text).toBe(200);
  }
  expect((await call(d.url, 'POST', '/api/task/cancel', { task_id: 'S_CANCELLED_1', reason: 'seeded' }, AUTH)).status).toBe(200);
  // An engine on the same database (a daemon with a bridge: the --api-only one does not arm) runs two of them: one
  // finished, one still under way.
  const engine = SqliteTaskStore.open(d.db);
  try {
    await engine.arm('fuzz-engine', [...WAITING, 'S_DONE_1', 'S_RUNNING_1']);
    for (const id of ['S_DONE_1', 'S_RUNNING_1']) {
      const claimed = await engine.claim(id, { owner: 'fuzz-engine', leaseMs: 3_600_000 });
      if (id === 'S_DONE_1') await engine.complete(id, claimed!.attempt, { msg_id: 'm1' }, 'fuzz-engine');
    }
    await until(
      async () => {
        for (const id of WAITING) if ((await engine.get(id))?.status !== 'waiting') return false;
        return true;
      },
      5000,
      'the seeded tasks armed',
    );
  } finally {
    engine.close();
  }
  // The callbacks of the cancelled and completed tasks reach the daemon's own sink before the snapshot.
  await until(
    async () => (await call(d.url, 'GET', '/api/health', undefined, AUTH)).body.data.outbox_backlog === 0,
    5000,
    'callbacks delivered',
  );
});

afterAll(() => d?.stop());

describe(`HTTP fuzz (seed ${seed}, ${N} requests)`, () => {
  it(
    'never crashes, never answers 500, always answers the envelope, and changes nothing it refused',
    async () => {
      const before = { tasks: tasksSnapshot(d.db, SEEDED), counts: tableCounts(d.db) };
      const rng = new Rng(seed);
      const port = Number(new URL(d.url).port);
      const cases = Array.from({ length: N }, (_, i) => fuzzCase(rng, i, port));
      const failures: string[] = [];
      const stored = new Set<string>(SEEDED);
      const tally: Record<number, number> = {};

      await pool(cases, 6, async (c, i) => {
        if (c.raw) {
          const { responses } = await rawHttp(d.url, c.raw, 2_000);
          for (const r of responses) {
            tally[r.status] = (tally[r.status] ?? 0) + 1;
            const p = problem(c, r.status, r.body);
            if (p) failures.push(`${describeCase(c, i)} → ${p}: ${r.status} ${r.body.slice(0, 200)}`);
          }
          return;
        }
        let status: number;
        let text: string;
        try {
          const res = await request(`${d.url}${c.path}`, {
            method: c.method as 'GET',
            headers: c.headers,
            body: c.body,
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          status = res.statusCode;
          text = await res.body.text();
        } catch (error) {
          const code = (error as { code?: string }).code;
          // undici refuses some requests itself (a header it will not send); that is not the server's doing.
          if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return;
          // A body far over the limit: the server answers 413 and closes while the upload is still going.
          if (c.body && c.body.length > LIMIT && /other side closed|EPIPE|ECONNRESET|socket/i.test(String(error))) return;
          failures.push(`${describeCase(c, i)} → the request failed: ${String(error)}`);
          return;
        }
        tally[status] = (tally[status] ?? 0) + 1;
        const p = problem(c, status, text);
        if (p) failures.push(`${describeCase(c, i)} → ${p}: ${status} ${text.slice(0, 200)}`);
        if (status === 200 && c.path === '/api/task/receive') {
          try {
            stored.add(JSON.parse(text).data.task_id);
          } catch {
            // reported above
          }
        }
      });

      const context = `replay with ${replay}; statuses ${JSON.stringify(tally)}`;
      expect(failures.slice(0, 15), `${failures.length} bad answers (${context})`).toEqual([]);

      // Still alive and well.
      const health = await call(d.url, 'GET', '/api/health', undefined, AUTH);
      expect(health.status, context).toBe(200);
      expect(health.body.data.mode).toBe('api-only');
      // Nothing reached the prototypes.
      expect(({} as Record<string, unknown>).polluted, context).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort().join(), context).toBe(protoBefore.object);
      expect(Object.getOwnPropertyNames(Array.prototype).sort().join(), context).toBe(protoBefore.array);
      // The tasks stored before are exactly as they were; the only new tasks are those answered 200.
      expect(tasksSnapshot(d.db, SEEDED), context).toEqual(before.tasks);
      expect(taskIds(d.db).sort(), context).toEqual([...stored].sort());
      // Every other table has as many rows as before (no customer, message or attempt appeared from anywhere), and
      // none appeared or went away.
      const after = tableCounts(d.db);
      expect(Object.keys(after), context).toEqual(Object.keys(before.counts));
      const written = new Set(['tasks', 'task_events', 'outbox', 'received_callbacks']);
      for (const [table, count] of Object.entries(before.counts))
        if (!written.has(table)) expect(after[table], `${table} (${context})`).toBe(count);
      // No server error was logged.
      const errors = readFileSync(d.logFile, 'utf8')
        .split('\n')
        .filter((l) => /"level":"(ERROR|FATAL)"/.test(l));
      expect(errors.slice(0, 3), context).toEqual([]);
    },
    30_000 + N * 20,
  );
});
