/**
 * `aics agent eval` through the real binary: the shipped labelled set passes its thresholds with the rules provider
 * (no false 派单, false 转接人工 ≤ 2 %, FAQ accuracy ≥ 90 %, every turn answered), and the held-out set its safety
 * thresholds; a set the agent gets wrong exits 1
 * and names the miss; an invalid label is a usage error naming the field.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aics, errorLine, json, repoRoot, tempDir } from '../support/cli.js';
import { startFakeLlm } from '../support/fake-llm.js';

const ws = tempDir('aics-agent-eval-');
afterAll(() => ws.cleanup());
const SET = join(repoRoot, 'examples', 'eval', 'print-shop.yaml');

// One at a time, with room: each run starts the CLI and plays hundreds of turns, on a machine others share.
describe('aics agent eval', { timeout: 180_000 }, () => {
  it('the shipped print-shop set (>= 300 messages) passes its thresholds with the rules provider', async () => {
    const r = await aics(['agent', 'eval', SET, '--json'], { cwd: ws.dir });
    expect(r.code, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    const body = json(r);
    expect(body.ok).toBe(true);
    expect(body.provider).toBe('rules');
    expect(body.cases).toBeGreaterThanOrEqual(300);
    expect(body.dispatch.false).toBe(0);
    expect(body.dispatch.precision.value).toBe(1);
    expect(body.handoff.false_rate.value).toBeLessThanOrEqual(0.02);
    expect(body.faq_accuracy.value).toBeGreaterThanOrEqual(0.9);
    expect(body.answered.value).toBe(1);
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['false_dispatch_max', 'false_handoff_rate_max', 'faq_accuracy_min', 'answered_min']),
    );
    // the issue's own examples are in the set and decided right
    const missed = body.misses.map((m: { turns: string[] }) => m.turns.join(' ⏎ '));
    for (const text of [
      '我要印1000张A4宣传单多少钱？',
      '帮我做个报价：海报A3 20张',
      '客服你好，名片多少钱',
      '设计要另外收人工费吗',
      '你好，在吗',
    ]) {
      expect(missed).not.toContain(text);
    }
  });

  it('the held-out set (never tuned on): still no false 派单 and no needless 转接人工, every turn answered', async () => {
    const r = await aics(['agent', 'eval', join(repoRoot, 'examples', 'eval', 'print-shop-holdout.yaml'), '--json'], { cwd: ws.dir });
    expect(r.code, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    const body = json(r);
    expect(body.dispatch.false).toBe(0);
    expect(body.handoff.false).toBe(0);
    expect(body.answered.value).toBe(1);
  });

  it('prints the confusion table and the measures; a set the agent gets wrong exits 1 and lists the miss', async () => {
    const file = join(ws.dir, 'strict.yaml');
    writeFileSync(
      file,
      [
        'thresholds: { faq_accuracy_min: 1, false_dispatch_max: 0 }',
        'cases:',
        '  - ["名片多少钱", faq:price]',
        '  - ["名片多少钱", faq:invoice]',
        '  - { say: ["下单 名片 500张", "确认"], expect: dispatch, fields: { product: 名片, quantity: 500 } }',
        '  - ["转人工", handoff]',
        '',
      ].join('\n'),
    );
    const r = await aics(['agent', 'eval', file], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('confusion (rows: expected, columns: decided)');
    expect(r.stdout).toMatch(/派单 precision\s*│\s*100\.0%/);
    expect(r.stdout).toMatch(/FAQ accuracy\s*│\s*50\.0%/);
    expect(r.stdout).toMatch(/FAIL faq_accuracy_min 1 \(measured 0\.5\)/);
    expect(r.stdout).toMatch(/ok {3}false_dispatch_max 0 \(measured 0\)/);
    expect(r.stdout).toMatch(/│ 2 +│ 名片多少钱 +│ faq:invoice +│ faq:price/);
    expect(r.stdout).toMatch(/FAILED: 3\/4 cases as labelled, 1 missed/);
  });

  it('measures an OpenAI-compatible LLM the same way (decisions from its tool calls; its order still needs the yes)', async () => {
    const llm = await startFakeLlm([
      { tools: [{ name: 'faq_lookup', args: { question: '名片多少钱' } }] },
      { text: '名片 500张 45元起。' },
      { tools: [{ name: 'propose_order', args: { product: '名片', quantity: 500 } }] },
      { tools: [{ name: 'transfer_to_human', args: { reason: '客户要求人工' } }] },
    ]);
    try {
      const file = join(ws.dir, 'llm.yaml');
      writeFileSync(
        file,
        [
          'thresholds: { false_dispatch_max: 0, faq_accuracy_min: 1 }',
          'cases:',
          '  - ["名片多少钱", faq:price]',
          '  - { say: ["下单 名片 500张", "确认"], expect: dispatch, fields: { product: 名片, quantity: 500 } }',
          '  - ["转人工", handoff]',
          '',
        ].join('\n'),
      );
      const r = await aics(['agent', 'eval', file, '--json'], {
        cwd: ws.dir,
        env: { AICS_LLM_BASE_URL: llm.baseUrl, AICS_LLM_MODEL: 'fake-model' },
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const body = json(r);
      expect(body).toMatchObject({ provider: 'openai', ok: true, correct: 3, dispatch: { false: 0 } });
      // the 确认 was the confirmation step's: four requests for three cases and four turns
      expect(llm.requests).toHaveLength(4);
    } finally {
      await llm.close();
    }
  });

  it('an invalid label is a usage error naming the case (exit 2)', async () => {
    const file = join(ws.dir, 'bad.yaml');
    writeFileSync(file, 'cases:\n  - ["名片多少钱", price]\n');
    const r = await aics(['agent', 'eval', file], { cwd: ws.dir });
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/bad\.yaml: cases\.0/);
  });
});
