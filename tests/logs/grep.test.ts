import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchLine, parseSince } from '../../src/log-reader.js';
import { LOG_WORDS, formatRecord, openLog } from '../../src/log.js';
import { tempDir, until } from '../support/daemon.js';
import { run, runToEnd } from '../support/spawn.js';

/** A log file written by the daemon's own logger, so the test reads exactly what `aics serve` writes. */
async function writeSampleLog(file: string): Promise<void> {
  const log = openLog({ file, level: 'debug' });
  log.logger.info({ task_id: 'T1', customer_id: 'c1' }, `${LOG_WORDS.received} T1`);
  log.logger.info({ task_id: 'T2', customer_id: 'c2' }, `${LOG_WORDS.received} T2`);
  log.logger.warn({ task_id: 'T2', customer_id: 'c2' }, `${LOG_WORDS.cancelled} T2: 客户取消订单`);
  log.logger.error({ task_id: 'T1', customer_id: 'c1', err: new Error('bridge down') }, `${LOG_WORDS.failed} T1`);
  log.logger.debug('armed 2 task(s)');
  await log.close();
  // An old line, and one that is not JSON (someone redirected stdout here once).
  const old = JSON.stringify({ level: 'INFO', time: '2020-01-01T00:00:00.000Z', pid: 1, task_id: 'T0', msg: `${LOG_WORDS.received} T0` });
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, `${old}\nplain text line with 派单 in it\n${text}`);
}

describe('log lines', () => {
  it('carry the level name, so grep ERROR works on the file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'logs/a.log');
      await writeSampleLog(file);
      const errors = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('ERROR'));
      expect(errors).toHaveLength(1);
      expect(JSON.parse(errors[0]!)).toMatchObject({ level: 'ERROR', task_id: 'T1', msg: '任务失败 T1', err: { message: 'bridge down' } });
    } finally {
      cleanup();
    }
  });

  it('go to the terminal as readable lines, or as the same JSON with --json, and never carry a token', async () => {
    const pretty: string[] = [];
    const json: string[] = [];
    const a = openLog({ file: null, terminal: { write: (t: string) => pretty.push(t) }, timeZone: 'Asia/Shanghai' });
    const b = openLog({ file: null, terminal: { write: (t: string) => json.push(t) }, terminalFormat: 'json', level: 'warn' });
    for (const { logger } of [a, b]) {
      logger.info({ task_id: 'T1', apiToken: 'sekrit-1', headers: { authorization: 'Bearer sekrit-2' } }, '任务接收 T1');
      logger.error({ task_id: 'T1' }, '任务失败 T1');
    }
    expect(pretty).toHaveLength(2);
    expect(pretty[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  任务接收 T1  task_id=T1 apiToken=\[redacted\] headers=\{"authorization":"\[redacted\]"\}\n$/,
    );
    expect(json).toHaveLength(1); // level warn: the info line is not written
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 'ERROR', task_id: 'T1', msg: '任务失败 T1' });
    expect([...pretty, ...json].join('')).not.toMatch(/sekrit/);
  });

  it('read as readable lines in the configured zone', () => {
    const text = formatRecord(
      { level: 'INFO', time: '2026-02-28T01:00:00.000Z', pid: 1, task_id: 'T1', created_by: '设计师 lz', msg: '任务接收 T1' },
      { zone: 'Asia/Shanghai' },
    );
    expect(text).toBe('2026-02-28 09:00:00 INFO  任务接收 T1  task_id=T1 created_by="设计师 lz"');
  });
});

describe('filters', () => {
  const zone = 'UTC';
  const line = JSON.stringify({ level: 'WARN', time: '2026-02-28T01:00:00.000Z', task_id: 'T9', customer_id: 'c9', msg: '任务取消 T9' });
  it('match on level (and above), task, customer, time and pattern together', () => {
    expect(matchLine(line, { minLevel: 'warn', taskId: 'T9', customerId: 'c9', pattern: /任务取消/ }, zone)).not.toBeNull();
    expect(matchLine(line, { minLevel: 'error' }, zone)).toBeNull();
    expect(matchLine(line, { taskId: 'T1' }, zone)).toBeNull();
    expect(matchLine(line, { customerId: 'c1' }, zone)).toBeNull();
    expect(matchLine(line, { sinceMs: Date.parse('2026-02-28T01:00:01Z') }, zone)).toBeNull();
    expect(matchLine(line, { pattern: /任务接收/ }, zone)).toBeNull();
  });
  it('parse --since as a duration or a time', () => {
    const now = Date.parse('2026-02-28T12:00:00Z');
    expect(parseSince('10m', now, zone)).toBe(now - 600_000);
    expect(parseSince('2h', now, zone)).toBe(now - 7_200_000);
    expect(parseSince('2026-02-28T09:00:00+08:00', now, zone)).toBe(Date.parse('2026-02-28T01:00:00Z'));
    expect(parseSince('2026-02-28 09:00', now, 'Asia/Shanghai')).toBe(Date.parse('2026-02-28T01:00:00Z'));
    expect(() => parseSince('yesterday', now, zone)).toThrow(/--since/);
  });
});

describe('aics logs grep', () => {
  it('filters by pattern, level, task, customer and time; --json prints the records', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writeSampleLog(join(dir, 'logs/aics.log'));
      const all = await runToEnd(['logs', 'grep', '任务接收'], { cwd: dir });
      expect(all.code).toBe(0);
      expect(
        all.stdout
          .trim()
          .split('\n')
          .map((l) => /任务接收 (T\d)/.exec(l)?.[1]),
      ).toEqual(['T0', 'T1', 'T2']);
      const plain = await runToEnd(['logs', 'grep', '派单'], { cwd: dir });
      expect(plain.stdout).toBe('plain text line with 派单 in it\n');
      const errors = await runToEnd(['logs', 'grep', '--level', 'warn', '--since', '1h', '--json'], { cwd: dir });
      expect(
        errors.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).msg),
      ).toEqual(['任务取消 T2: 客户取消订单', '任务失败 T1']);
      const oneTask = await runToEnd(['logs', 'grep', '--task', 'T1', '--customer', 'c1'], { cwd: dir });
      // Two records; the error's stack follows its line, indented.
      expect(
        oneTask.stdout
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith(' ')),
      ).toHaveLength(2);
      expect(oneTask.stdout).toMatch(/\n {4}Error: bridge down\n {8}at /);
      expect(oneTask.stdout).toMatch(
        /INFO  任务接收 T1  task_id=T1 customer_id=c1\n.* ERROR 任务失败 T1  task_id=T1 customer_id=c1 err="bridge down"/,
      );
      const none = await runToEnd(['logs', 'grep', '--customer', 'nobody'], { cwd: dir });
      expect([none.code, none.stdout]).toEqual([1, '']); // like grep: nothing matched
      const missing = await runToEnd(['logs', 'grep', 'x', '--log-file', 'nope.log'], { cwd: dir });
      expect(missing.code).toBe(4);
      const badRegex = await runToEnd(['logs', 'grep', '('], { cwd: dir });
      expect(badRegex.code).toBe(2);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('--follow keeps reading across rename-and-recreate and copytruncate rotations', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'logs/aics.log');
      mkdirSync(join(dir, 'logs'));
      const rec = (id: string) =>
        `${JSON.stringify({ level: 'INFO', time: new Date().toISOString(), task_id: id, msg: `任务接收 ${id}` })}\n`;
      writeFileSync(file, rec('F1'));
      const follower = run(['logs', 'grep', '任务接收', '--follow', '--json'], { cwd: dir });
      await until(() => follower.stdout().includes('F1'), 60_000, 'the first line');
      appendFileSync(file, rec('F2'));
      await until(() => follower.stdout().includes('F2'), 3000, 'an appended line');
      renameSync(file, `${file}.1`);
      appendFileSync(`${file}.1`, rec('F3')); // the daemon still writes to the old file until it reopens
      writeFileSync(file, rec('F4'));
      await until(() => follower.stdout().includes('F4'), 3000, 'a line in the new file');
      // copytruncate: the same file, emptied in place, then written again.
      writeFileSync(file, '');
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(file, rec('F5'));
      await until(() => follower.stdout().includes('F5'), 3000, 'a line after truncation');
      follower.child.kill('SIGINT');
      expect((await follower.exit).code).toBe(0);
      expect(
        follower
          .stdout()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).task_id),
      ).toEqual(['F1', 'F2', 'F3', 'F4', 'F5']);
    } finally {
      cleanup();
    }
  }, 120_000);
});
