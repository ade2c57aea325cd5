/**
 * The CLI as people expect it, through the real binary: `aics help`, did-you-mean in the space form, shell
 * completion, `man aics` from an install, --help at the terminal's width, `logs grep` exiting 1 on no match.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aics, errorLine, repoRoot, tempDir } from '../support/cli.js';

const ws = tempDir('aics-cli-');
afterAll(() => ws.cleanup());
const run = (args: string[], env: Record<string, string> = {}) => aics(args, { cwd: ws.dir, env: { HOME: ws.dir, ...env } });

describe.concurrent('help and mistakes', () => {
  it('aics help lists the commands; aics help task list is that command’s help', async () => {
    const [all, one] = await Promise.all([run(['help']), run(['help', 'task', 'list'])]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^COMMANDS$/m);
    expect(all.stdout).toMatch(/^ {2}task\s/m);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('$ aics task list');
  });

  it('a mistyped command: one line with the suggestion in the space form, exit 2', async () => {
    const [topic, both] = await Promise.all([run(['task', 'lst']), run(['tsk', 'lst'])]);
    for (const [r, typed] of [
      [topic, 'task lst'],
      [both, 'tsk lst'],
    ] as const) {
      expect(r.code).toBe(2);
      expect(errorLine(r)).toBe(`error: "${typed}" is not an aics command; did you mean "task list"? ("aics help" lists them)`);
    }
  });

  it('--help wraps descriptions at the terminal width (OCLIF_COLUMNS), not at the source’s line breaks', async () => {
    const [wide, narrow] = await Promise.all([
      run(['serve', '--help'], { OCLIF_COLUMNS: '200' }),
      run(['serve', '--help'], { OCLIF_COLUMNS: '80' }),
    ]);
    const description = (text: string) => text.slice(text.indexOf('\nDESCRIPTION\n'), text.indexOf('\nEXAMPLES\n')).split('\n');
    expect(Math.max(...description(wide.stdout).map((l) => l.length))).toBeGreaterThan(150);
    expect(Math.max(...description(narrow.stdout).map((l) => l.length))).toBeLessThanOrEqual(80);
    // the exit codes keep their own lines
    expect(wide.stdout).toMatch(/\n\s+0\s+ok\n\s+1\s+unexpected error\n/);
  });
});

describe.concurrent('install and shell', () => {
  it('shell completion for bash and zsh (aics autocomplete)', async () => {
    const [bash, zsh] = await Promise.all([run(['autocomplete', 'bash']), run(['autocomplete', 'zsh'])]);
    for (const r of [bash, zsh]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/aics autocomplete/);
    }
  });

  it('package.json names the man page, so npm link / a global install puts it where man finds it', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect([pkg.man].flat()).toContain('./man/aics.1');
    expect(pkg.files).toContain('man');
    expect(existsSync(join(repoRoot, 'man/aics.1'))).toBe(true);
  });

  it('logs grep exits 1 when nothing matches, 0 when something does (like grep)', async () => {
    mkdirSync(join(ws.dir, 'logs'), { recursive: true });
    writeFileSync(
      join(ws.dir, 'logs/aics.log'),
      `${JSON.stringify({ level: 'INFO', time: new Date().toISOString(), pid: 1, msg: '任务接收 T1' })}\n`,
    );
    const [none, some] = await Promise.all([run(['logs', 'grep', '派单']), run(['logs', 'grep', '任务接收'])]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(some.code, some.stderr).toBe(0);
    expect(some.stdout).toContain('任务接收 T1');
  });
});
