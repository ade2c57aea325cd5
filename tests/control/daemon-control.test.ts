/**
 * Issue #7 through the real binary: `aics serve --detach`, `status`, `restart`, `stop`, in temp working folders, on
 * port 0 (the start record carries the port really bound), the default bridge mode against the 轻简 simulator
 * started in this process. Every daemon left behind is SIGKILLed in afterAll.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAicsServeCommandLine, readPid } from '../../src/daemon/control/pid-file.js';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { call, task, tempDir, until } from '../support/daemon.js';
import { BIN, runToEnd, startServe } from '../support/spawn.js';

/** Pids that may be daemons of these tests, and their working folders: killed and removed in afterAll. */
const started = new Set<number>();
const dirs: { dir: string; cleanup: () => void }[] = [];

function workdir(): string {
  const made = tempDir('aics-ctl-');
  dirs.push(made);
  return made.dir;
}

const pidFileOf = (dir: string) => join(dir, 'db/task_db/aics.pid');

/** The process exists and is not a zombie (an orphaned daemon that has exited, until pid 1 reaps it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** `aics …` in `cwd`, bounded in time (a detached start waits up to 30 s for the health check). */
async function aics(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = await runToEnd(args, { cwd, env, timeoutMs: 45_000 });
  for (const m of `${r.stdout}\n${r.stderr}`.matchAll(/"pid":\s*(\d+)|pid (\d+)/g)) started.add(Number(m[1] ?? m[2]));
  return r;
}

function parse(r: { code: number | null; stdout: string; stderr: string }): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** A shell command with exactly the environment given (env -i), as cron runs it. */
function bare(command: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const child = spawn('env', ['-i', ...vars, 'sh', '-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The pid of a process that has exited (so the pid names nothing, or, rarely, something else later). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('exit', () => resolve(child.pid!));
  });
}

afterAll(() => {
  for (const { dir } of dirs) {
    const pid = readPid(pidFileOf(dir));
    if (pid) started.add(pid);
  }
  for (const pid of started) {
    try {
      // Only an aics daemon: never whatever got the pid since (nor this test runner, named in a stale pid file).
      if (isAicsServeCommandLine(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'))) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const { cleanup } of dirs) cleanup();
});

describe('serve --detach → status → restart (tasks survive) → stop, in the default bridge mode', { timeout: 90_000 }, () => {
  let sim: QingjianSimulator;
  let dir: string;
  let serveArgs: string[];
  let first: { pid: number; url: string; mode: string; log_file: string; pid_file: string };
  let second: { pid: number; url: string };

  beforeAll(async () => {
    sim = await QingjianSimulator.start({ port: 0, redeliverMs: 500 });
    dir = workdir();
    serveArgs = ['serve', '--detach', '--port', '0', '--qingjian-url', sim.url];
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('serve --detach returns once the daemon answers, with its pid, url and log file; the pid file names it', async () => {
    const r = await aics([...serveArgs, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    first = parse(r);
    started.add(first.pid);
    expect(first).toMatchObject({ mode: 'bridge', log_file: join(dir, 'logs/aics.log'), pid_file: pidFileOf(dir) });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.url).not.toMatch(/:0$/);
    expect(alive(first.pid)).toBe(true);
    expect(readFileSync(pidFileOf(dir), 'utf8')).toBe(`${first.pid}\n`);
    const record = JSON.parse(readFileSync(`${pidFileOf(dir)}.json`, 'utf8'));
    expect(record).toMatchObject({
      pid: first.pid,
      argv: ['--port', '0', '--qingjian-url', sim.url],
      cwd: dir,
      url: first.url,
      mode: 'bridge',
      detached: true,
    });
    // The test's clean environment: only the zone and the polite sender (off in tests) configure aics.
    expect(record.env).toEqual({ AICS_TZ: 'Asia/Shanghai', AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0' });
    // It answers on the port the record names, and its log lines went to the log file (not twice).
    expect((await call(first.url, 'GET', '/api/health')).body.data.pid).toBe(first.pid);
    const log = readFileSync(first.log_file, 'utf8');
    expect(log.match(/listening on/g)).toHaveLength(1);
    await sim.waitForClient(10_000);
  });

  it('status: exit 0, pid, mode, url, uptime, the 轻简 bridge, task counts, backlog', async () => {
    await until(async () => (await call(first.url, 'GET', '/api/health')).body.data.qingjian.connected, 10_000, 'the bridge to connect');
    const r = await aics(['status', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const s = parse(r);
    expect(s).toMatchObject({
      running: true,
      healthy: true,
      problem: null,
      pid: first.pid,
      mode: 'bridge',
      url: first.url,
      outbox_backlog: 0,
    });
    expect(s.uptime_s).toBeGreaterThanOrEqual(0);
    expect(s.qingjian).toMatchObject({ connected: true, url: sim.url });
    expect(s.tasks).toMatchObject({ waiting: 0 });
    const human = await aics(['status'], dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^aics is running: pid ${first.pid}, up \\d+s\\n`));
    expect(human.stdout).toMatch(/bridge\s+connected ws:\/\/127\.0\.0\.1:\d+ \(accounts: 1688000001 online\)/);
  });

  it('a second start is refused while it runs: exit 5, "already running, pid N" (detached or in the foreground)', async () => {
    const r = await aics(serveArgs, dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`^error: already running, pid ${first.pid} \\(pid file ${pidFileOf(dir)}\\)`));
    const fg = await aics(['serve', '--port', '0', '--qingjian-url', sim.url, '--pid-file', pidFileOf(dir)], dir);
    expect(fg.code).toBe(5);
    expect(fg.stderr).toMatch(new RegExp(`^error: already running, pid ${first.pid}`));
    expect(readFileSync(pidFileOf(dir), 'utf8')).toBe(`${first.pid}\n`);
  });

  it('restart while a task waits: the old process is gone, the new one has the task and fires it when the customer writes', async () => {
    const received = await call(
      first.url,
      'POST',
      '/api/task/receive',
      task('RESTART_1', { action: { type: 'send_message', message: '重启后照样发' } }),
    );
    expect(received.status).toBe(200);
    await until(
      async () => (await call(first.url, 'GET', '/api/task/status/RESTART_1')).body.data.status === 'waiting',
      5000,
      'the task to be armed',
    );

    const r = await aics(['restart', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r);
    second = { pid: out.pid, url: out.url };
    started.add(second.pid);
    expect(out).toMatchObject({ outcome: 'restarted', previous_pid: first.pid, pid_file: pidFileOf(dir) });
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    expect(readFileSync(pidFileOf(dir), 'utf8')).toBe(`${second.pid}\n`);
    // The old daemon drained and stopped cleanly.
    expect(readFileSync(join(dir, 'logs/aics.log'), 'utf8')).toMatch(new RegExp(`"pid":${first.pid},"reason":"stopped"`));

    const status = parse(await aics(['status', '--json'], dir));
    expect(status).toMatchObject({ healthy: true, pid: second.pid, url: second.url, mode: 'bridge' });
    expect(status.tasks.waiting).toBe(1);
    expect((await call(second.url, 'GET', '/api/task/status/RESTART_1')).body.data.status).toBe('waiting');

    await sim.waitForConnections(2, 10_000); // the new daemon's bridge
    await until(() => sim.counters().clients === 1, 10_000, 'one client (the new daemon)');
    sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
    const [cmd] = await sim.nextCommands(1, 10_000);
    expect(cmd).toMatchObject({ cmd: 'send_text', req_id: 'RESTART_1#1', data: { to_id: 'customer_123', content: '重启后照样发' } });
    await until(
      async () => (await call(second.url, 'GET', '/api/task/status/RESTART_1')).body.data.status === 'completed',
      10_000,
      'completed',
    );
    const events = (await call(second.url, 'GET', '/api/task/status/RESTART_1')).body.data.events as {
      to_status: string;
      actor: string | null;
    }[];
    expect(events.find((e) => e.to_status === 'completed')?.actor).toMatch(new RegExp(`:${second.pid}$`));
  });

  it('stop: SIGTERM, waits for the exit, removes the pid file (the start record stays); exit 0', async () => {
    const r = await aics(['stop', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r)).toMatchObject({ stopped: true, pid: second.pid, outcome: 'stopped', pid_file: pidFileOf(dir) });
    expect(alive(second.pid)).toBe(false);
    expect(existsSync(pidFileOf(dir))).toBe(false);
    expect(existsSync(`${pidFileOf(dir)}.json`)).toBe(true);
  });

  it('then stop and status say it is not running (exit 3); restart starts it from the start record, and says so', async () => {
    const stop = await aics(['stop'], dir);
    expect(stop.code).toBe(3);
    expect(stop.stderr).toMatch(/^error: aics is not running/);
    const status = await aics(['status', '--json'], dir);
    expect(status.code).toBe(3);
    expect(parse(status)).toMatchObject({
      running: false,
      healthy: false,
      pid: null,
      problem: `not running (no pid file ${pidFileOf(dir)})`,
    });

    const r = await aics(['restart'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^aics was not running \(it was not running\); started it as recorded: pid (\d+), http:\/\/127\.0\.0\.1:\d+, log /,
    );
    const pid = Number(readFileSync(pidFileOf(dir), 'utf8'));
    expect(alive(pid)).toBe(true);
    expect((await aics(['stop'], dir)).code).toBe(0);
    expect(alive(pid)).toBe(false);
  });
});

describe('stale pid files, failures to start, nothing to drive', { timeout: 90_000 }, () => {
  it('a pid file naming a dead process is replaced, with a warning on stderr', async () => {
    const dir = workdir();
    const dead = await deadPid();
    mkdirSync(dirname(pidFileOf(dir)), { recursive: true });
    writeFileSync(pidFileOf(dir), `${dead}\n`);
    const r = await aics(['serve', '--detach', '--api-only', '--port', '0', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const { pid } = parse(r);
    expect(r.stderr).toBe(`warning: stale pid file ${pidFileOf(dir)}: pid ${dead} is not running; replaced it\n`);
    expect(readFileSync(pidFileOf(dir), 'utf8')).toBe(`${pid}\n`);
    expect((await aics(['stop'], dir)).code).toBe(0);
  });

  it('a pid file whose pid is now another program: status and stop say not running (exit 3), stop removes it, nothing is signalled', async () => {
    const dir = workdir();
    mkdirSync(dirname(pidFileOf(dir)), { recursive: true });
    writeFileSync(pidFileOf(dir), `${process.pid}\n`); // this test runner: alive, and not aics serve
    const status = await aics(['status', '--json'], dir);
    expect(status.code).toBe(3);
    expect(parse(status).problem).toMatch(
      new RegExp(`^not running \\(pid ${process.pid} is now another program \\(.*\\), not aics serve; stale pid file`),
    );
    expect(existsSync(pidFileOf(dir))).toBe(true); // status changes nothing
    const stop = await aics(['stop'], dir);
    expect(stop.code).toBe(3);
    expect(stop.stderr).toMatch(
      new RegExp(`^warning: removed stale pid file ${pidFileOf(dir)}: pid ${process.pid} is now another program`),
    );
    expect(stop.stderr).toMatch(/\nerror: aics is not running/);
    expect(existsSync(pidFileOf(dir))).toBe(false);
    expect(alive(process.pid)).toBe(true);
  });

  it('nothing ever started: stop, status and restart exit 3, restart with a hint', async () => {
    const dir = workdir();
    const stop = await aics(['stop'], dir);
    expect(stop.code).toBe(3);
    expect(stop.stderr).toBe(`error: aics is not running (no daemon for ${pidFileOf(dir)}); nothing to stop\n`);
    const status = await aics(['status'], dir);
    expect(status.code).toBe(3);
    const restart = await aics(['restart'], dir);
    expect(restart.code).toBe(3);
    expect(restart.stderr).toMatch(/^error: nothing to restart: no daemon runs for .* start one with "aics serve --detach"/);
  });

  it("port in use: serve --detach prints the daemon's own error line from the log, with its exit code", async () => {
    const dir = workdir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await aics(['serve', '--detach', '--api-only', '--port', String(port)], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: the daemon exited with code 1 while starting: port ${port} on 127.0.0.1 is already in use (another aics?): find it with "ss -ltnp 'sport = :${port}'", or choose --port (log: ${join(dir, 'logs/aics.log')})\n`,
      );
      expect(existsSync(pidFileOf(dir))).toBe(false);
      // The failure is a JSON line of the log like every other, found by level.
      const log = readFileSync(join(dir, 'logs/aics.log'), 'utf8').split('\n').filter(Boolean);
      for (const line of log) expect(() => JSON.parse(line), line).not.toThrow();
      const found = await aics(['logs', 'grep', '--level', 'error'], dir);
      expect(found.code, found.stderr).toBe(0);
      expect(found.stdout).toMatch(new RegExp(`ERROR.*port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('refusals that need no process (a public bind without a token) come at once, exit 2', async () => {
    const dir = workdir();
    const r = await aics(['serve', '--detach', '--api-only', '--host', '0.0.0.0', '--port', '0'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --host 0\.0\.0\.0 is not a loopback address/);
    expect(existsSync(join(dir, 'logs'))).toBe(false);
  });
});

describe('serve --pid-file in the foreground (systemd, docker)', { timeout: 90_000 }, () => {
  it('writes the pid file and start record once it listens, status reads them, restart leaves it to its supervisor, SIGTERM removes the pid file', async () => {
    const dir = workdir();
    const pidFile = join(dir, 'run/aics.pid');
    const serve = await startServe(['--api-only', '--port', '0', '--pid-file', 'run/aics.pid'], { cwd: dir });
    started.add(serve.child.pid!);
    expect(readFileSync(pidFile, 'utf8')).toBe(`${serve.child.pid}\n`);
    expect(JSON.parse(readFileSync(`${pidFile}.json`, 'utf8'))).toMatchObject({
      pid: serve.child.pid,
      argv: ['--api-only', '--port', '0'],
      url: serve.url,
      detached: false,
    });
    const status = await aics(['status', '--json', '--pid-file', pidFile], dir);
    expect(status.code).toBe(0);
    expect(parse(status)).toMatchObject({ healthy: true, pid: serve.child.pid, url: serve.url });
    // AICS_PID_FILE names it as well as --pid-file.
    const restart = await aics(['restart'], dir, { AICS_PID_FILE: 'run/aics.pid' });
    expect(restart.code).toBe(5);
    expect(restart.stderr).toMatch(/^error: the daemon \(pid \d+\) runs in the foreground under a supervisor .*"systemctl restart aics"/);
    serve.child.kill('SIGTERM');
    expect((await serve.exit).code).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(existsSync(`${pidFile}.json`)).toBe(true);
  });
});

describe('the crontab line of the README', { timeout: 90_000 }, () => {
  it('"cd DIR && /usr/bin/env aics restart >> logs/cron.log 2>&1" works under env -i, with the settings the daemon was started with', async () => {
    const dir = workdir();
    // Started with a token (so its health needs it) and a setting in the environment only.
    const env = { AICS_API_TOKEN: 'cron-test-token-0123456789', AICS_LOG_LEVEL: 'debug' };
    const first = parse(await aics(['serve', '--detach', '--api-only', '--port', '0', '--json'], dir, env));
    started.add(first.pid);
    // `aics` on the PATH, as "npm link" puts it in /usr/bin; node where cron's PATH finds it.
    const bin = join(workdir(), 'bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'aics'));
    const PATH = [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(':');
    const cron = await bare(`cd ${dir} && /usr/bin/env aics restart >> logs/cron.log 2>&1`, { PATH }, tmpdir());
    expect(cron.code, readFileSync(join(dir, 'logs/cron.log'), 'utf8')).toBe(0);
    const line = readFileSync(join(dir, 'logs/cron.log'), 'utf8');
    const m = new RegExp(`^stopped pid ${first.pid} and started aics again: pid (\\d+), (http://127\\.0\\.0\\.1:\\d+), log `).exec(line);
    expect(m, line).not.toBeNull();
    const pid = Number(m![1]);
    started.add(pid);
    // The new daemon has the recorded environment: its API wants the token, its log is at debug level.
    expect((await call(m![2]!, 'GET', '/api/task/list')).status).toBe(401);
    const record = JSON.parse(readFileSync(`${pidFileOf(dir)}.json`, 'utf8'));
    expect(record).toMatchObject({ pid, cwd: dir, env: env });
    // status from a shell without the token: it uses the recorded one, so the details are there.
    const status = await aics(['status', '--json'], dir);
    expect(status.code).toBe(0);
    expect(parse(status)).toMatchObject({ healthy: true, pid, mode: 'api-only', details_hidden: false });
    expect((await bare(`cd ${dir} && /usr/bin/env aics stop`, { PATH }, tmpdir())).code).toBe(0);
    expect(alive(pid)).toBe(false);
  });
});
