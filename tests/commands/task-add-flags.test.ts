/**
 * `aics task add` from flags: every trigger type, the defaults it picks, and errors that name the flag the
 * operator typed (not the payload field behind it) — through the real binary.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { aics, errorLine, json, snapshot, tempDir } from '../support/cli.js';

const ws = tempDir('aics-add-flags-');
const db = join(ws.dir, 'tasks.db');
/** The bad-input cases run beside the good ones (concurrent suites), so they watch a database of their own. */
const badDb = join(ws.dir, 'bad-input.db');
const addTo = (file: string, args: string[]) => aics(['task', 'add', ...args, '--db', file], { cwd: ws.dir });
const add = (...args: string[]) => addTo(db, args);

afterAll(() => ws.cleanup());

describe.concurrent('task add from flags stores each trigger type', () => {
  it('--customer with one --keyword: specified_customer_reply, with a generated task id', async ({ expect }) => {
    const r = await add('--customer', 'c1', '--customer-name', '小明', '--keyword', '好的', '--message', '这是您要的文件', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.task_id).toMatch(/^TASK_\d{8}_\d{6}_[0-9A-Z]{4}$/);
    expect(out).toMatchObject({ status: 'pending', created: true });
    expect(out.task).toMatchObject({
      customer_id: 'c1',
      customer_name: '小明',
      trigger: { type: 'specified_customer_reply', customer_id: 'c1', customer_name: '小明', keyword: '好的', exact_match: false },
      action: { type: 'send_message', message: '这是您要的文件' },
      priority: 'normal',
      timeout_hours: 24,
      max_retry: 3,
    });
  });

  it('one --keyword alone: customer_reply; --exact; --file-url makes send_file with --message as its text', async ({ expect }) => {
    const r = await add('--keyword', '好的', '--exact', '--file-url', 'https://example.com/a.pdf', '--message', '请查收', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).task).toMatchObject({
      customer_id: null,
      trigger: { type: 'customer_reply', keyword: '好的', exact_match: true },
      action: { type: 'send_file', file_url: 'https://example.com/a.pdf', message: '请查收' },
    });
  });

  it('several --keyword: customer_keyword; --image-url with a path inside the files folder makes send_image', async ({ expect }) => {
    const r = await add('--keyword', '好的', '--keyword', '可以', '--keyword', '行', '--image-url', 'menu.png', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).task).toMatchObject({
      trigger: { type: 'customer_keyword', keywords: ['好的', '可以', '行'], exact_match: false },
      action: { type: 'send_image', file_url: 'menu.png' },
    });
  });

  it('--trigger customer_payment with --customer and no keywords: the default payment words', async ({ expect }) => {
    const r = await add('--trigger', 'customer_payment', '--customer', 'c2', '--message', '感谢您的付款', '--json');
    expect(r.code, r.stderr).toBe(0);
    const task = json(r).task;
    expect(task.trigger).toEqual({ type: 'customer_payment', customer_id: 'c2' });
    expect(task.customer_id).toBe('c2');
  });

  it('--time: time_reach, due at that wall-clock time in AICS_TZ, expiring timeout_hours later', async ({ expect }) => {
    const r = await add('--customer', 'c3', '--time', '2099-01-01 09:00:00', '--message', '新年好', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).task).toMatchObject({
      trigger: { type: 'time_reach', time: '2099-01-01 09:00:00' },
      due_at: '2099-01-01T01:00:00.000Z', // 09:00 in Asia/Shanghai
      expires_at: '2099-01-02T01:00:00.000Z',
    });
  });

  it('--cron: cron, due at the next 09:00 in AICS_TZ, never expiring', async ({ expect }) => {
    const r = await add('--customer', 'c4', '--cron', '0 9 * * *', '--message', '早上好', '--json');
    expect(r.code, r.stderr).toBe(0);
    const task = json(r).task;
    expect(task.trigger).toEqual({ type: 'cron', expression: '0 9 * * *' });
    expect(task.expires_at).toBeNull();
    const due = Date.parse(task.due_at);
    expect(due).toBeGreaterThan(Date.now());
    expect(due - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(new Date(due).getUTCHours()).toBe(1); // 09:00 in Asia/Shanghai
  });

  it('every other field comes from its flag', async ({ expect }) => {
    const r = await add(
      ...['--task-id', 'TASK_FLAGS_ALL', '--customer', 'c5', '--acc-id', '1688000001', '--keyword', 'ok', '--message', 'x'],
      ...[
        '--priority',
        'high',
        '--timeout',
        '2.5',
        '--max-retry',
        '5',
        '--created-by',
        '设计师 lz',
        '--type',
        'send_file_after_reply',
        '--json',
      ],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).task).toMatchObject({
      task_id: 'TASK_FLAGS_ALL',
      acc_id: '1688000001',
      priority: 'high',
      timeout_hours: 2.5,
      max_retry: 5,
      created_by: '设计师 lz',
      type: 'send_file_after_reply',
    });
  });

  it('prints a short human summary', async ({ expect }) => {
    const r = await add('--customer', 'c9', '--keyword', '好的', '--message', 'hi');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^任务接收成功: TASK_\d{8}_\d{6}_[0-9A-Z]{4} \(pending\)\n/);
    expect(r.stdout).toContain('specified_customer_reply: 好的 (customer c9)');
    expect(r.stdout).toContain('send_message: hi');
  });
});

describe.concurrent('task add from flags refuses bad input, naming the flag, and stores nothing', () => {
  let baseline: string;
  beforeAll(async () => {
    // a database with one task, so "nothing changed" is about a real file
    const r = await addTo(badDb, ['--task-id', 'TASK_BASE', '--keyword', 'x', '--message', 'y']);
    if (r.code !== 0) throw new Error(r.stderr);
    baseline = snapshot(badDb);
  });

  const cases: [string, string[], RegExp][] = [
    ['nothing to send', ['--keyword', 'x'], /^error: --message: one of --message, --file-url or --image-url is required/],
    ['a reply trigger without a keyword', ['--trigger', 'customer_reply', '--message', 'x'], /^error: --keyword: is required$/],
    [
      'an unknown trigger type',
      ['--trigger', 'customer_smiles', '--message', 'x'],
      /^error: Expected --trigger=customer_smiles to be one of: specified_customer_reply, /,
    ],
    [
      'a time trigger without a customer',
      ['--time', '2099-01-01 09:00:00', '--message', 'x'],
      /^error: --customer: is required for a time_reach trigger/,
    ],
    [
      'a time in the past',
      ['--customer', 'c', '--time', '2020-01-01 09:00:00', '--message', 'x'],
      /^error: --time: "2020-01-01 09:00:00" is more than timeout_hours \(24\) in the past$/,
    ],
    ['a time that is not one', ['--customer', 'c', '--time', 'tomorrow', '--message', 'x'], /^error: --time: "tomorrow" is not a time/],
    [
      'a bad cron expression',
      ['--customer', 'c', '--cron', 'every day', '--message', 'x'],
      /^error: --cron: is not a valid cron expression/,
    ],
    [
      'a keyword on a time trigger',
      ['--customer', 'c', '--time', '2099-01-01 09:00:00', '--keyword', 'x', '--message', 'y'],
      /^error: --keyword: does not apply to a time_reach trigger$/,
    ],
    [
      'several keywords for one customer',
      ['--customer', 'c', '--keyword', 'a', '--keyword', 'b', '--message', 'y'],
      /^error: --keyword: a reply from one customer/,
    ],
    [
      'a file path that climbs out of the files folder',
      ['--keyword', 'x', '--file-url', '../secret.pdf'],
      /^error: --file-url: must not contain "\.\." path segments$/,
    ],
    [
      'an image path outside the files folder',
      ['--keyword', 'x', '--image-url', '/etc/passwd'],
      /^error: --image-url: path must be inside the files folder/,
    ],
    [
      'a timeout that is not a number',
      ['--keyword', 'x', '--message', 'y', '--timeout', 'abc'],
      /^error: --timeout: "abc" is not a number of hours$/,
    ],
    ['a zero timeout', ['--keyword', 'x', '--message', 'y', '--timeout', '0'], /^error: --timeout: must be greater than 0$/],
    [
      'a name without a customer',
      ['--customer-name', '小明', '--keyword', 'x', '--message', 'y'],
      /^error: --customer: is required with --customer-name$/,
    ],
    ['an empty keyword', ['--keyword', '  ', '--message', 'y'], /^error: --keyword: must not be empty$/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name} (exit 2)`, async ({ expect }) => {
      const r = await addTo(badDb, args);
      expect(r.code, r.stderr).toBe(2);
      expect(errorLine(r)).toMatch(message);
      expect(r.stdout).toBe('');
      expect(snapshot(badDb)).toBe(baseline);
    });
  }
});
