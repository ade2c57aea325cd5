/**
 * The database under faults: locked by another process, on a disk that turns read-only, damaged. Each gives a clear
 * error, nothing already stored is lost, nothing is deleted, and the documented recovery works.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics } from '../support/cli.js';
import { call, startDaemon } from '../support/daemon.js';
import { tempDir } from '../support/fixtures.js';
import { runToEnd } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-dbfaults-');
afterAll(cleanup);
const task = (id: string) =>
  parseTaskPayload({
    task_id: id,
    trigger: { type: 'specified_customer_reply', customer_id: 'c1', keyword: '好的' },
    action: { type: 'send_message', message: 'hi' },
  });

/** Another process takes the write lock and holds it for `ms`; resolves once it holds it. */
function holdWriteLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `
    const D = require('better-sqlite3'); const db = new D(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((r) => child.on('close', () => r()));
  return new Promise((resolve) => child.stdout!.once('data', () => resolve({ released })));
}

describe('locked by another process', () => {
  it('a write waits for a short lock and succeeds; past the busy timeout it fails with a clear error, changing nothing', async () => {
    const file = join(dir, 'locked/tasks.db');
    const store = SqliteTaskStore.open(file);
    await store.receive(task('L0'), 'test');
    store.close();

    const short = await holdWriteLock(file, 1500);
    const add = aics(['task', 'add', '--db', file, '--task-id', 'L1', '--customer', 'c1', '--keyword', '好的', '--message', 'hi'], {
      cwd: dir,
    });
    const started = Date.now();
    expect((await add).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(800); // it waited for the lock
    await short.released;

    const impatient = SqliteTaskStore.open(file, { busyTimeoutMs: 200 });
    const long = await holdWriteLock(file, 1500);
    await expect(impatient.receive(task('L2'), 'test')).rejects.toThrow(/is locked by another process/);
    await long.released;
    expect((await impatient.list({})).items.map((t) => t.task_id).sort()).toEqual(['L0', 'L1']);
    impatient.close();
  });
});

const canMount =
  spawnSync('sh', ['-c', `mkdir -p ${dir}/probe && mount -t tmpfs -o size=1m tmpfs ${dir}/probe && umount ${dir}/probe`]).status === 0;

describe.skipIf(!canMount)('the disk fills up under a running daemon', () => {
  it('receives answer 503 saying the disk is full, the daemon stays up, and it works again once there is room', async () => {
    const mnt = join(dir, 'small');
    mkdirSync(mnt, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]).status).toBe(0);
    const d = await startDaemon({ db: join(mnt, 'tasks.db'), logFile: join(dir, 'small.log') });
    try {
      expect((await call(d.url, 'POST', '/api/task/receive', { ...task('FULL_1') })).status).toBe(200);
      // Another program takes the rest of the disk.
      spawnSync('sh', ['-c', `dd if=/dev/zero of=${mnt}/filler bs=64k 2>/dev/null; true`]);
      let refused = null;
      for (let i = 2; i < 200 && !refused; i++) {
        const res = await call(d.url, 'POST', '/api/task/receive', {
          ...task(`FULL_${i}`),
          action: { type: 'send_message', message: 'x'.repeat(3900) },
        });
        if (res.status !== 200) refused = res;
      }
      expect(refused).not.toBeNull();
      expect(refused!.status).toBe(503);
      expect(refused!.body).toMatchObject({ code: 503, message: expect.stringMatching(/disk is full/) });
      expect((await call(d.url, 'GET', '/api/health')).status).toBe(200);
      rmSync(join(mnt, 'filler'));
      expect((await call(d.url, 'POST', '/api/task/receive', { ...task('FULL_AGAIN') })).status).toBe(200);
      const status = await call(d.url, 'GET', '/api/task/status/FULL_1');
      expect(status.body.data.status).toMatch(/pending|waiting/);
    } finally {
      await d.stop();
      spawnSync('umount', ['-l', mnt]);
    }
  });
});

describe.skipIf(!canMount)('the disk folder is read-only', () => {
  it('commands and the daemon say so in one line (exit 7) and change nothing; once writable again all is there', async () => {
    const mnt = join(dir, 'rofs');
    mkdirSync(mnt, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]).status).toBe(0);
    try {
      const file = join(mnt, 'tasks.db');
      const store = SqliteTaskStore.open(file);
      await store.receive(task('ROFS_1'), 'test');
      store.close();
      expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
      const before = readFileSync(file);
      const list = await aics(['task', 'list', '--db', file], { cwd: dir });
      expect(list.code).toBe(7);
      expect(list.stderr).toMatch(/^error: database .* is on a read-only file system/);
      const serve = await runToEnd(['serve', '--api-only', '--port', '0', '--db', file, '--log-file', join(dir, 'rofs.log')], { cwd: dir });
      expect(serve.code).toBe(7);
      expect(serve.stderr.trim().split('\n')).toHaveLength(1);
      expect(serve.stderr).toMatch(/read-only file system/);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(spawnSync('mount', ['-o', 'remount,rw', mnt]).status).toBe(0);
      expect((await aics(['task', 'status', 'ROFS_1', '--db', file], { cwd: dir })).code).toBe(0);
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });
});

describe('a damaged database file', () => {
  it('the daemon refuses it in one line (exit 7) without deleting it; db check says DAMAGED; the backup restores it', async () => {
    const work = join(dir, 'damaged');
    const file = join(work, 'db/task_db/tasks.db');
    const store = SqliteTaskStore.open(file);
    for (let i = 0; i < 200; i++) await store.receive(task(`D${i}`), 'test');
    store.close();
    expect((await aics(['db', 'backup', join(work, 'backup.db')], { cwd: work })).code).toBe(0);

    // Scribble over the middle of the file, as a failing disk or a careless copy would.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xab), 0, 8192, 8192);
    closeSync(fd);
    const damaged = readFileSync(file);

    const serve = await runToEnd(['serve', '--api-only', '--port', '0'], { cwd: work, timeoutMs: 15_000 });
    expect(serve.code).toBe(7);
    expect(serve.stderr.trim().split('\n')).toHaveLength(1);
    expect(serve.stderr).toMatch(/damaged.*aics db check/);
    expect(readFileSync(file).equals(damaged)).toBe(true); // nothing deleted or rewritten

    const check = await aics(['db', 'check'], { cwd: work });
    expect(check.code).toBe(7);
    expect(check.stdout + check.stderr).toMatch(/DAMAGED/);

    // The documented recovery: stop the daemon, put the backup in place (without stale -wal/-shm), start again.
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(join(work, 'backup.db'), file);
    expect((await aics(['db', 'check'], { cwd: work })).code).toBe(0);
    const restored = SqliteTaskStore.open(file);
    expect((await restored.list({})).total).toBe(200);
    restored.close();
    expect(existsSync(join(work, 'backup.db'))).toBe(true);
  });
});
