/** The options, inputs and records of the 轻简 simulator (qingjian-sim.ts). */
export const DEFAULT_SIM_PORT = 9528;
export const DEFAULT_SIM_ACC_ID = '1688000001';

export interface SimFaults {
  /** Deliver an un-acked event again after this long; 0 = never. Default 5 000. */
  redeliverMs: number;
  /** Delay before each ack of a command. Default 0. */
  ackDelayMs: number;
  /** Never ack commands (they are still recorded and delivered). */
  dropAcks: boolean;
  /** Fraction (0–1) of new sends answered ok:false. */
  failRate: number;
  /** Every Nth new send is answered ok:false; 0 = never. */
  failEvery: number;
  /** The code of injected failures; only 4000–4004 are final, any other code is retried (protocol.ts ACK_CODES). Default 5000. */
  failCode: number;
  failMessage: string;
  /** On every Nth new send, drop the connection after recording it and before its ack; 0 = never. */
  dropEvery: number;
  /** Answer pings with pongs. Default true. */
  answerPings: boolean;
}

export interface QingjianSimOptions extends Partial<SimFaults> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9528; 0 picks a free port (see `port` / `url`). */
  port?: number;
  /** Our WeCom account that customers talk to. Default 1688000001. */
  accId?: string;
  /** Send `login` and `ready` on each connection. Default true. */
  announce?: boolean;
  /** Random source of failRate, for reproducible runs. */
  random?: () => number;
}

/** A customer's message to push; `acc_id` defaults to the simulator's account. */
export interface SimMessageInput {
  from_id: string;
  from_name?: string;
  content: string;
  acc_id?: string;
  /** Typed on our own account (a human operator); `from_id` stays the customer of the conversation. */
  is_self?: boolean;
  msg_type?: string;
  chat_type?: string;
  file?: { name?: string; url?: string; path?: string; size?: number };
  /** Normally generated; give one to push the same message twice under different events. */
  msg_id?: string;
  event_id?: string;
}

export interface SimPushed {
  event_id: string;
  /** For message events. */
  msg_id?: string;
}

export interface SimAckResult {
  ok: boolean;
  code: number;
  msg: string;
  msg_id: string | null;
}

export interface ReceivedCommand {
  /** 1-based, in arrival order. */
  seq: number;
  /** ms since the epoch. */
  at: number;
  cmd: string;
  req_id: string;
  data: Record<string, unknown>;
  /** A req_id already delivered: answered with the cached result, not sent again. */
  duplicate: boolean;
  /** The result the daemon was (or would have been) given. */
  result: SimAckResult;
  /** The failure was injected (failEvery / failRate), not caused by the command. */
  injected: boolean;
  /** What became of the ack. */
  ack: 'sent' | 'delayed' | 'dropped' | 'connection_dropped';
}

export interface SimCounters {
  /** Connections accepted in all. */
  connections: number;
  /** Connections open now. */
  clients: number;
  /** Connections dropped on purpose (dropEvery, dropConnections). */
  drops: number;
  messages_pushed: number;
  messages_acked: number;
  /** All events, login/ready included. */
  events_pushed: number;
  events_acked: number;
  /** Deliveries of an event after its first. */
  redeliveries: number;
  /** Command frames received, repeats included. */
  sends_received: number;
  /** Sends carried out: ok, first time for their req_id. */
  sends_delivered: number;
  /** Repeats of a req_id already delivered. */
  duplicates: number;
  failures_injected: number;
  /** Commands refused as unusable (missing fields, unknown cmd). */
  invalid_commands: number;
  acks_dropped: number;
  pings: number;
  /** Frames from clients that were not understood. */
  malformed: number;
}

export interface SimSummary extends SimCounters {
  url: string;
  commands: Array<
    Pick<ReceivedCommand, 'seq' | 'cmd' | 'req_id' | 'duplicate' | 'ack'> & {
      to_id: unknown;
      content?: unknown;
      file_url?: unknown;
      file_path?: unknown;
      ok: boolean;
      code: number;
    }
  >;
}

export type ClientNotice = { kind: 'connected' | 'disconnected'; remote: string; clients: number };
