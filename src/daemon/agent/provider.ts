/** What a provider (rules, openai) is given for one turn, and what it answers. */
import type { ChatMessage } from '../../store/index.js';
import type { AgentTools, Conversation } from './tools.js';

export interface TurnInput {
  conv: Conversation;
  /** The customer's messages of this turn (a merged burst), one a line; files as [图片: name] / [文件: name]. */
  text: string;
  /** The burst carried only files or images, no words. */
  onlyFiles: boolean;
  /** Earlier messages of the conversation, oldest first (the memory window). */
  history: ChatMessage[];
  /** The turn's tools; what they did (orders, handoff) is read from them afterwards. */
  tools: AgentTools;
}

export interface Provider {
  readonly name: string;
  /** The reply text, or null for no reply. Throws when it failed (the caller falls back to the rules). */
  respond(input: TurnInput): Promise<string | null>;
}
