/**
 * Issue #17 point 12: a customer_reply task whose payload names customer A. By the seed's contract it fires on any
 * customer's message — kept — but the receive answer, the log and `task status` warn about it; with
 * AICS_SCOPE_ANY_CUSTOMER=1 it fires only on A's messages. A real desk (daemon + 轻简 simulator) and the real binary.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { aics, json } from '../support/cli.js';
import { call, task } from '../support/daemon.js';
import { startDesk } from '../support/desk.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const named = (id: string) =>
  task(id, {
    customer: { id: 'cust_A', name: '甲' },
    trigger: { type: 'customer_reply', keyword: '资料' },
    action: { type: 'send_message', message: '甲的报价单' },
  });

describe('an any-customer trigger in a task that names a customer', () => {
  it('by default: fires on another customer (the seed), and says so at receive, in the log and in task status', async () => {
    const d = await startDesk();
    cleanups.push(() => d.stop());
    const res = await call(d.url, 'POST', '/api/task/receive', named('ANY_1'));
    expect(res.status).toBe(200);
    expect(res.body.data.warnings).toHaveLength(1);
    expect(res.body.data.warnings[0]).toMatch(
      /^trigger customer_reply fires on any customer's message, although the task names customer cust_A/,
    );
    expect(readFileSync(d.daemon.settings.logFile, 'utf8')).toMatch(
      /"level":"WARN".*ANY_1: trigger customer_reply fires on any customer's message/,
    );
    expect((await call(d.url, 'GET', '/api/task/status/ANY_1')).body.data.warnings).toHaveLength(1);
    // A specific trigger has nothing to warn about.
    expect((await call(d.url, 'POST', '/api/task/receive', task('SPEC_1'))).body.data.warnings).toBeUndefined();

    await d.until('ANY_1', 'waiting');
    d.sim.pushMessage({ from_id: 'cust_B', from_name: '乙', content: '资料发我' });
    const [cmd] = await d.sim.nextCommands(1, 8000);
    expect(cmd!.data).toMatchObject({ to_id: 'cust_B' });

    const status = await aics(['task', 'status', 'ANY_1', '--db', d.db], { cwd: d.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^warning: trigger customer_reply fires on any customer's message/m);
    const scoped = await aics(['task', 'status', 'ANY_1', '--db', d.db, '--json'], { cwd: d.dir, env: { AICS_SCOPE_ANY_CUSTOMER: '1' } });
    expect(json(scoped).warnings).toBeUndefined();
  }, 60_000);

  it('with AICS_SCOPE_ANY_CUSTOMER=1: fires only on the named customer, and does not warn', async () => {
    const d = await startDesk({ settings: { scopeAnyCustomer: true } });
    cleanups.push(() => d.stop());
    const res = await call(d.url, 'POST', '/api/task/receive', named('ANY_2'));
    expect(res.body.data.warnings).toBeUndefined();
    await d.until('ANY_2', 'waiting');
    await d.sim.pushMessageAndWaitAck({ from_id: 'cust_B', from_name: '乙', content: '资料发我' });
    expect((await d.store.tasks.get('ANY_2'))!.status).toBe('waiting');
    d.sim.pushMessage({ from_id: 'cust_A', from_name: '甲', content: '资料发我' });
    const [cmd] = await d.sim.nextCommands(1, 8000);
    expect(cmd!.data).toMatchObject({ to_id: 'cust_A', content: '甲的报价单' });
    expect(d.sim.commands).toHaveLength(1);
  }, 60_000);
});
