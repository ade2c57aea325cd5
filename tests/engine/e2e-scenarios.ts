/**
 * Tasks fire end to end through real sockets: Tianwang's HTTP request → the store → a customer's message from the
 * 轻简 simulator → the send the simulator receives → the callback the sink receives. The same scenarios run on
 * each store: one runner per store (e2e.test.ts on SQLite, e2e-postgres.test.ts on PostgreSQL) gives the desks.
 */
import { describe, expect, it } from 'vitest';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics, json } from '../support/cli.js';
import { SEED } from '../support/daemon.js';
import { FAST_BRIDGE, type Desk, type startDesk } from '../support/desk.js';

const seedTask = (over: Record<string, unknown> = {}) => ({ ...SEED.receive, ...over });
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An ISO time `ms` from now with the +08:00 offset, as Tianwang might send it. */
const inMs = (ms: number) => new Date(Date.now() + ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');

/** Starts a desk on the runner's store; each is stopped after its test. */
export type DeskStarter = (...args: Parameters<typeof startDesk>) => Promise<Desk>;

export function endToEndScenarios(store: string, desk: DeskStarter): void {
  describe(`${store}: the seed's example, end to end`, () => {
    it('小明 says 好的谢谢 → he receives the file text → Tianwang hears completed → the history shows every step', async () => {
      const d = await desk();
      await d.receive(seedTask());
      await d.until('TASK_20260227_001', 'waiting');
      d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
      const [cmd] = await d.sim.nextCommands(1);
      expect(cmd).toMatchObject({
        cmd: 'send_text',
        req_id: 'TASK_20260227_001#1',
        data: { to_id: 'customer_123', content: '这是您要的文件', acc_id: '1688000001' },
      });
      const [callback] = await d.sink.waitFor(1);
      expect(callback!.body).toMatchObject({ task_id: 'TASK_20260227_001', status: 'completed', customer_id: 'customer_123', attempts: 1 });
      const status = json(await aics(['task', 'status', 'TASK_20260227_001', '--db', d.db, '--json'], { cwd: d.dir }));
      expect(status.events.map((e: { to_status: string }) => e.to_status)).toEqual(['pending', 'waiting', 'running', 'completed']);
      expect(status.task.result).toMatchObject({ req_id: 'TASK_20260227_001#1', to_id: 'customer_123' });
    });

    it('with exact_match, 好的谢谢 does not fire and 好的 does', async () => {
      const d = await desk();
      await d.receive(seedTask({ trigger: { ...SEED.receive.trigger, exact_match: true } }));
      await d.until('TASK_20260227_001', 'waiting');
      await d.sim.pushMessageAndWaitAck({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
      await quiet(300);
      expect(d.sim.commands).toHaveLength(0);
      expect((await d.store.tasks.get('TASK_20260227_001'))!.status).toBe('waiting');
      d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的。' });
      expect((await d.sim.nextCommands(1))[0]!.data).toMatchObject({ content: '这是您要的文件' });
      await d.until('TASK_20260227_001', 'completed');
    });

    it('another customer saying the keyword does not fire a specified_customer_reply task; its own customer does', async () => {
      const d = await desk();
      await d.receive(seedTask());
      await d.until('TASK_20260227_001', 'waiting');
      await d.sim.pushMessageAndWaitAck({ from_id: 'customer_999', from_name: '小红', content: '好的' });
      await quiet(200);
      expect(d.sim.commands).toHaveLength(0);
      d.sim.pushMessage({ from_id: 'customer_123', content: '好的' });
      await d.until('TASK_20260227_001', 'completed');
    });
  });

  describe(`${store}: each trigger type fires through real sockets`, () => {
    it('customer_reply: any customer saying the keyword', async () => {
      const d = await desk();
      await d.receive(
        seedTask({ task_id: 'R1', trigger: SEED.triggers.customer_reply, action: { type: 'send_message', message: '收到，马上安排' } }),
      );
      await d.until('R1', 'waiting');
      d.sim.pushMessage({ from_id: 'walk_in_7', from_name: '路人', content: '好的呀' });
      expect((await d.sim.nextCommands(1))[0]!.data).toMatchObject({ to_id: 'walk_in_7', content: '收到，马上安排' });
      await d.until('R1', 'completed');
    });

    it('customer_keyword: any of several keywords, sending a file', async () => {
      const d = await desk();
      await d.receive(
        seedTask({
          task_id: 'K1',
          trigger: SEED.triggers.customer_keyword,
          action: { type: 'send_file', file_url: 'https://cdn.example.com/design-v2.pdf', file_name: 'design-v2.pdf' },
        }),
      );
      await d.until('K1', 'waiting');
      d.sim.pushMessage({ from_id: 'c_42', content: '行，发我吧' });
      expect((await d.sim.nextCommands(1))[0]).toMatchObject({
        cmd: 'send_file',
        data: { to_id: 'c_42', kind: 'file', file_url: 'https://cdn.example.com/design-v2.pdf', file_name: 'design-v2.pdf' },
      });
      await d.until('K1', 'completed');
    });

    it('customer_payment: the default payment words, sending an image after a text', async () => {
      const d = await desk();
      await d.receive(
        seedTask({
          task_id: 'P1',
          trigger: { type: 'customer_payment' },
          action: { type: 'send_image', file_url: 'https://cdn.example.com/receipt.png', message: '感谢付款' },
        }),
      );
      await d.until('P1', 'waiting');
      d.sim.pushMessage({ from_id: 'c_pay', content: '已付款了哈' });
      const [text, image] = await d.sim.nextCommands(2);
      expect(text).toMatchObject({ cmd: 'send_text', data: { to_id: 'c_pay', content: '感谢付款' } });
      expect(image).toMatchObject({ cmd: 'send_file', data: { to_id: 'c_pay', kind: 'image' } });
      await d.until('P1', 'completed');
    });

    it('time_reach: fires at its time, to the task’s customer, through the account they last wrote to', async () => {
      const d = await desk();
      await d.sim.pushMessageAndWaitAck({ from_id: 'customer_123', content: '你好', acc_id: '1688000002' });
      await d.receive(
        seedTask({
          task_id: 'T1',
          trigger: { type: 'time_reach', time: inMs(700) },
          action: { type: 'send_message', message: '早上好，设计稿已完成' },
        }),
      );
      await d.until('T1', 'waiting');
      expect(d.sim.commands).toHaveLength(0);
      const [cmd] = await d.sim.nextCommands(1, 5000);
      expect(cmd!.data).toMatchObject({ to_id: 'customer_123', acc_id: '1688000002', content: '早上好，设计稿已完成' });
      await d.until('T1', 'completed');
      expect((await d.sink.waitFor(1))[0]!.body).toMatchObject({ task_id: 'T1', status: 'completed' });
    });

    it('cron: fires on each occurrence and waits for the next one', async () => {
      const d = await desk();
      // The API refuses a cron firing more than once a minute (issue #17); a row stored without that check (written by
      // an older version, say) still fires on each occurrence, which lets this test see two of them in two seconds.
      const payload = parseTaskPayload(
        seedTask({
          task_id: 'C1',
          trigger: { type: 'cron', expression: '0 * * * * *' },
          action: { type: 'send_message', message: '每秒提醒' },
        }),
      );
      if (payload.trigger.type === 'cron') payload.trigger.expression = '* * * * * *';
      await d.store.tasks.receive(payload, 'test');
      const cmds = await d.sim.nextCommands(2, 5000);
      expect(cmds.map((c) => c.req_id)).toEqual(['C1#r1.1', 'C1#r2.1']);
      const t = (await d.store.tasks.get('C1'))!;
      expect(t.run_no).toBeGreaterThanOrEqual(1);
      expect(['waiting', 'running']).toContain(t.status);
    });
  });

  describe(`${store}: tasks written by another process`, () => {
    it('a task added with the CLI while the daemon runs is armed within a second and fires', async () => {
      const d = await desk({ daemon: { pollMs: 1000 } });
      const add = await aics(
        [
          'task',
          'add',
          '--db',
          d.db,
          '--task-id',
          'CLI_1',
          '--customer',
          'c_cli',
          '--keyword',
          '收到',
          '--message',
          '好的，马上发您',
          '--json',
        ],
        { cwd: d.dir },
      );
      expect(add.code).toBe(0);
      const t0 = Date.now();
      await d.until('CLI_1', 'waiting', 3000);
      expect(Date.now() - t0).toBeLessThan(1500);
      d.sim.pushMessage({ from_id: 'c_cli', content: '收到了' });
      await d.until('CLI_1', 'completed');
      const status = json(await aics(['task', 'status', 'CLI_1', '--db', d.db, '--json'], { cwd: d.dir }));
      expect(status.attempts).toMatchObject([{ attempt: 1, req_id: 'CLI_1#1', outcome: 'completed' }]);
    });
  });

  describe(`${store}: a task never fires twice`, () => {
    it('the same message delivered twice (a re-delivered event) fires once', async () => {
      const d = await desk();
      await d.receive(seedTask({ task_id: 'D1', trigger: SEED.triggers.customer_reply }));
      await d.until('D1', 'waiting');
      await d.sim.pushMessageAndWaitAck({ from_id: 'c1', content: '好的', msg_id: 'm-same' });
      await d.sim.pushMessageAndWaitAck({ from_id: 'c1', content: '好的', msg_id: 'm-same' });
      await d.until('D1', 'completed');
      await quiet(200);
      expect(d.sim.commands.filter((c) => c.req_id.startsWith('D1#'))).toHaveLength(1);
    });

    it('a burst of messages from several customers at once: each acked, each task fired once, by its customer’s first message', async () => {
      const d = await desk();
      const customers = ['c0', 'c1', 'c2', 'c3', 'c4'];
      for (const c of customers) {
        await d.receive(
          seedTask({
            task_id: `BURST_${c}`,
            customer: { id: c },
            trigger: { type: 'specified_customer_reply', customer_id: c, keyword: '好的' },
          }),
        );
      }
      for (const c of customers) await d.until(`BURST_${c}`, 'waiting');
      // Three messages from each customer, written in one go: they reach the daemon together (one commit where it groups).
      for (let round = 0; round < 3; round++) {
        for (const c of customers) d.sim.pushMessage({ from_id: c, content: '好的', msg_id: `burst-${c}-${round}` });
      }
      await d.sim.waitForAllAcked(10_000);
      for (const c of customers) await d.until(`BURST_${c}`, 'completed');
      await quiet(200);
      for (const c of customers) {
        expect(d.sim.commands.filter((cmd) => cmd.req_id.startsWith(`BURST_${c}#`))).toHaveLength(1);
        expect(await d.store.tasks.firedBy('1688000001', `burst-${c}-0`)).toEqual([`BURST_${c}`]);
      }
      expect((await d.daemon.health()).qingjian.received).toBe(15);
      expect(d.sim.counters()).toMatchObject({ messages_pushed: 15, messages_acked: 15, redeliveries: 0 });
    });

    it('two daemons on one database, both hearing the customer: one send', async () => {
      const a = await desk();
      const b = await desk({ dir: a.dir, sim2: a.sim });
      await a.sim.waitForConnections(2);
      await a.receive(seedTask({ task_id: 'TWO', trigger: SEED.triggers.customer_reply }));
      await a.until('TWO', 'waiting');
      for (let i = 0; i < 5; i++) a.sim.pushMessage({ from_id: `c${i}`, content: '好的' });
      await a.until('TWO', 'completed');
      await quiet(300);
      expect(a.sim.commands.filter((c) => c.req_id === 'TWO#1' && !c.duplicate)).toHaveLength(1);
      // Both daemons really heard the customers (the simulator delivers each event to every connection).
      expect((await a.daemon.health()).qingjian.received).toBe(5);
      expect((await b.daemon.health()).qingjian.received).toBe(5);
    });

    it('a connection dropped in the middle of a send: repeated with the same req_id, delivered once', async () => {
      const d = await desk({ sim: { dropEvery: 1 } });
      await d.receive(seedTask({ task_id: 'DROP', trigger: SEED.triggers.customer_reply }));
      await d.until('DROP', 'waiting');
      d.sim.configure({ dropEvery: 1 });
      d.sim.pushMessage({ from_id: 'c1', content: '好的' });
      await d.sim.nextCommands(1);
      d.sim.configure({ dropEvery: 0 });
      await d.until('DROP', 'completed', 8000);
      const sends = d.sim.commands.filter((c) => c.cmd === 'send_text');
      expect(sends.length).toBeGreaterThanOrEqual(2);
      expect(new Set(sends.map((c) => c.req_id))).toEqual(new Set(['DROP#1']));
      expect(sends.filter((c) => !c.duplicate)).toHaveLength(1);
      expect(d.sim.counters().sends_delivered).toBe(1);
      const attempts = await d.store.tasks.attempts('DROP');
      expect(attempts.map((a) => a.req_id)).toEqual(attempts.map(() => 'DROP#1'));
    });
  });

  describe(`${store}: failures`, () => {
    it('a retryable refusal is retried with backoff up to max_retry, then failed with the error, and Tianwang is told', async () => {
      const d = await desk({ sim: { failEvery: 1, failCode: 5001, failMessage: 'account busy' } });
      await d.receive(seedTask({ task_id: 'F1', trigger: SEED.triggers.customer_reply, max_retry: 2 }));
      await d.until('F1', 'waiting');
      d.sim.pushMessage({ from_id: 'c1', content: '好的' });
      await d.until('F1', 'failed', 8000);
      expect(d.sim.commands.map((c) => c.req_id)).toEqual(['F1#1', 'F1#2', 'F1#3']);
      const t = (await d.store.tasks.get('F1'))!;
      expect(t).toMatchObject({ retry_count: 2, error_message: expect.stringMatching(/account busy/) });
      expect((await d.sink.waitFor(1))[0]!.body).toMatchObject({
        task_id: 'F1',
        status: 'failed',
        error_message: expect.stringMatching(/account busy/),
      });
    });

    it('an ack {ok:false, code:500} (or a 4xxx code not known to be permanent) is retried, and the task completes once the bridge recovers', async () => {
      for (const code of [500, 4029]) {
        const d = await desk({ sim: { failEvery: 1, failCode: code, failMessage: 'internal error' } });
        const id = `F500_${code}`;
        await d.receive(seedTask({ task_id: id, trigger: SEED.triggers.customer_reply, max_retry: 3 }));
        await d.until(id, 'waiting');
        d.sim.pushMessage({ from_id: 'c1', content: '好的' });
        await d.sim.nextCommands(2);
        d.sim.configure({ failEvery: 0 });
        await d.until(id, 'completed', 8000);
        const reqIds = d.sim.commands.map((c) => c.req_id);
        expect(reqIds.slice(0, 2)).toEqual([`${id}#1`, `${id}#2`]);
        expect(d.sim.counters().sends_delivered).toBe(1);
        expect((await d.sink.waitFor(1))[0]!.body).toMatchObject({ task_id: id, status: 'completed' });
      }
    });

    it('a bridge that never acks: the send goes out under one req_id, at most 10 times, then the task fails saying it may have arrived', async () => {
      const d = await desk({ sim: { dropAcks: true }, daemon: { bridgeOptions: { ...FAST_BRIDGE, textAckTimeoutMs: 200 } } });
      await d.receive(seedTask({ task_id: 'NOACK', trigger: SEED.triggers.customer_reply, max_retry: 3 }));
      await d.until('NOACK', 'waiting');
      d.sim.pushMessage({ from_id: 'c1', content: '好的' });
      await d.until('NOACK', 'failed', 10_000);
      expect(d.sim.commands.map((c) => c.req_id)).toEqual(Array(10).fill('NOACK#1'));
      const t = (await d.store.tasks.get('NOACK'))!;
      expect(t.error_message).toMatch(/NOACK#1 went out 10 times without an ack/);
      expect((await d.sink.waitFor(1))[0]!.body).toMatchObject({ task_id: 'NOACK', status: 'failed' });
      // Nothing more goes out later.
      await quiet(600);
      expect(d.sim.commands).toHaveLength(10);
    });

    it('a refusal that cannot succeed fails at once', async () => {
      const d = await desk({ sim: { failEvery: 1, failCode: 4004, failMessage: 'no such contact' } });
      await d.receive(seedTask({ task_id: 'F2', trigger: SEED.triggers.customer_reply }));
      await d.until('F2', 'waiting');
      d.sim.pushMessage({ from_id: 'c1', content: '好的' });
      await d.until('F2', 'failed');
      expect(d.sim.commands).toHaveLength(1);
    });
  });
}
