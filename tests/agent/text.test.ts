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
    expect(parseOrder('帮我印 a4 宣传单 1000份，明天要', faq)).toMatchObject({
      product: '宣传单',
      quantity: 1000,
      size: 'A4',
      deadline: '明天',
    });
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

describe("intent from the whole message (the issue's examples)", async () => {
  const { asksForPerson, complains, isQuestion, saysNo, saysYes } = await import('../../src/daemon/agent/intent.js');
  const { readOrderFields, chineseNumber } = await import('../../src/daemon/agent/order-fields.js');
  const faq = Faq.load(null);

  it('客服 or 人工 inside another question is not a request for a person; asking is', () => {
    for (const text of [
      '客服你好，名片多少钱',
      '设计要另外收人工费吗',
      '人工客服几点上班',
      '客服电话是多少',
      '人工印刷和机器印刷有区别吗',
    ]) {
      expect(asksForPerson(text, faq), text).toBe(false);
    }
    for (const text of [
      '转人工',
      '人工',
      '人工！人工！',
      '我要人工客服',
      '叫你们老板来',
      '不要机器人，要真人',
      '我要跟真人说话',
      '麻烦转一下人工，谢谢',
    ]) {
      expect(asksForPerson(text, faq), text).toBe(true);
    }
    expect(complains('你们印错了！', faq)).toBe(true);
    expect(complains('如果印错了怎么办', faq)).toBe(false);
  });

  it('a price question with product and quantity is a question; the FAQ ranks it as price', () => {
    expect(isQuestion('我要印1000张A4宣传单多少钱？')).toBe(true);
    expect(faq.lookup('我要印1000张A4宣传单多少钱？')[0]!.id).toBe('price');
    expect(faq.lookup('帮我做个报价：海报A3 20张')[0]!.id).toBe('price');
    expect(faq.lookup('你好，在吗')[0]).toMatchObject({ id: 'greeting', smalltalk: true });
    expect(faq.lookup('你们老板是谁')).toEqual([]);
  });

  it('yes and no to a read-back: only a plain yes confirms', () => {
    for (const text of ['确认', '好的', '对的，就这样', '好的，确认下单', 'OK', '没问题']) expect(saysYes(text, faq), text).toBe(true);
    for (const text of ['确认吗？', '好的，数量改成800', '多少钱', '']) expect(saysYes(text, faq), text).toBe(false);
    expect(saysNo('算了，不要了', faq)).toBe(true);
  });

  it('order fields: Chinese numerals, k / 千, and no quantity from 一批', () => {
    expect(chineseNumber('三百')).toBe(300);
    expect(chineseNumber('两千五')).toBe(2500);
    expect(chineseNumber('一百零五')).toBe(105);
    expect(readOrderFields('我要印三百张名片', faq)).toEqual({ product: '名片', quantity: 300 });
    expect(readOrderFields('宣传单 2k张', faq)).toMatchObject({ quantity: 2000 });
    expect(readOrderFields('想做一批宣传单', faq)).toEqual({ product: '宣传单' });
  });
});
