/**
 * The dialogue test tool's engine: the agent in-process, with no daemon and no bridge — replies go to the caller —
 * against a database file of the caller's choice (a temp file for tests). `aics agent chat` talks to it line by
 * line; `aics agent test FILE` plays scripted dialogues and checks their expectations.
 *
 * A dialogue file (YAML or JSON):
 *   dialogues:
 *     - name: price question
 *       customer: { id: c_1, name: 小王 }       # optional; default test_<n>
 *       steps:
 *         - say: 名片多少钱
 *           expect: { reply_contains: 元起 }
 *         - say: 转人工
 *           expect: { handoff: true, reply_contains: [人工] }
 *         - say: 还在吗
 *           expect: { silent: true }
 *         - release: true                     # as `aics agent release`
 *         - human: 我来处理                    # a human types on our account (is_self)
 *         - say: ''                            # an image: add file: { name: logo.png, url: … }, msg_type: image
 * Expectations: reply_contains (string or list), reply_not_contains, silent, handoff, dispatched (true, or the
 * order's fields, e.g. { product: 名片, quantity: 500 }), tool (a tool that was called).
 */
import { z } from 'zod';
import type { Settings } from '../../config.js';
import { openStore, type Store } from '../../store/index.js';
import { silentLogger, type Logger } from '../ports.js';
import { readDataFile } from './data-file.js';
import { buildAgent, type Agent, type TurnOutcome } from './index.js';

export const DEFAULT_TEST_ACCOUNT = 'local';

export class LocalAgent {
  private constructor(
    readonly store: Store,
    readonly agent: Agent,
  ) {}

  /** `clock`: the replay runs each turn at the time it was first said. */
  static async open(
    settings: Settings,
    dbFile: string,
    logger: Logger = silentLogger,
    clock: () => number = Date.now,
  ): Promise<LocalAgent> {
    const store = await openStore(dbFile, { timeZone: settings.timeZone, clock });
    try {
      // Replies go back to the caller through the turn's outcome; pacing is for real accounts only.
      const local = { ...settings, agent: { ...settings.agent, sendGapMs: 0 } };
      const agent = buildAgent({
        settings: local,
        store,
        logger,
        clock,
        sender: { sendText: async () => ({}), sendFile: async () => ({}) },
      });
      return new LocalAgent(store, agent);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private seq = 0;

  say(
    customer: { id: string; name?: string },
    text: string,
    extra: { msg_type?: string; file?: Record<string, unknown> } = {},
  ): Promise<TurnOutcome | null> {
    return this.agent.conversations.converse({
      acc_id: DEFAULT_TEST_ACCOUNT,
      from_id: customer.id,
      from_name: customer.name,
      content: text,
      msg_id: `local-${process.pid}-${Date.now()}-${++this.seq}`,
      msg_type: extra.msg_type ?? (extra.file ? 'file' : 'text'),
      file: extra.file ?? null,
    });
  }

  async human(customer: { id: string }, text: string): Promise<void> {
    await this.agent.conversations.converse({
      acc_id: DEFAULT_TEST_ACCOUNT,
      from_id: customer.id,
      content: text,
      msg_id: `local-h-${++this.seq}`,
      is_self: true,
    });
  }

  release(customer: { id: string }): Promise<number> {
    return this.store.agent.release(customer.id);
  }

  async close(): Promise<void> {
    await this.agent.conversations.stop();
    await this.store.close();
  }
}

const strings = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const expectSchema = z
  .object({
    reply_contains: strings.optional(),
    reply_not_contains: strings.optional(),
    silent: z.boolean().optional(),
    handoff: z.boolean().optional(),
    dispatched: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
    tool: z.string().optional(),
  })
  .strict();

const stepSchema = z.union([
  z
    .object({
      say: z.string(),
      msg_type: z.string().optional(),
      file: z
        .object({ name: z.string().optional(), url: z.string().optional(), path: z.string().optional(), size: z.number().optional() })
        .optional(),
      expect: expectSchema.optional(),
    })
    .strict(),
  z.object({ human: z.string() }).strict(),
  z.object({ release: z.literal(true) }).strict(),
]);

const dialogueSchema = z
  .object({
    name: z.string().min(1),
    customer: z
      .object({ id: z.string().min(1), name: z.string().optional() })
      .strict()
      .optional(),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export const dialogueFileSchema = z.object({ name: z.string().optional(), dialogues: z.array(dialogueSchema).min(1) }).strict();
export type DialogueFile = z.infer<typeof dialogueFileSchema>;
export type DialogueStep = z.infer<typeof stepSchema>;

export function loadDialogues(file: string): DialogueFile {
  return readDataFile(file, dialogueFileSchema, 'FILE');
}

export interface StepResult {
  dialogue: string;
  step: number;
  /** `say: …`, `human: …` or `release`. */
  input: string;
  replies: string[];
  tools: string[];
  ok: boolean;
  /** What did not match, one phrase each. */
  mismatches: string[];
}

export async function runDialogues(local: LocalAgent, file: DialogueFile): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [n, dialogue] of file.dialogues.entries()) {
    const customer = dialogue.customer ?? { id: `test_${n + 1}` };
    for (const [i, step] of dialogue.steps.entries()) {
      const row: StepResult = { dialogue: dialogue.name, step: i + 1, input: '', replies: [], tools: [], ok: true, mismatches: [] };
      if ('human' in step) {
        row.input = `human: ${step.human}`;
        await local.human(customer, step.human);
      } else if ('release' in step) {
        row.input = 'release';
        await local.release(customer);
      } else {
        row.input = step.file ? `say: ${step.say} [${step.file.name ?? step.file.url ?? 'file'}]` : `say: ${step.say}`;
        const outcome = await local.say(customer, step.say, { msg_type: step.msg_type, file: step.file });
        row.replies = outcome?.sent ?? [];
        row.tools = (outcome?.tool_calls ?? []).map((t) => (t.error ? `${t.name}!` : t.name));
        if (step.expect && outcome) row.mismatches = check(step.expect, outcome);
        row.ok = row.mismatches.length === 0;
      }
      results.push(row);
    }
  }
  return results;
}

function check(e: z.infer<typeof expectSchema>, o: TurnOutcome): string[] {
  const out: string[] = [];
  const reply = o.sent.join('\n');
  for (const s of e.reply_contains ?? []) if (!reply.includes(s)) out.push(`reply does not contain "${s}"`);
  for (const s of e.reply_not_contains ?? []) if (reply.includes(s)) out.push(`reply contains "${s}"`);
  if (e.silent === true && o.sent.length) out.push('expected silence, got a reply');
  if (e.silent === false && !o.sent.length) out.push(`expected a reply, got silence (${o.silent})`);
  if (e.handoff !== undefined && o.handoff !== e.handoff)
    out.push(e.handoff ? 'expected a handoff (转接人工), none happened' : 'unexpected handoff');
  if (e.dispatched === false && o.orders.length) out.push('unexpected order (派单)');
  if (e.dispatched === true && !o.orders.length) out.push('expected an order (派单), none was dispatched');
  if (e.dispatched && typeof e.dispatched === 'object') {
    const want = e.dispatched;
    if (!o.orders.length) out.push('expected an order (派单), none was dispatched');
    else if (!o.orders.some((ord) => Object.entries(want).every(([k, v]) => String(ord.fields[k]) === String(v)))) {
      const got = o.orders.map((ord) => JSON.stringify(ord.fields)).join(' ');
      out.push(`order fields differ: want ${JSON.stringify(want)}, got ${got}`);
    }
  }
  if (e.tool && !o.tool_calls.some((t) => t.name === e.tool && !t.error)) out.push(`tool ${e.tool} was not called`);
  return out;
}
