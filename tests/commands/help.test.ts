/**
 * Every command's --help (from the built dist/commands, so a new command is covered without editing this file)
 * shows usage, its examples and the exit codes.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { aics, repoRoot, tempDir } from '../support/cli.js';

function commandIds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).replace(/\.js$/, '').split('/').join(' '))
    .sort();
}

const ids = commandIds(join(repoRoot, 'dist', 'commands'));
const ws = tempDir('aics-help-');
afterAll(() => ws.cleanup());

describe.concurrent('--help of every command', () => {
  it('finds the commands of this issue', ({ expect }) => {
    expect(ids).toEqual(
      expect.arrayContaining(['db backup', 'db check', 'db stats', 'task add', 'task cancel', 'task list', 'task status']),
    );
  });

  for (const id of ids) {
    it(`aics ${id} --help has USAGE, EXAMPLES with commands, and EXIT CODES`, async ({ expect }) => {
      const r = await aics([...id.split(' '), '--help'], { cwd: ws.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`$ aics ${id}`);
      const at = r.stdout.indexOf('\nEXAMPLES\n');
      expect(at, 'no EXAMPLES section').toBeGreaterThan(0);
      // at least one example that runs this very command (possibly after a pipe)
      expect(r.stdout.slice(at)).toMatch(new RegExp(`\\$ (.*\\| )?aics ${id}`));
      expect(r.stdout).toMatch(/EXIT CODES\n\s+0\s+ok/);
    });
  }
});
