/**
 * Long and odd input (issue #17 point 3): every function whose regular expressions see customer or API text is fed
 * tens of thousands of characters built to make a backtracking regex go quadratic (runs of punctuation and space,
 * digit runs without a unit, emoji, mixed scripts), plus seeded random mixes; each call must stay far below the
 * time a quadratic pattern takes (the trailing-punctuation regex took 16 s on 40,000 characters). Then a real desk:
 * one such message to a daemon with 20 waiting customer_reply tasks leaves /api/health answering promptly.
 *
 * Repeatable: AICS_FUZZ_SEED / AICS_FUZZ_N as in tests/support/fuzz.ts.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Faq } from '../../src/daemon/agent/faq.js';
import { maskSensitive, splitReply } from '../../src/daemon/agent/reply-text.js';
import { asksForPerson, complains, saysYes } from '../../src/daemon/agent/intent.js';
import { readOrderFields } from '../../src/daemon/agent/order-fields.js';
import { parseOrder } from '../../src/daemon/agent/rules-provider.js';
import { tokenChecker } from '../../src/daemon/http/auth.js';
import { headerValue } from '../../src/daemon/outbox/header-value.js';
import { parseInboundFrame } from '../../src/daemon/qingjian/protocol.js';
import { checkFileUrl } from '../../src/tasks/file-url.js';
import { matchesTrigger } from '../../src/tasks/match.js';
import { keywordMatches, normalizeText } from '../../src/tasks/normalize.js';
import { parseTaskPayload } from '../../src/tasks/schema.js';
import { parseTriggerTime } from '../../src/tasks/time.js';
import { call, task } from '../support/daemon.js';
import { startDesk } from '../support/desk.js';
import { NASTY_STRINGS, Rng, fuzzRun } from '../support/fuzz.js';

const { seed, n: N, replay } = fuzzRun(60);
const LONG = 40_000;
/** A linear pass over 40,000 characters takes about a millisecond; a quadratic one, seconds. Generous for a busy CI. */
const BUDGET_MS = 750;

const repeat = (unit: string, chars = LONG) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);

/** Inputs built against backtracking: long runs that almost match, then fail at the end. */
const HOSTILE: Record<string, string> = {
  'punctuation and space': repeat('。 '),
  'punctuation then a letter': `${repeat('!?。~ ')}x`,
  'spaces then a letter': `${repeat(' \t')}x`,
  'digits without a unit': repeat('1'),
  'digits and dots': repeat('1.'),
  'digits and spaces': repeat('1 '),
  'digits then x': `${repeat('9')}x`,
  emoji: repeat('😀👍'),
  'full-width': repeat('ＯＫ！'),
  'Bearer spaces': `Bearer ${repeat(' ')}x`,
  'percent escapes': repeat('%2e%2'),
  'dot segments': repeat('../'),
  days: `${repeat('1')}天`,
  grams: `${repeat('1')}g`,
  mixed: repeat('好的。 1 a4 x 😀 ！'),
  // The sample FAQ's whole-message patterns (greeting, thanks) once backtracked exponentially on this.
  'words that split two ways': `${repeat('好的。嗯嗯客服你好')}x`,
};

function randomLong(rng: Rng): string {
  const pieces = ['。', ' ', '!', '1', '.', 'x', '×', '好的', '😀', '\u200b', '\t', '%', '/', 'A4', '张', 'g', '天', ...NASTY_STRINGS];
  let out = '';
  while (out.length < LONG) out += rng.pick(pieces).repeat(rng.int(1, 400));
  return out.slice(0, LONG);
}

const faq = Faq.load(null);
const check = tokenChecker('a-token');

/** Every function that runs a regular expression over customer or API text, by name. */
const TARGETS: Record<string, (s: string) => unknown> = {
  normalizeText: (s) => normalizeText(s),
  'keywordMatches (contains)': (s) => keywordMatches(s, '好的', false),
  'keywordMatches (exact)': (s) => keywordMatches(s, s.slice(0, 200), true),
  matchesTrigger: (s) =>
    matchesTrigger(
      { trigger: { type: 'customer_keyword', keywords: ['好的', '可以'], exact_match: false } },
      { acc_id: 'a', from_id: 'c', from_name: s, content: s },
    ),
  'parseOrder (rules agent)': (s) => parseOrder(`宣传单 ${s}`, faq),
  'Faq.lookup': (s) => faq.lookup(s),
  'Faq.rank (jieba + BM25)': (s) => faq.rank(s),
  'asksForPerson (rules agent)': (s) => asksForPerson(`转${s}人工`, faq),
  'complains (rules agent)': (s) => complains(s, faq),
  'saysYes (rules agent)': (s) => saysYes(s, faq),
  'readOrderFields (rules agent)': (s) => readOrderFields(`${s}张 ${s}x${s}`, faq),
  'Faq.said': (s) => Faq.said(s, ['人工', '转人工', '投诉']),
  maskSensitive: (s) => maskSensitive(s, ['abc', '傻瓜', 'x']),
  splitReply: (s) => splitReply(s, 500),
  'parseTaskPayload (keyword)': (s) => safe(() => parseTaskPayload(task('T', { trigger: { type: 'customer_reply', keyword: s } }))),
  'parseTaskPayload (task_id)': (s) => safe(() => parseTaskPayload(task(s))),
  'parseTaskPayload (time)': (s) =>
    safe(() => parseTaskPayload(task('T', { customer: { id: 'c' }, trigger: { type: 'time_reach', time: s } }))),
  'parseTaskPayload (cron)': (s) =>
    safe(() => parseTaskPayload(task('T', { customer: { id: 'c' }, trigger: { type: 'cron', expression: s.slice(0, 120) } }))),
  parseTriggerTime: (s) => parseTriggerTime(s, 'Asia/Shanghai'),
  checkFileUrl: (s) => checkFileUrl(s, '/srv/files'),
  tokenChecker: (s) => check(s),
  headerValue: (s) => headerValue(s),
  parseInboundFrame: (s) =>
    parseInboundFrame(
      JSON.stringify({
        type: 'event',
        event: 'message',
        event_id: 'e1',
        ts: 1,
        data: { acc_id: 'a', from_id: s.slice(0, 200), from_name: s, content: s },
      }),
    ),
};

function safe(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return error;
  }
}

function timed(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe(`long input to every text regex (seed ${seed})`, () => {
  for (const [name, fn] of Object.entries(TARGETS)) {
    it(`${name}: linear on hostile 40,000-character input`, () => {
      // Once on a short text first: a one-time set-up (the FAQ's index and jieba's dictionary are built on first use)
      // is not what the budget measures; the time a long text takes is.
      fn('你好');
      for (const [shape, input] of Object.entries(HOSTILE)) {
        const ms = timed(() => fn(input));
        expect(ms, `${name} on ${shape}: ${Math.round(ms)} ms (${replay})`).toBeLessThan(BUDGET_MS);
      }
    });
  }

  it(`random long mixes (${N} per function)`, () => {
    const rng = new Rng(seed);
    for (let i = 0; i < N; i++) {
      const input = randomLong(rng);
      for (const [name, fn] of Object.entries(TARGETS)) {
        const ms = timed(() => fn(input));
        expect(ms, `${name} on random input #${i}: ${Math.round(ms)} ms (${replay})`).toBeLessThan(BUDGET_MS);
      }
    }
  });

  it('normalising still trims what it should', () => {
    expect(normalizeText('  ＯＫ  好的。。!! 😀 ')).toBe('ok 好的');
    expect(normalizeText(`好的${repeat('。 ')}`)).toBe('好的');
    expect(keywordMatches(`好的${repeat('。 ')}`, '好的', true)).toBe(true);
  });
});

describe('a long message through the daemon', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('with 20 waiting customer_reply tasks, /api/health answers within a second while it is matched', async () => {
    const d = await startDesk();
    cleanups.push(() => d.stop());
    for (let i = 0; i < 20; i++) await d.receive(task(`LONG_${i}`, { trigger: { type: 'customer_reply', keyword: `暗号${i}` } }));
    for (let i = 0; i < 20; i++) await d.until(`LONG_${i}`, 'waiting');
    const t0 = performance.now();
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_long', from_name: '长', content: `${repeat('。 ')}x` }, 15_000);
    const acked = performance.now() - t0;
    const h0 = performance.now();
    expect((await call(d.url, 'GET', '/api/health')).status).toBe(200);
    expect(performance.now() - h0).toBeLessThan(1000);
    expect(acked, `the message was matched and acked in ${Math.round(acked)} ms`).toBeLessThan(2000);
  }, 60_000);
});
