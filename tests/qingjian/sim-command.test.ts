/**
 * `aics sim qingjian` through the real entry point (bin/run.js on the built dist/), with a small WebSocket client
 * in the test playing the daemon.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { WebSocket } from 'ws';
import { PROCESS_LIMIT_MS } from '../support/limits.js';
import { until } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'aics-sim-'));

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

// The tests run concurrently (each spawns a process that mostly waits); whatever a failed test left running is
// killed at the end.
const running: Run[] = [];
afterAll(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function aics(args: string[]): Run {
  const child = spawn(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const run = { child, stdout: () => out, stderr: () => err, exit };
  running.push(run);
  return run;
}

async function listeningUrl(run: Run): Promise<string> {
  await until(() => /listening on ws:\/\/\S+/.test(run.stderr()) || run.child.exitCode !== null, 'the listening line', PROCESS_LIMIT_MS);
  const m = /qingjian simulator listening on (ws:\/\/\S+)/.exec(run.stderr());
  if (!m) throw new Error(`no listening line; stderr: ${run.stderr()}`);
  return m[1]!;
}

type Frame = Record<string, any>;

/** Plays the daemon: acks every event, records every frame, sends what the test asks. */
async function fakeDaemon(url: string, onMessage: (ws: WebSocket, frame: Frame) => void = () => {}) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    if (frame.type === 'event') {
      ws.send(JSON.stringify({ type: 'ack', event_id: frame.event_id }));
      if (frame.event === 'message') onMessage(ws, frame);
    }
  });
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  return { ws, frames, messages: () => frames.filter((f) => f.event === 'message') };
}

const cmd = (reqId: string, data: Frame, name = 'send_text') => JSON.stringify({ type: 'cmd', cmd: name, req_id: reqId, data });

describe.concurrent('aics sim qingjian --script', () => {
  it('replays the script to the daemon, records its sends and prints the summary as JSON', async ({ expect }) => {
    const script = join(dir, 'dialogue.jsonl');
    writeFileSync(
      script,
      [
        '# a customer says thanks, then a human on our account answers',
        '{"from_id":"customer_123","from_name":"小明","content":"好的谢谢","delay_ms":50}',
        '',
        '{"from_id":"customer_123","content":"我来处理","is_self":true,"delay_ms":20}',
        '{"from_id":"7881000002","from_name":"小红","content":"在吗","acc_id":"1688000009","at_ms":150}',
      ].join('\n'),
    );
    const run = aics(['sim', 'qingjian', '--port', '0', '--script', script, '--linger', '400', '--json']);
    const daemon = await fakeDaemon(await listeningUrl(run), (ws, frame) => {
      if (frame.data.content === '好的谢谢') {
        ws.send(cmd('TASK_1#1', { acc_id: frame.data.acc_id, to_id: frame.data.from_id, content: '这是您要的文件' }));
        ws.send(cmd('TASK_1#1', { acc_id: frame.data.acc_id, to_id: frame.data.from_id, content: '这是您要的文件' })); // an in-doubt retry
        ws.send(
          cmd(
            'TASK_2#1',
            { acc_id: frame.data.acc_id, to_id: frame.data.from_id, kind: 'file', file_url: 'https://x.test/a.pdf' },
            'send_file',
          ),
        );
      }
    });
    expect(await run.exit).toBe(0);
    const summary = JSON.parse(run.stdout());
    expect(summary).toMatchObject({
      messages_pushed: 3,
      messages_acked: 3,
      sends_received: 3,
      sends_delivered: 2,
      duplicates: 1,
      failures_injected: 0,
      connections: 1,
    });
    expect(summary.commands.map((c: Frame) => [c.req_id, c.duplicate, c.ok])).toEqual([
      ['TASK_1#1', false, true],
      ['TASK_1#1', true, true],
      ['TASK_2#1', false, true],
    ]);
    // The frames are DESIGN.md's, with the simulator's account unless the line names one.
    const [first, self, other] = daemon.messages();
    expect(Object.keys(first!).sort()).toEqual(['data', 'event', 'event_id', 'ts', 'type']);
    expect(first!.data).toMatchObject({
      acc_id: '1688000001',
      from_id: 'customer_123',
      from_name: '小明',
      content: '好的谢谢',
      is_self: false,
      chat_type: 'single',
      msg_type: 'text',
    });
    expect(self!.data).toMatchObject({ from_id: 'customer_123', is_self: true });
    expect(other!.data).toMatchObject({ acc_id: '1688000009', from_name: '小红' });
    expect(new Set(daemon.messages().map((m) => m.event_id)).size).toBe(3);
    expect(new Set(daemon.messages().map((m) => m.data.msg_id)).size).toBe(3);
    // Acks: the repeat got the first result; the file got its own msg_id.
    const acks = daemon.frames.filter((f) => f.type === 'ack');
    expect(acks).toHaveLength(3);
    expect(acks[0]).toEqual({ type: 'ack', req_id: 'TASK_1#1', ok: true, code: 0, msg: 'ok', data: { msg_id: expect.any(String) } });
    expect(acks[1]!.data.msg_id).toBe(acks[0]!.data.msg_id);
    expect(acks[2]!.data.msg_id).not.toBe(acks[0]!.data.msg_id);
    expect(run.stderr()).toMatch(/→ send_text to customer_123: 这是您要的文件/);
    daemon.ws.close();
  }, 120_000);

  it('injects failures on request and says so in the summary', async ({ expect }) => {
    const script = join(dir, 'one.jsonl');
    writeFileSync(script, '{"from_id":"c1","content":"好的"}\n');
    const run = aics(['sim', 'qingjian', '--port', '0', '--script', script, '--linger', '300', '--fail-every', '2', '--fail-code', '4002']);
    const daemon = await fakeDaemon(await listeningUrl(run), (ws) => {
      for (const n of [1, 2, 3]) ws.send(cmd(`T#${n}`, { acc_id: '1688000001', to_id: 'c1', content: `第${n}条` }));
    });
    expect(await run.exit).toBe(0);
    const acks = daemon.frames.filter((f) => f.type === 'ack');
    expect(acks.map((a) => [a.req_id, a.ok, a.code])).toEqual([
      ['T#1', true, 0],
      ['T#2', false, 4002],
      ['T#3', true, 0],
    ]);
    expect(run.stdout()).toMatch(/→ send_text to c1: 第2条 {2}\[T#2\] \(injected failure 4002/);
    expect(run.stdout()).toMatch(/sends received {4}3 \(delivered 2, duplicates 0, failures injected 1/);
  }, 120_000);

  it('names the file and line of a bad script line, and exits 2 before listening', async ({ expect }) => {
    const script = join(dir, 'bad.jsonl');
    writeFileSync(script, '{"from_id":"c1","content":"ok"}\n{"from_id":"c1"}\n');
    const run = aics(['sim', 'qingjian', '--port', '0', '--script', script]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(/bad\.jsonl:2: content must be a string/);
    expect(run.stderr()).not.toMatch(/listening/);
  });

  it('gives up with exit 3 when no daemon connects within --connect-timeout', async ({ expect }) => {
    const script = join(dir, 'lonely.jsonl');
    writeFileSync(script, '{"from_id":"c1","content":"好的"}\n');
    const run = aics(['sim', 'qingjian', '--port', '0', '--script', script, '--connect-timeout', '200', '--json']);
    expect(await run.exit).toBe(3);
    expect(JSON.parse(run.stdout())).toMatchObject({ error: { exit_code: 3, message: expect.stringMatching(/no daemon connected/) } });
  });
});

describe.concurrent('aics sim qingjian (interactive)', () => {
  it('sends typed lines as the chosen customer, /self as our account, prints what the daemon sends, /quit ends', async ({ expect }) => {
    const run = aics(['sim', 'qingjian', '--port', '0']);
    const daemon = await fakeDaemon(await listeningUrl(run), (ws, frame) => {
      if (!frame.data.is_self)
        ws.send(cmd('R1', { acc_id: frame.data.acc_id, to_id: frame.data.from_id, content: '您好，请问有什么可以帮您' }));
    });
    run.child.stdin.write('/as customer_9 小红\n');
    run.child.stdin.write('你好呀\n');
    await until(() => run.stdout().includes('→ send_text to customer_9: 您好，请问有什么可以帮您'), 'the printed send');
    run.child.stdin.write('/self 我是人工客服\n');
    await until(() => daemon.messages().length === 2, 'the is_self message');
    run.child.stdin.write('/quit\n');
    expect(await run.exit).toBe(0);
    const [typed, self] = daemon.messages();
    expect(typed!.data).toMatchObject({
      from_id: 'customer_9',
      from_name: '小红',
      content: '你好呀',
      is_self: false,
      acc_id: '1688000001',
    });
    expect(self!.data).toMatchObject({ from_id: 'customer_9', content: '我是人工客服', is_self: true });
    expect(run.stdout()).toMatch(/now speaking as 小红 \(customer_9\)/);
    expect(run.stdout()).toMatch(/messages pushed {3}2 \(acked 2/);
    expect(run.stderr()).toMatch(/daemon connected/);
  }, 120_000);
});
