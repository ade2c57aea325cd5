/**
 * `aics serve` under systemd's notify protocol, against a fake NOTIFY_SOCKET (a Unix datagram socket bound by a
 * small Python listener, since Node cannot bind one): READY=1 only once the port answers, WATCHDOG=1 pings at a
 * third of WATCHDOG_USEC, STOPPING=1 on SIGTERM. And `systemd-analyze verify` accepts deploy/aics.service.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { call, until } from '../support/daemon.js';
import { tempDir } from '../support/fixtures.js';
import { run } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-systemd-');
afterAll(cleanup);
const has = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const hasNotify = has('python3', '--version') && has('systemd-notify', '--version');
const hasAnalyze = has('systemd-analyze', '--version');

/** Binds a Unix datagram socket and prints each datagram on one line (newlines as "|"). */
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(65536).decode().strip().replace("\\n", "|"), flush=True)
`;

describe.skipIf(!hasNotify)('sd_notify', () => {
  it('READY=1 after the port is bound, WATCHDOG=1 pings, STOPPING=1 on SIGTERM, exit 0', async () => {
    const socket = join(dir, 'notify.sock');
    const listener = spawn('python3', ['-c', LISTENER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    listener.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
    try {
      await until(() => received.includes('bound'), 15_000, 'the fake NOTIFY_SOCKET');
      const messages = () => received.split('\n').filter((l) => l && l !== 'bound');
      const daemon = run(['serve', '--api-only', '--port', '0', '--db', join(dir, 'tasks.db'), '--log-file', join(dir, 'aics.log')], {
        cwd: dir,
        env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '600000' },
      });
      try {
        const ready = await until(() => messages().find((m) => m.includes('READY=1')), 20_000, 'READY=1');
        // STATUS says where it listens; by the time READY=1 is sent that port answers.
        const url = /STATUS=listening on (http:\/\/\S+?)(\||$)/.exec(ready)?.[1];
        expect(url, ready).toBeTruthy();
        expect((await call(url!, 'GET', '/api/health')).status).toBe(200);
        await until(() => messages().filter((m) => m.startsWith('WATCHDOG=1')).length >= 3, 20_000, 'three watchdog pings');
        expect(messages().findIndex((m) => m.includes('READY=1'))).toBeLessThan(messages().findIndex((m) => m.startsWith('WATCHDOG=1')));
        daemon.child.kill('SIGTERM');
        expect((await daemon.exit).code).toBe(0);
        expect(messages().some((m) => m.includes('STOPPING=1'))).toBe(true);
        // No ping after STOPPING=1.
        const stoppingAt = messages().findIndex((m) => m.includes('STOPPING=1'));
        expect(
          messages()
            .slice(stoppingAt + 1)
            .filter((m) => m.startsWith('WATCHDOG=1')),
        ).toEqual([]);
      } finally {
        daemon.child.kill('SIGKILL');
      }
    } finally {
      listener.kill();
    }
  }, 90_000);

  it('without NOTIFY_SOCKET nothing is attempted (no warning in the log)', async () => {
    const daemon = run(['serve', '--api-only', '--port', '0', '--db', join(dir, 'plain.db'), '--log-file', join(dir, 'plain.log')], {
      cwd: dir,
    });
    await until(() => /listening on/.test(daemon.stdout()), 60_000, 'listening');
    daemon.child.kill('SIGTERM');
    expect((await daemon.exit).code).toBe(0);
    expect(daemon.stdout()).not.toMatch(/systemd (notify|watchdog)/);
  }, 90_000);
});

describe.skipIf(!hasAnalyze)('deploy/aics.service', () => {
  it('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(repoRoot, 'deploy/aics.service')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown|Invalid|Failed/i);
  });
});

if (!hasNotify)
  console.warn('python3 or systemd-notify missing: the sd_notify tests are skipped (Debian: apt-get install systemd python3)');
if (!hasAnalyze)
  console.warn('systemd-analyze missing: "systemd-analyze verify deploy/aics.service" is skipped (Debian: apt-get install systemd)');
