// The automatic JSX runtime, said here: oclif runs src/ through tsx in development and test, ignoring tsconfig's jsx.
/** @jsxRuntime automatic @jsxImportSource react */
/**
 * The live monitor against a real daemon on port 0 (through the API client, as in production), rendered with
 * ink-testing-library; and `aics monitor --once` through the real binary.
 */
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AicsClient } from '../../src/api/client.js';
import { Monitor } from '../../src/tui/monitor.js';
import { aics } from '../support/cli.js';
import { call, startDaemon, task, until, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
});

it('shows the mode, the task counts and the newest tasks, and follows changes', async () => {
  const client = new AicsClient({ baseUrl: d.url });
  const ui = render(<Monitor client={client} intervalMs={100} formatTime={(iso) => iso.slice(11, 19)} />);
  try {
    await until(() => ui.lastFrame()?.includes('api-only'), 5000, 'the first frame');
    expect(ui.lastFrame()).toContain('disabled (--api-only)');
    expect(ui.lastFrame()).toMatch(/pending 0/);
    await call(d.url, 'POST', '/api/task/receive', task('MON_1'));
    // --api-only arms nothing: the task stays pending until a daemon with a bridge listens for it.
    await until(() => /pending 1/.test(ui.lastFrame() ?? ''), 5000, 'the task counted as pending');
    expect(ui.lastFrame()).toContain('MON_1');
    expect(ui.lastFrame()).toContain('q quit');
  } finally {
    ui.unmount();
  }
});

it('says the daemon is unreachable and keeps asking', async () => {
  const client = new AicsClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
  const ui = render(<Monitor client={client} intervalMs={100} formatTime={(iso) => iso} />);
  try {
    await until(() => ui.lastFrame()?.includes('unreachable'), 5000, 'the unreachable line');
    expect(ui.lastFrame()).toMatch(/retrying every/);
  } finally {
    ui.unmount();
  }
});

it('aics monitor --once prints one frame (exit 0), and exit 3 when nobody answers', async () => {
  const once = await aics(['monitor', '--once', '--url', d.url], { cwd: d.dir });
  expect(once.code).toBe(0);
  expect(once.stdout).toMatch(/aics monitor — http:\/\/127\.0\.0\.1:\d+ {2}· {2}api-only/);
  expect(once.stdout).toMatch(/tasks: pending \d+ {2}waiting \d+/);
  const down = await aics(['monitor', '--once', '--url', 'http://127.0.0.1:9'], { cwd: d.dir });
  expect(down.code).toBe(3);
  expect(down.stdout).toContain('unreachable');
});
