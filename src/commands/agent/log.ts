import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { localTime, table, truncate } from '../../cli/format.js';
import type { ChatMessage, ConversationState } from '../../store/index.js';

export default class AgentLog extends BaseCommand<typeof AgentLog> {
  static override summary = "Show a customer's conversation: every message in and out, with the agent's tool calls.";
  static override description = `Reads the chat log in the database (it works whether or not the daemon runs): the customer's messages,
the agent's replies (with the provider that wrote them, its latency and the tools it called: faq_lookup,
customer_tasks, propose_order = an order read back, dispatch_order = 派单 after the customer confirmed it,
transfer_to_human = 转接人工), and what a human typed on our account. Files and
images the customer sent are listed with their name or URL. The last --limit messages, oldest first, and who answers
the conversation now (ai, human after 转接人工, takeover after a human reply).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'The last 50 messages with 小明', command: '<%= config.bin %> agent log customer_123' },
    {
      description: 'The whole recent conversation as JSON (tool calls with arguments and results)',
      command: '<%= config.bin %> agent log customer_123 --limit 500 --json',
    },
  ];
  static override args = {
    customer: Args.string({ required: true, description: 'The customer id (from_id).' }),
  };
  static override flags = {
    limit: Flags.integer({ summary: 'How many of the latest messages.', default: 50, min: 1, max: 10_000 }),
    account: Flags.string({ summary: 'Only the conversation on this account of ours (acc_id).', helpValue: 'ACC_ID' }),
  };

  async run(): Promise<{ customer: string; states: ConversationState[]; messages: ChatMessage[] }> {
    this.existingDatabase();
    const { agent } = await this.repositories();
    const messages = await agent.log(this.args.customer, { accId: this.flags.account, limit: this.flags.limit });
    const accounts = [...new Set(messages.map((m) => m.acc_id))];
    const states = await Promise.all(accounts.map((a) => agent.state(a, this.args.customer)));
    const zone = this.settings().timeZone;
    if (messages.length) {
      this.say(
        table(
          ['TIME', 'ACCOUNT', 'WHO', 'TEXT', 'PROVIDER', 'MS', 'TOOLS'],
          messages.map((m) => [
            localTime(m.at, zone),
            m.acc_id,
            m.role,
            truncate(m.text + (m.file ? ` [${m.msg_type}: ${m.file.name ?? m.file.url ?? m.file.path ?? '?'}]` : ''), 60),
            m.provider ?? '',
            m.latency_ms ?? '',
            (m.tool_calls ?? []).map((t) => (t.error ? `${t.name}!` : t.name)).join(' '),
          ]),
        ),
      );
    }
    for (const s of states)
      this.say(
        `${s.conv}: ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.until_ms ? ` until ${localTime(new Date(s.until_ms).toISOString(), zone)}` : ''}`,
      );
    this.say(`${messages.length} message${messages.length === 1 ? '' : 's'}`);
    return { customer: this.args.customer, states, messages };
  }
}
