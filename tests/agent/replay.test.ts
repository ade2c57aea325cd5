/**
 * `aics agent replay` through the real binary: conversations are recorded in a chat log by `aics agent chat --db`
 * with the shipped FAQ, then replayed against a changed FAQ (a new price, a new entry). The diff shows the changed
 * answer and the changed decision and leaves the rest out; the 派单 of the log counts the same before and after;
 * nothing is sent, dispatched or stored in the recorded database.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { aics, json, repoRoot, snapshot, tempDir } from '../support/cli.js';

const ws = tempDir('aics-agent-replay-');
afterAll(() => ws.cleanup());
const db = join(ws.dir, 'recorded.db');
const newFaq = join(ws.dir, 'new-faq.yaml');

beforeAll(async () => {
  const rec1 = await aics(['agent', 'chat', '--db', db, '--customer', 'c_zhou', '--name', '小周'], {
    cwd: ws.dir,
    input: '名片多少钱\n请柬能做吗\n可以开发票吗\n下单 名片 500张\n确认\n',
  });
  expect(rec1.code, rec1.stderr).toBe(0);
  const rec2 = await aics(['agent', 'chat', '--db', db, '--customer', 'c_wu', '--name', '老吴'], { cwd: ws.dir, input: '转人工\n' });
  expect(rec2.code, rec2.stderr).toBe(0);

  const faq = parse(readFileSync(join(repoRoot, 'faq', 'sample-print-shop.yaml'), 'utf8'));
  faq.entries.find((e: { id: string }) => e.id === 'price').answer = '新价格：名片 500张 39元起，宣传单 A4 1000张 160元起。';
  faq.entries.unshift({ id: 'invitation', keywords: ['请柬', '喜帖', '邀请函'], answer: '请柬可以做：对折款 100张 120元起，3 天可取。' });
  writeFileSync(newFaq, stringify(faq));
}, 180_000);

describe('aics agent replay', () => {
  it('against a changed FAQ: the changed answer and decision are shown side by side, the rest is left out, nothing is sent or stored', async () => {
    const before = snapshot(db);
    const r = await aics(['agent', 'replay', '--since', '1d', '--faq', newFaq, '--db', db, '--json'], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    const body = json(r);
    expect(body.summary).toEqual({
      conversations: 2,
      turns: 6,
      answers_changed: 2,
      decisions_changed: 1,
      dispatch: { before: 1, after: 1 },
      handoff: { before: 1, after: 1 },
    });
    expect(body.rows).toHaveLength(2);
    const [price, invitation] = body.rows;
    expect(price).toMatchObject({
      conv: 'local:c_zhou',
      said: '名片多少钱',
      before: { decision: 'faq:price', reply: expect.stringContaining('名片 500张 45元起') },
      after: { decision: 'faq:price', reply: expect.stringContaining('新价格') },
      answer_changed: true,
      decision_changed: false,
    });
    expect(invitation).toMatchObject({
      said: '请柬能做吗',
      before: { decision: 'ask', reply: expect.stringContaining('没太明白') },
      after: { decision: 'faq:invitation', reply: expect.stringContaining('请柬可以做') },
      decision_changed: true,
    });
    // read-only: the recorded database (its outbox of orders and notices included) is as it was
    expect(snapshot(db)).toBe(before);
  }, 120_000);

  it('the table puts BEFORE and AFTER side by side; the same FAQ changes nothing', async () => {
    const r = await aics(['agent', 'replay', '--since', '1d', '--faq', newFaq, '--db', db], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/BEFORE\s*│\s*AFTER/);
    expect(r.stdout).toMatch(/请柬能做吗\s*│\s*ask\s*│\s*faq:invitation/);
    expect(r.stdout).toMatch(
      /6 turns in 2 conversations since .*: 2 answers and 1 decisions changed; 派单 1 → 1, 转接人工 1 → 1 \(nothing was sent\)/,
    );

    const same = await aics(['agent', 'replay', '--since', '1d', '--db', db, '--json', '--all'], { cwd: ws.dir });
    expect(same.code, same.stderr).toBe(0);
    const body = json(same);
    expect(body.summary).toMatchObject({ turns: 6, answers_changed: 0, decisions_changed: 0 });
    expect(body.rows.map((row: { after: { decision: string } }) => row.after.decision)).toEqual([
      'faq:price',
      'ask',
      'faq:invoice',
      'confirm',
      'dispatch',
      'handoff',
    ]);
  }, 120_000);
});
