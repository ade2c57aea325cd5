/**
 * What the conversation manager (conversations.ts) takes and gives: the message handed to it, what the trigger engine
 * did with it, how a turn ended, and the manager's settings and collaborators.
 */
import type { AgentSettings } from '../../config.js';
import type { ChatFile, Store } from '../../store/index.js';
import type { Logger } from '../ports.js';
import type { Gate } from './llm-http.js';
import type { ReplyQueue } from './reply-queue.js';
import type { Responder, TurnResult } from './responder.js';
import type { Conversation } from './tools.js';

export interface AgentInbound {
  acc_id: string;
  from_id: string;
  from_name?: string;
  content: string;
  msg_id: string;
  is_self?: boolean;
  msg_type?: string;
  file?: ChatFile | null;
}

/** What the trigger engine did with the message (`TriggerEngine.accept`). */
export interface EngineOutcome {
  duplicate: boolean;
  fired: string[];
}

export interface TurnOutcome extends TurnResult {
  /** The parts actually sent (after masking and splitting); empty when silent. */
  sent: string[];
  /** Why nothing (or not everything) was sent; `held`: the daemon stopped first, the rest goes out at the next start. */
  silent: 'human' | 'takeover' | 'no reply' | 'send failed' | 'held' | null;
}

export type AgentConfig = Pick<
  AgentSettings,
  'quietMs' | 'maxWaitMs' | 'takeoverMinutes' | 'answerTriggers' | 'maxReplyChars' | 'memoryTurns'
>;

export interface ConversationManagerOptions {
  store: Store;
  responder: Responder;
  /** Stores and sends the answers (paced, waiting for the bridge, kept across a restart). */
  replies: ReplyQueue;
  logger: Logger;
  clock: () => number;
  config: AgentConfig;
  sensitiveWords: readonly string[];
  /** Each finished turn, for the dialogue tools (`aics agent chat` shows tool calls). */
  onTurn?: (conv: Conversation, outcome: TurnOutcome) => void;
  /**
   * Turns that may be reading the store and waiting for the provider at once (the LLM's AICS_LLM_CONNECTIONS). A
   * conversation whose burst is complete waits for a place as itself (its pending messages and one callback in the
   * gate's line): its turn has not started, so it holds no history, no request, no timer and no suspended async
   * frame. Messages that arrive meanwhile join that turn. Sending is outside the gate, so an account whose sends are
   * paced does not hold up the answers of other accounts. None: no limit (the rules).
   */
  thinking?: Gate;
}
