/**
 * What each command loads before it answers: every command pays only for what it uses. A test cannot time a start
 * on a shared machine, but it can see which modules a real `aics` process imported (tests/support/module-trace.mjs),
 * which is where the time went: all 25 commands with ink, react, fastify and openai behind `aics --version`, before
 * oclif.manifest.json. bench/cli-start.js measures the times.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/version.js';
import { aics, repoRoot, tempDir } from '../support/cli.js';
import { cleanEnv } from '../support/fixtures.js';

const ws = tempDir('aics-start-');
afterAll(() => ws.cleanup());
const db = join(ws.dir, 'tasks.db');

/** Heavy modules that only serve, monitor, the agent commands, doctor, validating a new task or a PostgreSQL store need. */
// zod is not in the list: the trigger registry (src/tasks/triggers) holds each trigger's schema beside the rest of its
// description, and the store reads stored tasks through the registry.
const HEAVY = ['ink', 'react', 'fastify', 'pg', 'undici', 'ws', 'prom-client', 'pino', 'yaml', '@node-rs/jieba'];

interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages loaded (by name, e.g. "@oclif/core"), and our own files ("dist/commands/task/list.js", "bin/run.js"). */
  modules: Set<string>;
}

let traceN = 0;
function traced(args: string[], env: Record<string, string> = {}): Traced {
  const file = join(ws.dir, `trace-${++traceN}.txt`);
  const r = spawnSync(
    process.execPath,
    ['--import', join(repoRoot, 'tests/support/module-trace.mjs'), join(repoRoot, 'bin/run.js'), ...args],
    {
      cwd: ws.dir,
      encoding: 'utf8',
      env: cleanEnv({ AICS_TRACE_MODULES: file, ...env }),
    },
  );
  let lines: string[] = [];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing loaded at all: no file
  }
  const modules = new Set<string>();
  for (const line of lines) {
    const path = line.startsWith('file:') ? fileURLToPath(line) : line;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (pkg) modules.add(pkg[1]!);
    else if (path.startsWith(repoRoot)) modules.add(relative(repoRoot, path));
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

const commandFiles = (t: Traced) => [...t.modules].filter((m) => m.startsWith('dist/commands/'));
const heavy = (t: Traced) => HEAVY.filter((m) => t.modules.has(m));

beforeAll(async () => {
  const add = await aics(
    ['task', 'add', '--db', db, '--task-id', 'START_1', '--customer', 'customer_123', '--keyword', '好的', '--message', 'hi'],
    { cwd: ws.dir },
  );
  expect(add.code, add.stderr).toBe(0);
});

describe('aics start-up', () => {
  it("--version prints oclif's user agent line without loading oclif or any command", () => {
    const t = traced(['--version']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe(`aics/${packageVersion()} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`);
    expect([...t.modules]).toEqual(['bin/run.js']);
  });

  it('task list imports its own command file and nothing heavy', () => {
    const t = traced(['task', 'list', '--json', '--db', db]);
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ total: 1, items: [{ task_id: 'START_1' }] });
    expect(commandFiles(t)).toEqual(['dist/commands/task/list.js']);
    expect(heavy(t)).toEqual([]);
    // oclif's entry points, not its index (which loads all of oclif and semver)
    expect(t.modules.has('semver')).toBe(false);
    // no table is drawn and no cron expression parsed: cli-table3 and cron-parser (with luxon) load on first use
    expect(['cli-table3', 'cron-parser', 'luxon'].filter((m) => t.modules.has(m))).toEqual([]);
  });

  it('task list without --json draws its table (cli-table3 loaded then)', () => {
    const t = traced(['task', 'list', '--db', db]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/│ START_1 /);
    expect(t.modules.has('cli-table3')).toBe(true);
  });

  it('status with no daemon answers exit 3 without loading an HTTP client', () => {
    const t = traced(['status', '--db', db]);
    expect(t.code, t.stderr).toBe(3);
    expect(commandFiles(t)).toEqual(['dist/commands/status.js']);
    expect(heavy(t)).toEqual([]);
  });

  it("--help, a topic's and a command's help list them from the manifest without importing any command", () => {
    for (const args of [['--help'], ['task', '--help'], ['help', 'task', 'list']]) {
      const t = traced(args);
      expect(t.code, `${args.join(' ')}: ${t.stderr}`).toBe(0);
      expect(commandFiles(t), args.join(' ')).toEqual([]);
      expect(heavy(t), args.join(' ')).toEqual([]);
    }
    const root = traced(['--help']);
    expect(root.stdout).toMatch(/^\s+serve\s/m);
    expect(traced(['task', 'list', '--help']).stdout).toContain('--status');
  });

  it('a mistyped command gets its one-line suggestion without loading a command or the interactive not-found plugin', () => {
    const t = traced(['tsk', 'lst']);
    expect(t.code).toBe(2);
    expect(t.stderr).toBe('error: "tsk lst" is not an aics command; did you mean "task list"? ("aics help" lists them)\n');
    expect(commandFiles(t)).toEqual([]);
    expect(t.modules.has('@oclif/plugin-not-found')).toBe(false);
  });
});
