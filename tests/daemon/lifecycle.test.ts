/** The real `aics serve --api-only` process: drain on SIGTERM, forced exit, SIGUSR2 reopen, start-up failures. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SqliteMaintenance, SqliteTaskStore } from '../../src/store/sqlite.js';
import { call, task, tempDir, until } from '../support/daemon.js';
import { runToEnd, startServe } from '../support/spawn.js';

/** Sends the headers and the first bytes of a POST; the rest comes when finish() is called. */
function partialPost(port: number, path: string, body: unknown) {
  const bytes = Buffer.from(JSON.stringify(body));
  const socket: Socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('utf8').on('data', (s: string) => (answer += s));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`);
  socket.write(bytes.subarray(0, 16));
  return {
    finish: async () => {
      socket.write(bytes.subarray(16));
      await until(() => /\r\n\r\n\{.*\}$/s.test(answer), 5000, 'the answer');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      return { status, body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), raw: answer };
    },
    destroy: () => socket.destroy(),
    closed,
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });
}

describe('aics serve --api-only (real process)', () => {
  it('SIGTERM with a request in flight: it finishes the request, exits 0, the task is stored and the database intact', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const serve = await startServe(['--api-only', '--port', '0', '--db', 'data/tasks.db'], { cwd: dir });
      expect(serve.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ .*mode=api-only/);
      const inflight = partialPost(serve.port, '/api/task/receive', task('INFLIGHT_1'));
      await sleep(300); // the server has the headers: the request is in flight
      const t0 = Date.now();
      serve.child.kill('SIGTERM');
      await until(() => refused(serve.port), 3000, 'the listener to close');
      const answer = await inflight.finish();
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ code: 200, message: '任务接收成功', data: { task_id: 'INFLIGHT_1', status: 'pending' } });
      const { code, signal } = await serve.exit;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(serve.stderr()).toBe('');
      const store = SqliteTaskStore.open(join(dir, 'data/tasks.db'));
      try {
        expect(await new SqliteMaintenance(store.db, store.file).check()).toEqual({ ok: true, problems: ['ok'] });
        expect((await store.get('INFLIGHT_1'))?.task_id).toBe('INFLIGHT_1');
      } finally {
        store.close();
      }
      const log = readFileSync(join(dir, 'logs/aics.log'), 'utf8');
      expect(log).toMatch(/"msg":"stopping \(SIGTERM\)/);
      expect(log).toMatch(/"msg":"stopped"/);
    } finally {
      cleanup();
    }
  });

  it('a second signal exits at once, without waiting for the request in flight', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const serve = await startServe(['--api-only', '--port', '0'], { cwd: dir });
      const inflight = partialPost(serve.port, '/api/task/receive', task('INFLIGHT_2'));
      await sleep(300);
      const t0 = Date.now();
      serve.child.kill('SIGTERM');
      await sleep(200);
      serve.child.kill('SIGINT');
      const { code } = await serve.exit;
      expect(code).toBe(130);
      expect(Date.now() - t0).toBeLessThan(2000);
      inflight.destroy();
    } finally {
      cleanup();
    }
  });

  it('SIGUSR2 reopens the log file after logrotate renamed it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const serve = await startServe(['--api-only', '--port', '0', '--log-file', 'var/aics.log'], { cwd: dir });
      const url = `http://127.0.0.1:${serve.port}`;
      const logFile = join(dir, 'var/aics.log');
      await call(url, 'POST', '/api/task/receive', task('BEFORE_ROTATE'));
      await until(() => readFileSync(logFile, 'utf8').includes('任务接收 BEFORE_ROTATE'), 3000, 'first line');
      renameSync(logFile, `${logFile}.1`);
      serve.child.kill('SIGUSR2');
      await until(() => existsSync(logFile), 3000, 'the reopened file');
      await call(url, 'POST', '/api/task/receive', task('AFTER_ROTATE'));
      await until(() => readFileSync(logFile, 'utf8').includes('任务接收 AFTER_ROTATE'), 3000, 'line in the new file');
      expect(readFileSync(`${logFile}.1`, 'utf8')).not.toContain('AFTER_ROTATE');
      expect(readFileSync(logFile, 'utf8')).not.toContain('BEFORE_ROTATE');
      serve.child.kill('SIGTERM');
      expect((await serve.exit).code).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('port in use: one clear line on stderr, exit 1', async () => {
    const { dir, cleanup } = tempDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runToEnd(['serve', '--api-only', '--port', String(port)], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: port ${port} on 127.0.0.1 is already in use (another aics?): find it with "ss -ltnp 'sport = :${port}'", or choose --port\n`,
      );
    } finally {
      blocker.close();
      cleanup();
    }
  });

  it('unwritable database or log folder: one clear line on stderr, non-zero exit', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'afile'), 'not a folder');
      const db = await runToEnd(['serve', '--api-only', '--port', '0', '--db', 'afile/tasks.db'], { cwd: dir });
      expect(db.code).toBe(7);
      expect(db.stderr).toMatch(/^error: database .*afile\/tasks\.db cannot be written \((EEXIST|ENOTDIR)[^\n]*\n$/);
      const log = await runToEnd(['serve', '--api-only', '--port', '0', '--log-file', 'afile/aics.log'], { cwd: dir });
      expect(log.code).toBe(1);
      expect(log.stderr).toMatch(/^error: log file .*afile\/aics\.log cannot be written \((EEXIST|ENOTDIR)\)[^\n]*\n$/);
    } finally {
      cleanup();
    }
  });

  it('refuses a public bind without AICS_API_TOKEN and --multi without a bridge: one line, exit 2', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const publicBind = await runToEnd(['serve', '--api-only', '--host', '0.0.0.0', '--port', '0'], { cwd: dir });
      expect(publicBind.code).toBe(2);
      expect(publicBind.stderr).toMatch(/^error: --host 0\.0\.0\.0 is not a loopback address: set AICS_API_TOKEN[^\n]*\n$/);
      for (const args of [['--multi', '--workers', '2', '--api-only']]) {
        const r = await runToEnd(['serve', '--port', '0', ...args], { cwd: dir });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(/^error: --multi [^\n]*needs the bridge[^\n]*\n$/);
      }
      expect(existsSync(join(dir, 'db'))).toBe(false); // refused before anything was created
    } finally {
      cleanup();
    }
  });

  it('with a token on 0.0.0.0 it starts and requires the token', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const serve = await startServe(['--api-only', '--host', '0.0.0.0', '--port', '0'], {
        cwd: dir,
        env: { AICS_API_TOKEN: 'process-token-123' },
      });
      const url = `http://127.0.0.1:${serve.port}`;
      expect((await call(url, 'GET', '/api/task/list')).status).toBe(401);
      expect((await call(url, 'GET', '/api/task/list', undefined, { authorization: 'Bearer process-token-123' })).status).toBe(200);
      serve.child.kill('SIGTERM');
      expect((await serve.exit).code).toBe(0);
      expect(serve.stdout()).not.toContain('process-token-123');
      expect(readFileSync(join(dir, 'logs/aics.log'), 'utf8')).not.toContain('process-token-123');
    } finally {
      cleanup();
    }
  });
});
