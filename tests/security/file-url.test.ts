/**
 * file_url (issue #6, security): only http(s) URLs and paths inside the files folder. Everything else is refused
 * with 400 naming action.file_url over HTTP, and with exit 2 naming the flag by `aics task add`. checkFileUrl is
 * path arithmetic, so a symbolic link inside the folder that points outside is accepted when the task arrives and
 * refused when the file is about to be sent (the action runner resolves it then).
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore } from '../../src/store/index.js';
import { aics, errorLine, snapshot } from '../support/cli.js';
import { call, startDaemon, task, tempDir, until, type TestDaemon } from '../support/daemon.js';
import { pool } from '../support/fuzz.js';

const ws = tempDir('aics-file-url-');
const FILES = join(ws.dir, 'files');
const OUTSIDE = join(ws.dir, 'outside');
mkdirSync(join(FILES, 'docs'), { recursive: true });
mkdirSync(OUTSIDE, { recursive: true });
writeFileSync(join(FILES, 'docs', 'a.pdf'), 'inside');
writeFileSync(join(ws.dir, 'secret.txt'), 'secret');
writeFileSync(join(OUTSIDE, 'x.pdf'), 'outside');
symlinkSync(join(ws.dir, 'secret.txt'), join(FILES, 'link-out.pdf'));
symlinkSync(OUTSIDE, join(FILES, 'dir-out'));
symlinkSync(join(ws.dir, 'not-there.pdf'), join(FILES, 'dangling.pdf'));
symlinkSync(join(FILES, 'docs', 'a.pdf'), join(FILES, 'link-in.pdf'));
afterAll(() => ws.cleanup());

const REFUSED = [
  'file:///etc/passwd',
  'FILE:///etc/passwd',
  'file://localhost/etc/passwd',
  '../secret.txt',
  'docs/../../secret.txt',
  '..\\secret.txt',
  '%2e%2e/secret.txt',
  '%2E%2E%2Fsecret.txt',
  '.%2e/secret.txt',
  'docs/%2e%2e/%2e%2e/secret.txt',
  '%252e%252e/secret.txt',
  '/etc/passwd',
  join(ws.dir, 'secret.txt'),
  FILES,
  '//evil.example/a.pdf',
  'javascript:alert(1)',
  'JavaScript:alert(document.cookie)',
  '  javascript:alert(1)',
  'data:text/plain;base64,SGVsbG8=',
  'data:,x',
  'vbscript:msgbox(1)',
  'ftp://example.com/a.pdf',
  'docs/a.pdf\u0000.png',
  'http://exa\tmple.com/a.pdf',
];

describe('over HTTP', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon({ filesDir: FILES });
  });
  afterAll(() => d.stop());

  it('refuses every file_url outside the policy with 400 naming action.file_url, for files and images', async () => {
    const wrong: string[] = [];
    let n = 0;
    for (const fileUrl of REFUSED) {
      for (const type of ['send_file', 'send_image']) {
        const res = await call(d.url, 'POST', '/api/task/receive', task(`FU_BAD_${n++}`, { action: { type, file_url: fileUrl } }));
        if (
          res.status !== 400 ||
          res.body.data?.field !== 'action.file_url' ||
          !res.body.message.startsWith('参数错误: action.file_url: ')
        ) {
          wrong.push(`${type} ${JSON.stringify(fileUrl)} → ${res.status} ${res.text}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect((await call(d.url, 'GET', '/api/task/list')).body.data.total).toBe(0);
  });

  it('accepts http(s) URLs and paths inside the folder; a link inside is only path arithmetic here', async () => {
    for (const [i, fileUrl] of [
      'https://example.com/a.pdf',
      'http://example.com/%2e%2e/a.pdf',
      'docs/a.pdf',
      join(FILES, 'docs', 'a.pdf'),
      'a%20b.pdf',
      'link-out.pdf',
    ].entries()) {
      const res = await call(d.url, 'POST', '/api/task/receive', task(`FU_OK_${i}`, { action: { type: 'send_file', file_url: fileUrl } }));
      expect(res.status, `${fileUrl}: ${res.text}`).toBe(200);
    }
  });
});

describe('when the file is sent', () => {
  let d: TestDaemon;
  let sim: QingjianSimulator;
  beforeAll(async () => {
    sim = await QingjianSimulator.start({ port: 0, redeliverMs: 200 });
    d = await startDaemon(
      { filesDir: FILES, qingjianUrl: sim.url },
      {
        mode: 'bridge',
        bridgeOptions: { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
        actionBackoff: { baseMs: 50, maxMs: 200, jitter: 0 },
      },
    );
    await sim.waitForClient();
  });
  afterAll(async () => {
    await d.stop();
    await sim.stop();
  });

  it('sends a file inside the folder by its real path, and refuses links that lead outside or nowhere without sending anything', async () => {
    const cases = [
      { id: 'SEND_INSIDE', file: 'docs/a.pdf', ok: true },
      { id: 'SEND_LINK_IN', file: 'link-in.pdf', ok: true },
      { id: 'SEND_LINK_OUT', file: 'link-out.pdf', ok: false },
      { id: 'SEND_DIR_OUT', file: 'dir-out/x.pdf', ok: false },
      { id: 'SEND_DANGLING', file: 'dangling.pdf', ok: false },
    ];
    for (const c of cases) {
      const body = task(c.id, {
        customer: { id: `cust_${c.id}` },
        trigger: { type: 'specified_customer_reply', customer_id: `cust_${c.id}`, keyword: '好的' },
        action: { type: 'send_file', file_url: c.file, message: '文件来了' },
      });
      expect((await call(d.url, 'POST', '/api/task/receive', body)).status).toBe(200);
    }
    const store = await openStore(d.db);
    try {
      for (const c of cases) await until(async () => (await store.tasks.get(c.id))?.status === 'waiting', 5000, `${c.id} armed`);
      for (const c of cases) sim.pushMessage({ from_id: `cust_${c.id}`, content: '好的' });
      for (const c of cases) {
        const done = (await until(
          async () => {
            const t = await store.tasks.get(c.id);
            return t && ['completed', 'failed'].includes(t.status) ? t : null;
          },
          5000,
          `${c.id} finished`,
        ))!;
        const sent = sim.commands.filter((cmd) => cmd.data.to_id === `cust_${c.id}`);
        if (c.ok) {
          expect(done.status, c.id).toBe('completed');
          expect(sent.map((s) => s.cmd)).toEqual(['send_text', 'send_file']);
          expect(sent[1]!.data.file_path).toBe(realpathSync(join(FILES, 'docs', 'a.pdf')));
        } else {
          expect(done.status, c.id).toBe('failed');
          expect(done.error_message, c.id).toMatch(/^action\.file_url: .*symbolic link/);
          expect(sent, c.id).toEqual([]);
        }
      }
    } finally {
      store.close();
    }
  });
});

describe('aics task add', () => {
  const cli = tempDir('aics-file-url-cli-');
  const db = join(cli.dir, 'tasks.db');
  afterAll(() => cli.cleanup());
  const add = (args: string[]) =>
    aics(['task', 'add', '--db', db, '--customer', 'c1', '--keyword', '好的', ...args], { cwd: cli.dir, env: { AICS_FILES_DIR: FILES } });

  it('refuses the same values with exit 2, naming the flag, and stores nothing', async () => {
    const cases: [string, string][] = [
      ['--file-url', 'file:///etc/passwd'],
      ['--file-url', '../secret.txt'],
      ['--file-url', '%2e%2e/secret.txt'],
      ['--file-url', join(ws.dir, 'secret.txt')],
      ['--image-url', 'javascript:alert(1)'],
      ['--image-url', 'data:image/png;base64,AAAA'],
    ];
    await pool(cases, 3, async ([flag, value]) => {
      const r = await add([flag, value]);
      expect(r.code, `${flag} ${value}: ${r.stderr}`).toBe(2);
      expect(errorLine(r)).toMatch(new RegExp(`^error: ${flag}: `));
    });
    // The command may create the database; it stores nothing in it.
    expect(snapshot(db)).toMatch(/^(\(no database\)|tasks=0 events=0 outbox=0 )/);
  });

  it('names action.file_url when the task comes as the JSON body (--file)', async () => {
    writeFileSync(
      join(cli.dir, 'task.json'),
      JSON.stringify(task('CLI_FU', { action: { type: 'send_file', file_url: '%2e%2e/secret.txt' } })),
    );
    const r = await aics(['task', 'add', '--db', db, '--file', 'task.json'], { cwd: cli.dir, env: { AICS_FILES_DIR: FILES } });
    expect(r.code, r.stderr).toBe(2);
    expect(errorLine(r)).toMatch(/action\.file_url: must not contain "\.\." path segments/);
  });
});
