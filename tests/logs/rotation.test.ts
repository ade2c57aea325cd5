/**
 * Logs that do not fill the disk: deploy/aics.logrotate run by the real logrotate (when installed; otherwise the
 * same rename + SIGUSR2 + gzip by hand) against a running `aics serve`, which reopens its file on SIGUSR2; then
 * `aics logs grep` finds lines in the current file and in the rotated copies, compressed or not, oldest first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { SEED, call, until } from '../support/daemon.js';
import { tempDir } from '../support/fixtures.js';
import { runToEnd, startServe } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-rotate-');
afterAll(cleanup);
const hasLogrotate = spawnSync('logrotate', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasLogrotate) console.warn('logrotate not installed (Debian: apt-get install logrotate): rotating by hand the way it would');

it('rotated by deploy/aics.logrotate and SIGUSR2, the log keeps every line, and logs grep reads them all', async () => {
  const log = join(dir, 'logs/aics.log');
  const db = join(dir, 'tasks.db');
  const daemon = await startServe(['--api-only', '--port', '0', '--db', db, '--log-file', log], { cwd: dir });
  const pid = daemon.child.pid!;
  // The shipped config, pointed at this folder and this daemon (no systemd here).
  const conf = join(dir, 'aics.logrotate');
  writeFileSync(
    conf,
    readFileSync(join(repoRoot, 'deploy/aics.logrotate'), 'utf8')
      .replace('/opt/aics/logs/aics.log', log)
      .replace(/systemctl reload aics.*$/m, `kill -USR2 ${pid}`),
  );
  let reopened = 0;
  const rotate = async () => {
    if (hasLogrotate) {
      const r = spawnSync('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    } else {
      if (existsSync(`${log}.1`)) {
        writeFileSync(`${log}.2.gz`, gzipSync(readFileSync(`${log}.1`)));
        renameSync(`${log}.1`, `${log}.1.old`);
      }
      renameSync(log, `${log}.1`);
      process.kill(pid, 'SIGUSR2');
    }
    // The daemon says so in the new file once it has reopened it.
    reopened++;
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('log file reopened'), 15_000, `reopen #${reopened}`);
  };
  const receive = async (id: string) => {
    const r = await call(daemon.url, 'POST', '/api/task/receive', { ...SEED.receive, task_id: id });
    expect(r.status, r.text).toBe(200);
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes(`任务接收 ${id}`), 15_000, `${id} logged`);
  };
  try {
    await receive('ROT_A');
    await rotate();
    await receive('ROT_B');
    await rotate();
    await receive('ROT_C');
    // delaycompress: the newest copy stays plain, the older one is compressed.
    expect(existsSync(`${log}.1`)).toBe(true);
    expect(existsSync(`${log}.2.gz`)).toBe(true);
    expect(readFileSync(`${log}.2.gz`).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exit;
  }
  const all = await runToEnd(['logs', 'grep', '任务接收 ROT_', '--log-file', log], { cwd: dir, timeoutMs: 60_000 });
  expect(all.code, all.stderr).toBe(0);
  expect(all.stdout.match(/任务接收 ROT_[ABC]/g)).toEqual(['任务接收 ROT_A', '任务接收 ROT_B', '任务接收 ROT_C']);
  const current = await runToEnd(['logs', 'grep', '任务接收 ROT_', '--log-file', log, '--no-rotated'], { cwd: dir, timeoutMs: 60_000 });
  expect(current.stdout.match(/任务接收 ROT_[ABC]/g)).toEqual(['任务接收 ROT_C']);
  const json = await runToEnd(['logs', 'grep', '--task', 'ROT_A', '--json', '--log-file', log], { cwd: dir, timeoutMs: 60_000 });
  expect(JSON.parse(json.stdout.trim().split('\n')[0]!)).toMatchObject({ task_id: 'ROT_A', msg: '任务接收 ROT_A' });
}, 180_000);
