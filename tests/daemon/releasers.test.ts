/** The composition root's Releasers (src/daemon/lifecycle.ts): each step registers its stop; stop runs them in reverse. */
import { describe, expect, it } from 'vitest';
import { Releasers } from '../../src/daemon/lifecycle.js';

describe('Releasers', () => {
  it('stops in the reverse order of the steps, each once, and waits for each', async () => {
    const done: string[] = [];
    const r = new Releasers();
    await r.step(
      'a',
      () => 'A',
      (v) => done.push(`stop ${v}`),
    );
    await r.step(
      'b',
      async () => 'B',
      async (v) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        done.push(`stop ${v}`);
      },
    );
    r.add('c', () => done.push('stop c'));
    expect(r.order).toEqual(['c', 'b', 'a']);
    await r.release();
    expect(done).toEqual(['stop c', 'stop B', 'stop A']);
  });

  it('a failing start registers nothing itself; releasing then stops what had started', async () => {
    const done: string[] = [];
    const r = new Releasers();
    await r.step(
      'store',
      () => 1,
      () => done.push('store'),
    );
    await expect(
      r.step(
        'http',
        () => Promise.reject(new Error('port in use')),
        () => done.push('http'),
      ),
    ).rejects.toThrow('port in use');
    await r.release();
    expect(done).toEqual(['store']);
  });

  it('stopping twice is safe: the second call waits for the first and runs nothing again', async () => {
    let stops = 0;
    const r = new Releasers();
    await r.step(
      'x',
      () => null,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        stops++;
      },
    );
    const first = r.release();
    const second = r.release();
    await Promise.all([first, second]);
    await r.release();
    expect(stops).toBe(1);
    await expect(
      r.step(
        'late',
        () => null,
        () => undefined,
      ),
    ).rejects.toThrow('already released');
  });

  it('a stop that throws is reported and does not skip the others', async () => {
    const done: string[] = [];
    const errors: string[] = [];
    const r = new Releasers((name, error) => errors.push(`${name}: ${(error as Error).message}`));
    r.add('log', () => done.push('log'));
    r.add('bridge', () => {
      throw new Error('socket gone');
    });
    r.add('outbox', () => Promise.reject(new Error('timeout')));
    r.add('http', () => done.push('http'));
    await r.release();
    expect(done).toEqual(['http', 'log']);
    expect(errors).toEqual(['outbox: timeout', 'bridge: socket gone']);
  });

  it('a reserved place keeps its position in the stop order, and is skipped when never filled', async () => {
    const done: string[] = [];
    const r = new Releasers();
    r.add('store', () => done.push('store'));
    const fill = r.reserve('outbox');
    r.reserve('never built');
    r.add('http', () => done.push('http'));
    fill(() => done.push('outbox'));
    await r.release();
    expect(done).toEqual(['http', 'outbox', 'store']);
  });
});

describe('the daemon’s stop order', () => {
  it('api-only: HTTP drains first, the log and the pid file go last', async () => {
    const { startDaemon } = await import('../support/daemon.js');
    const d = await startDaemon();
    try {
      // The registry records "stopped" first: the others and `aics status` see a daemon stopping, not one gone stale.
      expect(d.daemon.stopOrder).toEqual([
        'daemon registry',
        'HTTP API',
        'worker',
        'outbox, retention, integrity watch',
        'WAL checkpointer',
        'store',
        'systemd notifier',
        'log and pid file',
      ]);
    } finally {
      await d.stop();
    }
  });

  it('with a bridge: the worker settles before the bridge closes, and the bridge closes before the outbox stops', async () => {
    const { startDaemon } = await import('../support/daemon.js');
    // Nothing listens on port 1: the bridge keeps reconnecting, which is all this needs.
    const d = await startDaemon({ qingjianUrl: 'ws://127.0.0.1:1' }, { mode: 'bridge', agent: false });
    try {
      // The registry records "stopped" first: the others and `aics status` see a daemon stopping, not one gone stale.
      expect(d.daemon.stopOrder).toEqual([
        'daemon registry',
        'HTTP API',
        'worker',
        '轻简 bridge',
        'outbox, retention, integrity watch',
        'WAL checkpointer',
        'store',
        'systemd notifier',
        'log and pid file',
      ]);
    } finally {
      await d.stop();
    }
  });
});
