/**
 * `aics doctor` through the real binary: all green next to a running daemon with its bridge, Tianwang and an LLM on
 * loopback; one FAIL line naming the fix for each thing broken, and exit 1.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { aics, json } from '../support/cli.js';
import { until } from '../support/daemon.js';
import { startFakeLlm } from '../support/fake-llm.js';
import { tempDir } from '../support/fixtures.js';
import { startHttpSink } from '../support/http-sink.js';
import { startServe } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-doctor-');
afterAll(cleanup);
const db = join(dir, 'db/tasks.db');
const pidFile = join(dir, 'aics.pid');
type Check = { check: string; verdict: string; detail: string; fix?: string };
const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.check, c.verdict]));

describe('aics doctor', () => {
  it('next to a healthy desk: every check ok (Node 20 a warning), exit 0', async () => {
    const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 0 });
    const sink = await startHttpSink();
    const llm = await startFakeLlm();
    const env = {
      TIANWANG_CALLBACK_URL: sink.url,
      TIANWANG_DISPATCH_URL: sink.url,
      AICS_QINGJIAN_URL: sim.url,
      AICS_LLM_BASE_URL: llm.baseUrl,
      AICS_LLM_API_KEY: 'k',
    };
    const daemon = await startServe(['--port', '0', '--db', db, '--pid-file', pidFile, '--log-file', join(dir, 'aics.log')], {
      cwd: dir,
      env,
    });
    try {
      await sim.waitForClient(15_000);
      const r = await until(
        async () => {
          const run = await aics(['doctor', '--json', '--db', db, '--pid-file', pidFile], { cwd: dir, env });
          return json<{ checks: Check[] }>(run).checks.find((c) => c.check === '轻简 bridge')?.verdict === 'ok' ? run : null;
        },
        60_000,
        'the bridge online',
      );
      expect(r.code, r.stdout).toBe(0);
      const { ok, checks } = json<{ ok: boolean; checks: Check[] }>(r);
      expect(ok).toBe(true);
      expect(verdicts(checks)).toMatchObject({
        database: 'ok',
        schema: 'ok',
        disk: 'ok',
        port: 'ok',
        '轻简 bridge': 'ok',
        'callback URL': 'ok',
        'dispatch URL': 'ok',
        token: 'ok',
        clock: 'ok',
        'log file': 'ok',
        LLM: 'ok',
      });
      expect(['ok', 'warn']).toContain(verdicts(checks).node);
      expect(checks.find((c) => c.check === '轻简 bridge')!.detail).toMatch(/accounts online: 1688000001/);
      expect(checks.find((c) => c.check === 'port')!.detail).toMatch(/the aics daemon listens/);
      // For a person: one line per check, and a summary.
      const text = await aics(['doctor', '--db', db, '--pid-file', pidFile], { cwd: dir, env });
      expect(text.stdout.trim().split('\n')).toHaveLength(checks.length + 1);
      expect(text.stdout).toMatch(/^OK {4}database/m);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exit;
      await sim.stop();
      await sink.close();
      await llm.close();
    }
  }, 120_000);

  it('says what is wrong and what to do, and exits 1', async () => {
    // A port held by another program, a bridge and Tianwang that are down, a public address without a token.
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const busy = (other.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    try {
      const env = { TIANWANG_CALLBACK_URL: `http://127.0.0.1:${gone}/cb`, AICS_QINGJIAN_URL: `ws://127.0.0.1:${gone}` };
      const r = await aics(['doctor', '--json', '--db', db, '--pid-file', join(dir, 'none.pid'), '--port', String(busy)], {
        cwd: dir,
        env,
      });
      expect(r.code).toBe(1);
      const { ok, checks } = json<{ ok: boolean; checks: Check[] }>(r);
      expect(ok).toBe(false);
      expect(verdicts(checks)).toMatchObject({ port: 'fail', '轻简 bridge': 'fail', 'callback URL': 'fail' });
      for (const c of checks.filter((x) => x.verdict === 'fail')) expect(c.fix, c.check).toBeTruthy();
      expect(checks.find((c) => c.check === 'port')!.fix).toMatch(/ss -ltnp/);

      const open = await aics(['doctor', '--db', db, '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: {} });
      expect(open.code).toBe(1);
      expect(open.stdout).toMatch(/^FAIL {2}token +0\.0\.0\.0 is not loopback and AICS_API_TOKEN is not set — set AICS_API_TOKEN/m);
    } finally {
      await new Promise((r) => other.close(r));
    }
  }, 120_000);
});

describe('the node check', () => {
  it('passes 22 and 24 with the better-sqlite3 npm picks there, warns on 20 (end of life), fails on a mismatched pair', async () => {
    const { nodeCheck } = await import('../../src/doctor/checks.js');
    expect(nodeCheck('22.12.0', '12.11.1').verdict).toBe('ok');
    expect(nodeCheck('22.12.0', '13.2.0')).toMatchObject({ verdict: 'ok', detail: 'Node 22.12.0, better-sqlite3 13.2.0' });
    expect(nodeCheck('24.21.0', '13.2.0').verdict).toBe('ok');
    expect(nodeCheck('20.20.2', '12.11.1')).toMatchObject({ verdict: 'warn', fix: 'move to Node 22 or 24' });
    expect(nodeCheck('20.10.0', '12.11.1').verdict).toBe('fail');
    // A tree installed on one Node and run on another: 12 aborts on Node 24, 13 does not load on Node 20.
    expect(nodeCheck('24.21.0', '12.11.1')).toMatchObject({
      verdict: 'fail',
      fix: expect.stringMatching(/reinstall aics with this Node.*13 on Node 24/),
    });
    expect(nodeCheck('20.20.2', '13.2.0')).toMatchObject({
      verdict: 'fail',
      fix: expect.stringMatching(/reinstall aics with this Node.*12 on Node 20/),
    });
  });
});
