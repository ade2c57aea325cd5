/** The small pure parts of the agent: reply splitting, sensitive words, the rules' order parsing, pacing. */
import { describe, expect, it } from 'vitest';
import { Faq, maskSensitive, parseOrder, splitReply } from '../../src/daemon/agent/index.js';
import { Pacer } from '../../src/daemon/agent/pacer.js';

describe('splitReply', () => {
  it('keeps short replies whole and cuts long ones at sentence ends, each part within the limit', () => {
    expect(splitReply('您好。', 500)).toEqual(['您好。']);
    const long = Array.from({ length: 40 }, (_, i) => `这是第${i + 1}句话，内容稍微长一点点。`).join('');
    const parts = splitReply(long, 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(100);
      expect(p.endsWith('。')).toBe(true);
    }
    expect(parts.join('')).toBe(long);
  });

  it('cuts hard when there is no sentence end', () => {
    expect(splitReply('a'.repeat(250), 100).map((p) => p.length)).toEqual([100, 100, 50]);
  });
});

it('maskSensitive replaces each listed word with ***', () => {
  expect(maskSensitive('可以代开发票，不刷单', ['代开发票', '刷单'])).toBe('可以***，不***');
  expect(maskSensitive('Casino here', ['casino'])).toBe('*** here');
});

describe("the rules' order parsing", () => {
  const faq = Faq.load(null);
  it('reads product, quantity, size, material and deadline', () => {
    expect(parseOrder('下单：名片 500张 90x54mm 300g铜版纸 周五前', faq)).toEqual({
      product: '名片',
      quantity: 500,
      size: '90x54mm',
      material: '300g铜版纸',
      deadline: '周五前',
    });
    expect(parseOrder('帮我印 a4 宣传单 1000份，明天要', faq)).toMatchObject({ product: '宣传单', quantity: 1000, size: 'A4', deadline: '明天' });
  });
  it('needs a product and a quantity', () => {
    expect(parseOrder('我要下单', faq)).toBeNull();
    expect(parseOrder('下单 名片', faq)).toBeNull();
  });
});

it('the pacer keeps a minimum gap between sends on one account, not across accounts', async () => {
  const pacer = new Pacer(100);
  const t0 = Date.now();
  await Promise.all([pacer.slot('a'), pacer.slot('a'), pacer.slot('a'), pacer.slot('b')]);
  const elapsed = Date.now() - t0;
  expect(elapsed).toBeGreaterThanOrEqual(190);
  expect(elapsed).toBeLessThan(600);
});
