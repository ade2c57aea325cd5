import { describe, expect, it } from 'vitest';
import {
  checkCommand,
  checkReqId,
  encodeCommand,
  encodeEventAck,
  fileCommand,
  isRetryableAck,
  parseInboundFrame,
  textCommand,
  type BridgeMessage,
  type SendAck,
} from '../../src/daemon/qingjian/protocol.js';

/** DESIGN.md's inbound example, verbatim. */
const DESIGN_MESSAGE = `{"type":"event","event":"message","event_id":"e-1","ts":1760000000000,
 "data":{"msg_id":"m-1","acc_id":"1688000001","from_id":"7881000001","from_name":"小明",
         "chat_type":"single","msg_type":"text","content":"好的谢谢","is_self":false,"send_time":1760000000000,
         "file":{"name":"ref.png","url":"…","path":"…","size":1234}}}`;

function message(raw: string | object): BridgeMessage {
  const r = parseInboundFrame(typeof raw === 'string' ? raw : JSON.stringify(raw));
  if (!r.ok) throw new Error(`malformed: ${r.reason}`);
  if (r.frame.type !== 'message') throw new Error(`not a message: ${r.frame.type}`);
  return r.frame.message;
}

function event(data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'event', event: 'message', event_id: 'e-9', ts: 5, data, ...extra };
}

describe('parseInboundFrame', () => {
  it("reads DESIGN.md's message event field by field", () => {
    expect(message(DESIGN_MESSAGE)).toEqual({
      msg_id: 'm-1',
      event_id: 'e-1',
      ts: 1760000000000,
      acc_id: '1688000001',
      from_id: '7881000001',
      from_name: '小明',
      chat_type: 'single',
      msg_type: 'text',
      content: '好的谢谢',
      is_self: false,
      send_time: 1760000000000,
      file: { name: 'ref.png', url: '…', path: '…', size: 1234 },
      extra: {},
    });
  });

  it('maps the aliases of other bridges, keeps unknown fields and lets the canonical name win', () => {
    const m = message(
      event({
        msgId: 'm-2',
        acc_id: 1688000001,
        sender: 42,
        sender_name: '老王',
        conversation_id: 'c-1',
        content: 'hi',
        vendor_x: { a: 1 },
      }),
    );
    expect(m).toMatchObject({ msg_id: 'm-2', acc_id: '1688000001', from_id: '42', from_name: '老王', chat_id: 'c-1' });
    expect(m.extra).toEqual({ vendor_x: { a: 1 } });
    expect(message(event({ msg_id: 'm', acc_id: 'a', user_id: 'u-1', content: '' })).from_id).toBe('u-1');
    expect(message(event({ msg_id: 'm', acc_id: 'a', fromUser: 'u-2', content: '' })).from_id).toBe('u-2');
    expect(message(event({ msg_id: 'm', msgId: 'other', acc_id: 'a', from_id: 'real', sender: 'alias', content: '' }))).toMatchObject({
      msg_id: 'm',
      from_id: 'real',
      extra: {},
    });
  });

  it('fills the defaults a sparse bridge leaves out', () => {
    const r = parseInboundFrame(JSON.stringify({ event: 'message', data: { msg_id: 'm', acc_id: 'a', from_id: 'f' } }), { nowMs: 77 });
    expect(r).toMatchObject({
      ok: true,
      frame: { type: 'message', message: { event_id: null, ts: 77, content: '', chat_type: 'single', msg_type: 'text', is_self: false } },
    });
  });

  it.each([
    ['not JSON', '{"type":', 'not JSON'],
    ['an array', '[1,2]', 'not a JSON object'],
    ['a number type', '{"type":5}', 'type is not a string'],
    ['no msg_id', JSON.stringify(event({ acc_id: 'a', from_id: 'f', content: 'x' })), 'missing msg_id'],
    [
      'an object as from_id',
      JSON.stringify(event({ msg_id: 'm', acc_id: 'a', from_id: { id: 1 }, content: 'x' })),
      'from_id is not a string',
    ],
    ['a list as content', JSON.stringify(event({ msg_id: 'm', acc_id: 'a', from_id: 'f', content: ['x'] })), 'content is not a string'],
    [
      'a word as is_self',
      JSON.stringify(event({ msg_id: 'm', acc_id: 'a', from_id: 'f', content: 'x', is_self: 'yes' })),
      'is_self is not a boolean',
    ],
    [
      'a string as file',
      JSON.stringify(event({ msg_id: 'm', acc_id: 'a', from_id: 'f', content: 'x', file: 'a.pdf' })),
      'file is not an object',
    ],
    ['a string as data', JSON.stringify({ type: 'event', event: 'message', event_id: 'e-9', data: 'x' }), 'data is not an object'],
  ])('refuses %s with a reason', (_name, raw, reason) => {
    const r = parseInboundFrame(raw);
    expect(r).toMatchObject({ ok: false, reason });
  });

  it('returns the event_id of a malformed event, so the client can ack the poison event', () => {
    expect(parseInboundFrame(JSON.stringify(event({ acc_id: 'a' })))).toEqual({ ok: false, reason: 'missing msg_id', event_id: 'e-9' });
    expect(parseInboundFrame('nonsense')).toMatchObject({ event_id: null });
  });

  it('refuses frames over the size limit before parsing them', () => {
    const raw = JSON.stringify(event({ msg_id: 'm', acc_id: 'a', from_id: 'f', content: '好'.repeat(400) }));
    expect(parseInboundFrame(raw, { maxBytes: 1000 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^frame too large \(\d+ bytes > 1000\)$/),
    });
    expect(parseInboundFrame(raw, { maxBytes: 2000 }).ok).toBe(true);
  });

  it('reads account events, acks of sends, pongs and unknown frames', () => {
    expect(parseInboundFrame('{"type":"event","event":"login","event_id":"e-2","ts":1,"data":{"acc_id":"1688000001"}}')).toMatchObject({
      ok: true,
      frame: { type: 'account', account: { event: 'login', acc_id: '1688000001', event_id: 'e-2' } },
    });
    expect(parseInboundFrame('{"type":"event","event":"ready","data":{"accounts":["a",{"acc_id":"b"}]}}')).toMatchObject({
      frame: { type: 'account', account: { event: 'ready', acc_ids: ['a', 'b'] } },
    });
    expect(parseInboundFrame('{"type":"event","event":"error","data":{"code":5001,"msg":"WeCom crashed"}}')).toMatchObject({
      frame: { account: { event: 'error', code: 5001, message: 'WeCom crashed' } },
    });
    expect(parseInboundFrame('{"type":"ack","req_id":"TASK_1#1","ok":true,"code":0,"msg":"ok","data":{"msg_id":"w-1"}}')).toEqual({
      ok: true,
      frame: {
        type: 'ack',
        ack: { req_id: 'TASK_1#1', ok: true, code: 0, msg: 'ok', msg_id: 'w-1', retryable: null, data: { msg_id: 'w-1' } },
      },
    });
    expect(parseInboundFrame('{"type":"ack","req_id":"R","code":5002}')).toMatchObject({ frame: { ack: { ok: false, code: 5002 } } });
    expect(parseInboundFrame('{"type":"ack","req_id":"R"}')).toMatchObject({ ok: false, reason: 'ack has neither ok nor code' });
    expect(parseInboundFrame('{"type":"pong","ts":9}')).toEqual({ ok: true, frame: { type: 'pong', ts: 9 } });
    expect(parseInboundFrame('{"type":"status","x":1}')).toMatchObject({ ok: true, frame: { type: 'unknown', frame_type: 'status' } });
    expect(parseInboundFrame('{"type":"event","event":"friend_request","event_id":"e-3"}')).toMatchObject({
      frame: { type: 'event', event: 'friend_request', event_id: 'e-3' },
    });
  });
});

describe('isRetryableAck', () => {
  const ack = (code: number, retryable: boolean | null = null): Pick<SendAck, 'code' | 'retryable'> => ({ code, retryable });
  it('only the known permanent 4xxx codes are final, unless the ack says otherwise', () => {
    expect([4000, 4001, 4002, 4003, 4004].map((c) => isRetryableAck(ack(c)))).toEqual([false, false, false, false, false]);
    // Only the known permanent codes are final: 500, unknown 4xxx and odd codes may pass.
    expect([500, 4005, 4029, 5000, 5003, 5999, 6000, -1].map((c) => isRetryableAck(ack(c)))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(isRetryableAck(ack(4002, true))).toBe(true);
    expect(isRetryableAck(ack(5001, false))).toBe(false);
  });
});

describe('outbound frames', () => {
  it("are exactly DESIGN.md's commands", () => {
    expect(
      encodeCommand({ cmd: 'send_text', data: { acc_id: '1688000001', to_id: '7881000001', content: '这是您要的文件' } }, 'TASK_1#1'),
    ).toBe(
      '{"type":"cmd","cmd":"send_text","req_id":"TASK_1#1","data":{"acc_id":"1688000001","to_id":"7881000001","content":"这是您要的文件"}}',
    );
    expect(
      encodeCommand(
        { cmd: 'send_file', data: { acc_id: 'a', to_id: 't', kind: 'file', file_url: 'https://x/a.pdf', file_name: 'a.pdf' } },
        'TASK_2#1',
      ),
    ).toBe(
      '{"type":"cmd","cmd":"send_file","req_id":"TASK_2#1","data":{"acc_id":"a","to_id":"t","kind":"file","file_url":"https://x/a.pdf","file_name":"a.pdf"}}',
    );
    expect(encodeEventAck('e-1')).toBe('{"type":"ack","event_id":"e-1"}');
  });

  it('are checked before they are sent', () => {
    expect(checkCommand({ cmd: 'send_text', data: { acc_id: 'a', to_id: 't', content: '  ' } })).toBe('content must be a non-empty string');
    expect(checkCommand({ cmd: 'send_file', data: { acc_id: 'a', to_id: 't', kind: 'image' } })).toBe(
      'exactly one of file_url and file_path is needed',
    );
    expect(checkCommand({ cmd: 'send_file', data: { acc_id: 'a', to_id: 't', kind: 'image', file_url: 'u', file_path: 'p' } })).toBe(
      'exactly one of file_url and file_path is needed',
    );
    expect(checkCommand({ cmd: 'send_file', data: { acc_id: 'a', to_id: 't', kind: 'video' as 'file', file_path: 'p' } })).toBe(
      'kind must be "file" or "image"',
    );
    expect(checkCommand({ cmd: 'send_file', data: { acc_id: 'a', to_id: 't', kind: 'image', file_path: '/srv/a.png' } })).toBeNull();
    expect(checkReqId('')).toBe('req_id must be a non-empty string');
    expect(checkReqId('x'.repeat(300))).toMatch(/longer than/);
  });

  it("carry the daemon's send commands (ports.ts) as DESIGN.md's frames, and nothing else of them", () => {
    const text = { acc_id: '1688000001', to_id: '7881000001', content: '这是您要的文件', note: 'not for the bridge' };
    expect(encodeCommand(textCommand(text), 'TASK_1#1')).toBe(
      '{"type":"cmd","cmd":"send_text","req_id":"TASK_1#1","data":{"acc_id":"1688000001","to_id":"7881000001","content":"这是您要的文件"}}',
    );
    const file = fileCommand({ acc_id: 'a', to_id: 't', kind: 'image', file_path: '/srv/a.png' });
    expect(checkCommand(file)).toBeNull();
    expect(encodeCommand(file, 'TASK_2#1')).toBe(
      '{"type":"cmd","cmd":"send_file","req_id":"TASK_2#1","data":{"acc_id":"a","to_id":"t","kind":"image","file_path":"/srv/a.png"}}',
    );
    // A caller outside the type system still gets a reason, not a crash.
    expect(checkCommand(textCommand(null as never))).toBe('data must be an object');
  });
});
