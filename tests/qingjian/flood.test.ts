/**
 * A misbehaving bridge floods the daemon with malformed frames, acks for nothing and accounts: the log gets a few
 * lines a window with a count, the accounts kept stay bounded, and /api/health pages them.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { call } from '../support/daemon.js';
import { FAST_BRIDGE, startDesk, type Desk } from '../support/desk.js';

let desk: Desk | null = null;
afterEach(async () => {
  await desk?.stop();
  desk = null;
});

const lines = (file: string, pattern: RegExp) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => pattern.test(l));

it('a flood of malformed frames, unknown acks and logins: a few log lines with counts, bounded accounts, paged health', async () => {
  desk = await startDesk({ daemon: { bridgeOptions: { ...FAST_BRIDGE, maxAccounts: 100, logWindowMs: 300 } } });
  const d = desk;
  const log = d.daemon.settings.logFile;
  const N = 2000;
  for (let i = 0; i < N; i++) {
    d.sim.sendRaw(`not json ${i}`);
    d.sim.sendRaw({ type: 'ack', req_id: `NOBODY_${i}#1`, ok: true, code: 0, msg: 'ok', data: {} });
    d.sim.pushEvent('login', { acc_id: `acc${String(i).padStart(5, '0')}` });
  }
  await expect.poll(async () => (await d.daemon.health()).qingjian.malformed, { timeout: 30_000 }).toBe(N);
  await d.sim.waitForAllAcked(30_000);

  // Each kind: the first line of a window, then one line with the count when the window closes.
  await expect.poll(() => lines(log, /轻简 frame skipped.*more like it/).length, { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(() => lines(log, /ack for no pending send.*more like it/).length, { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(() => lines(log, /logged in.*more like it/).length, { timeout: 10_000 }).toBeGreaterThan(0);
  // A first line stands for one frame; a count line for the `repeated` frames it left out.
  const total = (pattern: RegExp) =>
    lines(log, pattern).reduce((sum, l) => sum + ((JSON.parse(l) as { repeated?: number }).repeated ?? 1), 0);
  expect(lines(log, /轻简 frame skipped/).length).toBeLessThan(100);
  expect(lines(log, /ack for no pending send/).length).toBeLessThan(100);
  expect(lines(log, /logged in/).length).toBeLessThan(100);
  // Nothing is lost from the count: lines written + the repeats they report = frames received.
  await expect.poll(() => total(/轻简 frame skipped/), { timeout: 5_000 }).toBe(N);

  // At most 100 accounts are kept; health shows 50 a page, and says how many there are.
  const health = (await d.daemon.health()).qingjian as Record<string, unknown>;
  expect(health).toMatchObject({ accounts_total: 100, accounts_page: 1, accounts_page_size: 50 });
  expect(health.accounts_forgotten).toBeGreaterThanOrEqual(N - 100);
  expect(Object.keys(health.accounts as object)).toHaveLength(50);
  const page2 = await call(d.url, 'GET', '/api/health?accounts_page=2&accounts_page_size=60');
  expect(page2.status).toBe(200);
  const q2 = (page2.body as { data: { qingjian: { accounts: object; accounts_total: number } } }).data.qingjian;
  expect(Object.keys(q2.accounts)).toHaveLength(40);
  expect(Object.keys(q2.accounts)[39]).toBe('acc01999'); // the newest are kept
  const bad = await call(d.url, 'GET', '/api/health?accounts_page_size=501');
  expect(bad.status).toBe(400);
  expect(bad.text).toMatch(/accounts_page_size/);
  expect((await d.daemon.health()).qingjian.connected).toBe(true);
}, 90_000);
