/**
 * Issue #17 point 11, the log side: escape sequences and bidi controls in a customer's name or id never reach the
 * operator's terminal raw, neither from `aics serve` (a real desk writing to a terminal sink) nor from `aics logs
 * grep` (the real binary); and a catastrophic PATTERN is cut off per line instead of hanging the command.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_WORDS, openLog } from '../../src/log.js';
import { startDesk } from '../support/desk.js';
import { task, tempDir, until } from '../support/daemon.js';
import { runToEnd } from '../support/spawn.js';

const ESC = '\u001b';
const HOSTILE_NAME = `${ESC}[2J${ESC}[31m假客服${ESC}[0m\u202Egnp.exe\u0007`;
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('aics serve on a terminal', () => {
  it('prints a hostile from_name and from_id escaped, not raw', async () => {
    const lines: string[] = [];
    const d = await startDesk({ daemon: { terminal: { write: (t: string) => lines.push(t) }, terminalFormat: 'pretty', colour: false } });
    cleanups.push(() => d.stop());
    // A task that fires on the message, so its 任务触发 line names the customer.
    await d.receive(task('ESC_1', { trigger: { type: 'customer_reply', keyword: '你好' } }));
    await d.until('ESC_1', 'waiting');
    await d.sim.pushMessageAndWaitAck({ from_id: `wx${ESC}]0;pwned\u0007`, from_name: HOSTILE_NAME, content: '你好' });
    await until(() => lines.some((l) => l.includes('假客服')), 5000, 'the message line on the terminal');
    const text = lines.join('');
    expect(text).not.toMatch(RAW);
    expect(text).toContain('\\u001b[31m假客服');
  });
});

describe('aics logs grep (the real binary)', () => {
  it('prints hostile names escaped, JSON and plain lines alike', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'logs/aics.log');
    const log = openLog({ file, level: 'debug' });
    log.logger.info({ customer_id: `c${ESC}[8m`, from_name: HOSTILE_NAME }, `${LOG_WORDS.received} ${HOSTILE_NAME}`);
    await log.close();
    appendFileSync(file, `plain ${ESC}[2J line 假客服\n`);
    const r = await runToEnd(['logs', 'grep', '假客服', '--log-file', file], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('\\u001b[2J');
  }, 70_000);

  it('a catastrophic PATTERN is cut off per line: the command ends, says how many lines it skipped', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const file = join(dir, 'logs/aics.log');
    appendFileSync(file, `${'a'.repeat(40)}b\n${'a'.repeat(41)}b\naaa\n`);
    const t0 = Date.now();
    const r = await runToEnd(['logs', 'grep', '(a+)+$', '--log-file', file], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('aaa\n');
    expect(r.stderr).toMatch(/PATTERN took longer than 250 ms on 2 line\(s\); they were skipped/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 70_000);
});
