/**
 * A supervisor (systemd, a test, an operator's script) may send SIGTERM the moment it sees "listening on". Until a
 * handler is installed the default action kills the process outright: no drain, and the pid file left behind. The
 * handlers are installed before the daemon starts, so such a SIGTERM is a clean stop: exit 0, pid file removed.
 * Seen on CI's Node 24 leg under load (the daemon killed by the signal, exit code null).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../support/fixtures.js';
import { run } from '../support/spawn.js';

const ws = tempDir('aics-sigterm-');
afterAll(() => ws.cleanup());

it('SIGTERM the moment "listening on" is printed: a clean stop each time (exit 0, pid file removed)', async () => {
  for (let i = 0; i < 5; i++) {
    const dir = join(ws.dir, `d${i}`);
    const daemon = run(['serve', '--api-only', '--port', '0', '--db', join(dir, 'tasks.db'), '--log-file', join(dir, 'aics.log')], {
      cwd: ws.dir,
    });
    // Polled as often as the event loop allows: the signal follows the line as closely as a watcher can.
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (!/listening on/.test(daemon.stdout())) return;
        daemon.child.stdout!.off('data', onData);
        daemon.child.kill('SIGTERM');
        resolve();
      };
      daemon.child.stdout!.on('data', onData);
      void daemon.exit.then(() => reject(new Error(`exited before listening: ${daemon.stderr()}`)));
    });
    const exit = await daemon.exit;
    expect(exit, `run ${i}: ${daemon.stderr()}`).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, 'aics.pid')), `run ${i}: pid file left behind`).toBe(false);
  }
}, 120_000);
