/** The pid file library (src/daemon/control/pid-file.ts) and the pure parts of src/cli/control, in-process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config.js';
import { lastErrorLine } from '../../src/cli/control/start-detached.js';
import { restartPlan } from '../../src/cli/control/stop-restart.js';
import {
  acquirePidFile,
  daemonLiveness,
  inspectPidFile,
  pidFileFor,
  processStartTicks,
  readPid,
  recordedServeArgs,
  removePidFile,
  writeStartRecord,
  type StartRecord,
} from '../../src/daemon/control/pid-file.js';
import { ExitCode } from '../../src/errors.js';
import { fileTempDir as tempDir } from '../support/fixtures.js';

const dir = tempDir('aics-pidfile-');

/** A process whose command line looks like `… run.js serve`: what a running daemon looks like from outside. */
let lookalike: ChildProcess;
beforeAll(async () => {
  lookalike = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/aics/bin/run.js', 'serve'], { stdio: 'ignore' });
  await new Promise((r) => lookalike.once('spawn', r));
});
afterAll(() => {
  lookalike.kill('SIGKILL');
});

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('exit', () => resolve(child.pid!));
  });
}

function record(pid: number, changes: Partial<StartRecord> = {}): StartRecord {
  return {
    pid,
    argv: ['--api-only'],
    cwd: dir,
    env: {},
    started_at: new Date().toISOString(),
    url: 'http://127.0.0.1:6060',
    log_file: join(dir, 'logs/aics.log'),
    mode: 'api-only',
    db: join(dir, 'db/tasks.db'),
    proc_start: processStartTicks(pid),
    detached: false,
    ...changes,
  };
}

describe('pid file', () => {
  it('is found beside the database unless --pid-file or AICS_PID_FILE names one (relative to the working folder)', () => {
    expect(pidFileFor(resolveSettings({}, {}, dir))).toBe(join(dir, 'db/task_db/aics.pid'));
    expect(pidFileFor(resolveSettings({ db: 'data/t.db' }, {}, dir))).toBe(join(dir, 'data/aics.pid'));
    expect(pidFileFor(resolveSettings({}, { AICS_PID_FILE: 'run/aics.pid' }, dir))).toBe(join(dir, 'run/aics.pid'));
    expect(pidFileFor(resolveSettings({ pidFile: '/run/x.pid' }, { AICS_PID_FILE: 'run/aics.pid' }, dir))).toBe('/run/x.pid');
  });

  it('for a PostgreSQL database (several daemons may share it) is ./aics.pid in the working folder, not a path made of the URL', () => {
    expect(pidFileFor(resolveSettings({}, { AICS_DB: 'postgres://aics:pw@db.local:5432/aics' }, dir))).toBe(resolve('aics.pid'));
    expect(pidFileFor(resolveSettings({}, { AICS_DB: 'postgres://db.local/aics', AICS_PID_FILE: 'run/a.pid' }, dir))).toBe(
      join(dir, 'run/a.pid'),
    );
  });

  it("the start record keeps serve's arguments without --detach, --pid-file and --json", () => {
    expect(
      recordedServeArgs(['--detach', '--api-only', '--pid-file', 'x.pid', '--port', '0', '--json', '--pid-file=y.pid', '--db', 'a.db']),
    ).toEqual(['--api-only', '--port', '0', '--db', 'a.db']);
  });

  it("is claimed once: a live daemon's file is refused with exit 5, and left as it was", () => {
    const file = join(dir, 'claim/aics.pid');
    expect(acquirePidFile(file, lookalike.pid!)).toEqual({ replaced: null });
    expect(readFileSync(file, 'utf8')).toBe(`${lookalike.pid}\n`);
    expect(() => acquirePidFile(file, 4242)).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.invalidState,
        message: expect.stringMatching(new RegExp(`^already running, pid ${lookalike.pid} \\(pid file ${file}\\)`)),
      }),
    );
    expect(readPid(file)).toBe(lookalike.pid);
    expect(inspectPidFile(file)).toMatchObject({ state: 'running', pid: lookalike.pid });
  });

  it('a stale file is replaced, and why is said: a dead pid, another program, no pid at all', async () => {
    const file = join(dir, 'stale/aics.pid');
    mkdirSync(join(dir, 'stale'));
    const dead = await deadPid();
    writeFileSync(file, `${dead}\n`);
    expect(acquirePidFile(file, 1111).replaced).toBe(`stale pid file ${file}: pid ${dead} is not running`);
    expect(readPid(file)).toBe(1111);
    writeFileSync(file, `${process.pid}\n`);
    expect(acquirePidFile(file, 2222).replaced).toMatch(
      new RegExp(`^stale pid file ${file}: pid ${process.pid} is now another program \\(.*\\), not aics serve$`),
    );
    writeFileSync(file, 'garbage\n');
    expect(acquirePidFile(file, 3333).replaced).toBe(`stale pid file ${file}: it does not hold a pid`);
    expect(readPid(file)).toBe(3333);
  });

  it('a recorded start time tells the daemon from another aics serve that got its pid later', () => {
    const pid = lookalike.pid!;
    expect(daemonLiveness(pid, record(pid))).toEqual({ alive: true });
    const ticks = processStartTicks(pid);
    expect(ticks).toBeGreaterThan(0);
    expect(daemonLiveness(pid, record(pid, { proc_start: ticks! - 1 }))).toEqual({
      alive: false,
      why: `pid ${pid} is now another aics serve, started after the recorded one`,
    });
    // A record of another pid says nothing about this one.
    expect(daemonLiveness(pid, record(pid + 1, { proc_start: 1 }))).toEqual({ alive: true });
  });

  it('is removed only while it names the pid that removes it; the start record stays', () => {
    const file = join(dir, 'remove/aics.pid');
    acquirePidFile(file, 5555);
    writeStartRecord(file, record(5555));
    removePidFile(file, 6666);
    expect(readPid(file)).toBe(5555);
    removePidFile(file, 5555);
    expect(inspectPidFile(file)).toMatchObject({ state: 'absent', pid: null, record: { pid: 5555 } });
  });
});

describe('daemon control helpers', () => {
  it('a restart takes the aics environment from the record only, the rest from the current environment', () => {
    const plan = restartPlan(record(1, { env: { AICS_API_TOKEN: 't', TZ: 'Asia/Shanghai' } }), {
      PATH: '/usr/bin:/bin',
      AICS_DB: '/elsewhere.db',
      HOME: '/root',
    });
    expect(plan.env).toEqual({ PATH: '/usr/bin:/bin', HOME: '/root', AICS_API_TOKEN: 't', TZ: 'Asia/Shanghai' });
    expect(plan).toMatchObject({ argv: ['--api-only'], cwd: dir });
  });

  it('the reason a daemon did not start: its "error: …" line, else the last ERROR/FATAL record, only after the offset', () => {
    const log = join(dir, 'reasons.log');
    writeFileSync(log, 'error: an old failure\n');
    const offset = readFileSync(log).length;
    expect(lastErrorLine(log, offset)).toBeNull();
    appendFileSync(
      log,
      `${JSON.stringify({ level: 'INFO', msg: 'starting' })}\n${JSON.stringify({ level: 'FATAL', msg: 'unexpected error, exiting: boom' })}\n`,
    );
    expect(lastErrorLine(log, offset)).toBe('unexpected error, exiting: boom');
    appendFileSync(log, 'error: port 6060 on 127.0.0.1 is already in use\n');
    expect(lastErrorLine(log, offset)).toBe('port 6060 on 127.0.0.1 is already in use');
  });
});
