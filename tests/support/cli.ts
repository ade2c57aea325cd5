/**
 * Runs `aics` through its real entry point (node bin/run.js over the built dist/), in a temp working folder, and
 * reads databases behind its back to check what it stored.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(repoRoot, 'bin', 'run.js');

/** /work/shared beside the repository (a worktree may live elsewhere: then the absolute path). */
export const sharedDir = [resolve(repoRoot, '../shared'), '/work/shared'].find((d) => existsSync(join(d, 'fixtures', 'seed-examples.json')));

export function seedExamples(): {
  receive: Record<string, unknown>;
  cancel: { task_id: string; reason: string };
  triggers: Record<string, Record<string, unknown>>;
} {
  if (!sharedDir) throw new Error(`fixtures/seed-examples.json not found beside ${repoRoot} nor in /work/shared`);
  return JSON.parse(readFileSync(join(sharedDir, 'fixtures', 'seed-examples.json'), 'utf8'));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a clean machine: none of the operator's aics settings leak in. vitest's NODE_ENV=test is
 * kept on purpose: oclif is stricter under it (extra warnings on stderr), so a stray line fails errorLine().
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AICS_|AI_CS_|TIANWANG_|HTTP_API_PORT$|TZ$|NO_COLOR$|DEBUG$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, AICS_TZ: 'Asia/Shanghai', NO_COLOR: '1', ...extra };
}

export function aics(args: string[], opts: { cwd: string; input?: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** stdout parsed as JSON, with the whole run in the message when it is not JSON. */
export function json<T = any>(run: RunResult): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** The one-line error on stderr ("error: …"), failing the test if it is not exactly one line. */
export function errorLine(run: RunResult): string {
  const lines = run.stderr.trimEnd().split('\n');
  if (lines.length !== 1 || !lines[0]!.startsWith('error: ')) {
    throw new Error(`expected one "error: …" line on stderr, got:\n${run.stderr}`);
  }
  return lines[0]!;
}

export function tempDir(prefix = 'aics-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Everything the store keeps, summed up: equal snapshots mean nothing stored changed. Counts first, so a failing
 * comparison reads "tasks=3 …" against "tasks=2 …" rather than pages of rows.
 */
export function snapshot(dbFile: string): string {
  if (!existsSync(dbFile)) return '(no database)';
  const db = new Database(dbFile, { readonly: true });
  try {
    const tables = {
      tasks: db.prepare('SELECT * FROM tasks ORDER BY task_id').all(),
      events: db.prepare('SELECT * FROM task_events ORDER BY id').all(),
      outbox: db.prepare('SELECT * FROM outbox ORDER BY id').all(),
    };
    const counts = Object.entries(tables).map(([name, rows]) => `${name}=${rows.length}`);
    return `${counts.join(' ')} sha256=${createHash('sha256').update(JSON.stringify(tables)).digest('hex').slice(0, 16)}`;
  } finally {
    db.close();
  }
}

export const hasSqlite3 = spawnSync('sqlite3', ['-version'], { stdio: 'ignore' }).status === 0;
