import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AicsClient, ApiError } from '../../src/api/index.js';
import { DaemonUnreachableError, ExitCode } from '../../src/errors.js';
import { SEED, startDaemon, task, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
let client: AicsClient;
beforeAll(async () => {
  d = await startDaemon({ apiToken: 'client-token' });
  client = new AicsClient({ baseUrl: d.url, token: 'client-token' });
});
afterAll(() => d.stop());

describe('AicsClient', () => {
  it('speaks every route of the API', async () => {
    expect(await client.receive(SEED.receive)).toEqual({ task_id: 'TASK_20260227_001', status: 'pending' });
    const status = await client.status('TASK_20260227_001');
    expect(status.events[0]?.to_status).toBe('pending');
    expect((await client.list({ customer_id: 'customer_123' })).total).toBe(1);
    expect(await client.cancel('TASK_20260227_001', '客户取消订单')).toEqual({
      task_id: 'TASK_20260227_001',
      status: 'cancelled',
      reason: '客户取消订单',
    });
    const health = await client.health();
    expect(health).toMatchObject({ service: 'ai-cs-tianwang-bridge', mode: 'api-only' });
  });

  it('turns error envelopes into errors with exit codes and the field', async () => {
    // A body the server must refuse: not a valid ReceiveRequest on purpose.
    const bad = await client.receive(task('C_BAD', { priority: 'asap' }) as Parameters<typeof client.receive>[0]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad).toMatchObject({ status: 400, field: 'priority', exitCode: ExitCode.usage });
    const missing = await client.status('C_NONE').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, exitCode: ExitCode.notFound, message: '任务不存在' });
    const noToken = await new AicsClient({ baseUrl: d.url }).list().catch((e: unknown) => e);
    expect(noToken).toMatchObject({ status: 401 });
  });

  it('reports an unreachable daemon as such (exit code 3)', async () => {
    const error = await new AicsClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonUnreachableError);
    expect((error as DaemonUnreachableError).exitCode).toBe(ExitCode.daemonUnreachable);
  });
});
