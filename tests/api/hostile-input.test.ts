/**
 * The smaller points of issue #17 (point 11), each through the real HTTP server or the real binary: impossible dates
 * in every form, keywords that can never match, a cron firing every second, endless task input on --file or stdin,
 * and slow-header sockets that would hold the API.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';
import { aics, errorLine, tempDir } from '../support/cli.js';
import { BIN, cleanEnv } from '../support/spawn.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(() => d.stop());

const customer = { id: 'c_1', name: '小明' };
async function refused(payload: Record<string, unknown>, field: string, why: RegExp) {
  const res = await call(d.url, 'POST', '/api/task/receive', payload);
  expect(res.status, JSON.stringify(payload.trigger)).toBe(400);
  expect(res.body.data).toEqual({ field });
  expect(res.body.message).toMatch(why);
  expect((await call(d.url, 'GET', `/api/task/status/${encodeURIComponent(String(payload.task_id))}`)).status).toBe(404);
}

describe('impossible dates', () => {
  it('are refused in the wall-clock form and with an offset alike', async () => {
    const times = [
      '2027-02-31 09:00:00',
      '2027-02-31T09:00:00+08:00',
      '2027-02-29T09:00:00Z',
      '2027-04-31 10:00',
      '2027-01-01T24:00:00+08:00',
      '2027-01-01T09:00:00+25:00',
    ];
    for (const [i, time] of times.entries()) {
      await refused(
        task(`DATE_${i}`, { customer, trigger: { type: 'time_reach', time } }),
        'trigger.time',
        /trigger\.time: .*is not a valid date and time/,
      );
    }
    const ok = await call(
      d.url,
      'POST',
      '/api/task/receive',
      task('DATE_OK', { customer, trigger: { type: 'time_reach', time: '2028-02-29T09:00:00+08:00' } }),
    );
    expect(ok.status).toBe(200);
  });
});

describe('keywords that normalise to nothing', () => {
  it('are refused, naming the field', async () => {
    for (const [i, k] of ['👍', '?', '。', '！！', ' ~ '].entries()) {
      await refused(
        task(`KW_${i}`, { trigger: { type: 'customer_reply', keyword: k } }),
        'trigger.keyword',
        /trigger\.keyword: must contain a letter, digit/,
      );
    }
    await refused(
      task('KW_LIST', { trigger: { type: 'customer_keyword', keywords: ['好的', '👍'] } }),
      'trigger.keywords[1]',
      /trigger\.keywords\[1\]: must contain/,
    );
    expect(
      (await call(d.url, 'POST', '/api/task/receive', task('KW_OK', { trigger: { type: 'customer_reply', keyword: '好的👍' } }))).status,
    ).toBe(200);
  });
});

describe('cron more often than once a minute', () => {
  it('is refused; once a minute and a fixed second are fine', async () => {
    for (const [i, expression] of ['* * * * * *', '*/5 * * * * *', '0-30 * * * * *', '0,30 * * * * *'].entries()) {
      await refused(
        task(`CRON_${i}`, { customer, trigger: { type: 'cron', expression } }),
        'trigger.expression',
        /fires more than once a minute, the minimum interval/,
      );
    }
    for (const [i, expression] of ['* * * * *', '0 */5 * * * *', '15 0 9 * * *'].entries()) {
      expect(
        (await call(d.url, 'POST', '/api/task/receive', task(`CRON_OK_${i}`, { customer, trigger: { type: 'cron', expression } }))).status,
      ).toBe(200);
    }
  });
});

describe('slow-header sockets', () => {
  it('are closed within seconds, and the API answers meanwhile', async () => {
    const { hostname, port } = new URL(d.url);
    const sockets: Socket[] = [];
    let closed = 0;
    for (let i = 0; i < 300; i++) {
      const s = connect({ host: hostname, port: Number(port) });
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      s.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      sockets.push(s);
    }
    const drip = setInterval(() => sockets.forEach((s) => s.writable && s.write('a')), 500);
    try {
      expect((await call(d.url, 'GET', '/api/health')).status).toBe(200);
      // 10 s of header timeout, checked every second; node's defaults took 30 to 60 s.
      await until(() => closed === sockets.length, 20_000, 'every slow-header socket to be closed');
    } finally {
      clearInterval(drip);
      sockets.forEach((s) => s.destroy());
    }
  }, 40_000);
});

describe('task add with endless input (the real binary)', () => {
  const ws = tempDir('aics-endless-');
  afterAll(() => ws.cleanup());

  it('--file /dev/urandom stops at 256 KiB with exit 2', async () => {
    const r = await aics(['task', 'add', '--file', '/dev/urandom', '--db', 'tasks.db'], { cwd: ws.dir });
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe('error: --file: /dev/urandom is larger than 256 KiB (a task is far smaller)');
  }, 60_000);

  it('an endless stdin stops at 256 KiB with exit 2', async () => {
    const child = spawn(process.execPath, [BIN, 'task', 'add', '--file', '-', '--db', 'tasks.db'], {
      cwd: ws.dir,
      env: cleanEnv({}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdin.on('error', () => undefined); // EPIPE once it stops reading
    const chunk = Buffer.alloc(1024 * 1024, '{');
    let written = 0;
    let open = true;
    const pump = () => {
      while (open && written < 1024 ** 3) {
        written += chunk.length;
        if (!child.stdin.write(chunk)) return void child.stdin.once('drain', pump);
      }
    };
    pump();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    open = false;
    expect(code).toBe(2);
    expect(stderr).toContain('--file: stdin is larger than 256 KiB');
    expect(written).toBeLessThan(1024 ** 3);
  }, 60_000);
});
