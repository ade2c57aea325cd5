/**
 * The dialogue tools through the real binary: `aics agent test` on the shipped sample (exit 0) and on a dialogue
 * with a wrong expectation (exit 1, the mismatch in the table), `aics agent chat` with piped input, `aics agent log`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aics, errorLine, json, repoRoot, tempDir } from '../support/cli.js';

const ws = tempDir('aics-agent-cli-');
afterAll(() => ws.cleanup());
const SAMPLE = join(repoRoot, 'examples', 'dialogues', 'print-shop.yaml');

// Each step starts the CLI (and the agent loads its dictionary): the limits only bound a hang on a busy machine.
describe.concurrent('aics agent test', { timeout: 120_000 }, () => {
  it('the shipped print-shop dialogues pass with the rules provider (exit 0)', async ({ expect }) => {
    const r = await aics(['agent', 'test', SAMPLE], { cwd: ws.dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok: \d+ steps, 0 mismatches \(provider rules\)/);
    expect(r.stdout).toContain('dispatch_order');
    expect(r.stdout).toContain('transfer_to_human');
  });

  it('a wrong expectation exits 1 with the mismatch in the table; --json says which step', async ({ expect }) => {
    const file = join(ws.dir, 'wrong.yaml');
    writeFileSync(
      file,
      [
        'dialogues:',
        '  - name: wrong price',
        '    steps:',
        '      - say: 名片多少钱',
        '        expect: { reply_contains: 免费, handoff: true }',
        '      - say: 地址',
        '        expect: { reply_contains: 门店地址 }',
        '',
      ].join('\n'),
    );
    const r = await aics(['agent', 'test', file], { cwd: ws.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MISMATCH: reply does not contain "免费"; expected a handoff (转接人工), none happened');
    expect(r.stdout).toMatch(/FAILED: 2 steps, 1 mismatch /);
    const j = await aics(['agent', 'test', file, '--json'], { cwd: ws.dir });
    expect(j.code).toBe(1);
    const body = json(j);
    expect(body.ok).toBe(false);
    expect(body.steps.map((s: { ok: boolean }) => s.ok)).toEqual([false, true]);
  });

  it('an invalid dialogue file is a usage error naming the field (exit 2)', async ({ expect }) => {
    const file = join(ws.dir, 'bad.yaml');
    writeFileSync(file, 'dialogues:\n  - name: x\n    steps:\n      - shout: hi\n');
    const r = await aics(['agent', 'test', file], { cwd: ws.dir });
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/bad\.yaml: dialogues\.0\.steps\.0/);
  });
});

describe('aics agent chat and aics agent log', { timeout: 120_000 }, () => {
  it('piped lines are customer messages; tool calls are shown; with --db the conversation is kept and aics agent log shows it', async () => {
    const db = join(ws.dir, 'chat.db');
    const r = await aics(['agent', 'chat', '--db', db, '--customer', 'c_cli', '--name', '阿强'], {
      cwd: ws.dir,
      input: '工期多久\n下单 名片 200张\n确认\n转人工\n还在吗\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('客服> 常规印刷 2-3 个工作日');
    expect(r.stdout).toMatch(/⚙ propose_order \{"product":"名片","quantity":200,"customer":"阿强"\}/);
    expect(r.stdout).toContain('客服> 请核对订单：名片，数量 200');
    expect(r.stdout).toMatch(/⚙ dispatch_order \{"product":"名片","quantity":200,"customer":"阿强"\}/);
    expect(r.stdout).toContain('⚙ transfer_to_human');
    expect(r.stdout).toContain('(silent: human)');

    const log = await aics(['agent', 'log', 'c_cli', '--db', db, '--json'], { cwd: ws.dir });
    expect(log.code, log.stderr).toBe(0);
    const body = json(log);
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual([
      'customer',
      'agent',
      'customer',
      'agent',
      'customer',
      'agent',
      'customer',
      'agent',
      'customer',
    ]);
    expect(body.messages[3].tool_calls[0]).toMatchObject({ name: 'propose_order', args: { product: '名片', quantity: 200 } });
    expect(body.messages[5].tool_calls[0]).toMatchObject({ name: 'dispatch_order', args: { product: '名片', quantity: 200 } });
    expect(body.states[0]).toMatchObject({ state: 'human' });

    const table = await aics(['agent', 'log', 'c_cli', '--db', db, '--limit', '2'], { cwd: ws.dir });
    expect(table.stdout).toContain('transfer_to_human');
    expect(table.stdout).toMatch(/2 messages/);
    expect(table.stdout).toMatch(/local:c_cli: human/);
  });

  it('aics agent log of a missing database is "not found" (exit 4)', async () => {
    const r = await aics(['agent', 'log', 'nobody', '--db', join(ws.dir, 'none.db')], { cwd: ws.dir });
    expect(r.code).toBe(4);
  });
});
