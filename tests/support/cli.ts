/**
 * Runs `aics` through its real entry point (node bin/run.js over the built dist/), in a temp working folder, and
 * reads databases behind its back to check what it stored.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED, cleanEnv, tempDir } from './fixtures.js';

export { tempDir };

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(repoRoot, 'bin', 'run.js');

/** The seed's examples (see fixtures.ts). */
export const seedExamples = (): typeof SEED => SEED;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function aics(args: string[], opts: { cwd: string; input?: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: cleanEnv(opts.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
