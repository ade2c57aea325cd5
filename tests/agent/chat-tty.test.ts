/**
 * `aics agent chat` on a terminal (a pseudo-terminal made by script(1)) echoes what the customer types after the
 * prompt, as any shell prompt does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { BIN, cleanEnv } from '../support/spawn.js';
import { tempDir } from '../support/fixtures.js';
import { EVENT_LIMIT_MS } from '../support/limits.js';

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const ws = tempDir('aics-chat-tty-');
afterAll(() => ws.cleanup());

it.skipIf(!hasScript)('echoes the typed line after the 客户> prompt', async () => {
  const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} agent chat`, '/dev/null'], {
    cwd: ws.dir,
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const seen = async (re: RegExp, what: string) => {
    const end = Date.now() + EVENT_LIMIT_MS;
    while (!re.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${what}; output: ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await seen(/客户> /, 'prompt');
    child.stdin.write('名片多少钱\r');
    await seen(/客服> /, 'answer');
    // The prompt, maybe a cursor move, then what was typed: readline echoed it.
    expect(out).toMatch(/客户> (\x1b\[\d+G)?名片多少钱/);
    child.stdin.write('/quit\r');
    expect(await exit).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
