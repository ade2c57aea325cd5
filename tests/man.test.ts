/**
 * man/aics.1 is generated from the commands' metadata and committed: this fails when it is stale, and checks
 * that the generator's --check really notices a difference.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './support/cli.js';

const script = join(repoRoot, 'scripts', 'gen-man.js');
const gen = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: repoRoot, encoding: 'utf8' });
const ws = tempDir('aics-man-');
afterAll(() => ws.cleanup());

describe('man/aics.1', () => {
  it('is up to date with the commands (else: npm run build && npm run man, and commit it)', () => {
    const r = gen('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('covers every command, its flags and examples, exit codes, environment and files', () => {
    const page = readFileSync(join(repoRoot, 'man', 'aics.1'), 'utf8');
    for (const id of ['db backup', 'db check', 'db stats', 'task add', 'task cancel', 'task list', 'task status']) {
      expect(page).toContain(`.SS "aics ${id}"`);
    }
    expect(page).toContain('\\fB\\-\\-file\\-url\\fR=\\fIURL\\fR');
    expect(page).toContain('$ aics task cancel TASK_20260227_001 \\-\\-reason 客户取消订单');
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', '"EXIT STATUS"', 'ENVIRONMENT', 'FILES']) {
      expect(page).toContain(`\n.SH ${section}\n`);
    }
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7]) expect(page).toContain(`\n.B ${code}\n`);
    for (const name of [
      'AICS_DB',
      'AICS_TZ',
      'AI_CS_HOST',
      'AI_CS_PORT',
      'HTTP_API_PORT',
      'TIANWANG_CALLBACK_URL',
      'AICS_API_TOKEN',
      'AICS_LOG_FILE',
      'AICS_FILES_DIR',
    ]) {
      expect(page).toContain(`.B ${name.replace(/-/g, '\\-')}`);
    }
    // deterministic: no date or version in the title line, no path of this machine anywhere
    expect(page).toMatch(/^\.TH AICS 1 "" "aics" "aics manual"$/m);
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(page).not.toContain(version);
    expect(page).not.toContain(repoRoot);
  });

  it('--check fails, naming the file, when the page differs from what would be generated', () => {
    const stale = join(ws.dir, 'aics.1');
    writeFileSync(
      stale,
      readFileSync(join(repoRoot, 'man', 'aics.1'), 'utf8').replace('Cancel a task that has not run yet.', 'Cancel a task.'),
    );
    const r = gen('--check', '--out', stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^gen-man: .*aics\.1 differs from the commands' metadata \(first at line \d+\): run "npm run build && npm run man"/,
    );
    // and writing it makes it current again
    expect(gen('--out', stale).status).toBe(0);
    expect(gen('--check', '--out', stale).status).toBe(0);
  });
});
