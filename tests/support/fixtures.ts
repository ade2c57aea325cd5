/** What every test may need: the seed's examples, temp folders, and a clean environment for child processes. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Every JSON example of the seed's API and trigger sections. A copy of ../shared/fixtures/seed-examples.json kept in
 * the repository, so a clone runs its tests anywhere; tests/fixtures.test.ts checks the copy against the original.
 */
export const SEED: any = JSON.parse(readFileSync(new URL('../fixtures/seed-examples.json', import.meta.url), 'utf8'));

/** The seed's example task as a row of the seed's tasks table, column by column, with the seed's meanings. */
export const SEED_ROW = {
  type: 'send_file_after_reply',
  customer_id: 'customer_123',
  customer_name: '小明',
  specified_customer_id: 'customer_123',
  specified_customer_name: '小明',
  trigger_type: 'specified_customer_reply',
  trigger_keyword: '好的',
  action_type: 'send_message',
  action_message: '这是您要的文件',
  priority: 'normal',
  timeout_hours: 24,
  status: 'pending',
  retry_count: 0,
  max_retry: 3,
  created_by: '设计师 lz',
} as const;

export function tempDir(prefix = 'aics-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A temp folder removed after the test file has run. */
export function fileTempDir(prefix = 'aics-test-'): string {
  const { dir, cleanup } = tempDir(prefix);
  afterAll(cleanup);
  return dir;
}

/**
 * The environment of a clean machine for a child `aics`: none of the operator's aics settings leak in, times in one
 * zone. vitest's NODE_ENV=test is kept on purpose: oclif is stricter under it, so a stray stderr line fails a test.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AICS_|AI_CS_|TIANWANG_|HTTP_API_PORT$|TZ$|NO_COLOR$|DEBUG$)/.test(k)) continue;
    env[k] = v;
  }
  // The polite sender off (AICS_SEND_RATE): tests count sends, not wait for them; tests of the pacing set it.
  return { ...env, AICS_TZ: 'Asia/Shanghai', NO_COLOR: '1', AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0', ...extra };
}

/** ../shared beside the repository, when this checkout has one (CI and the developers' machines do). */
export const sharedDir = ['../../../shared', '../../../../shared']
  .map((rel) => new URL(rel, import.meta.url).pathname)
  .concat('/work/shared')
  .find((d) => existsSync(join(d, 'fixtures', 'seed-examples.json')));
