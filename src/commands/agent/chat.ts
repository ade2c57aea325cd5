import * as Flags from '@oclif/core/flags';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { AGENT_PROVIDERS, type AgentProviderName } from '../../config.js';
import { LocalAgent } from '../../daemon/agent/dialogue.js';
import type { TurnOutcome } from '../../daemon/agent/index.js';

export default class AgentChat extends BaseCommand<typeof AgentChat> {
  static override summary = 'Chat with the agent as a customer, in the terminal, showing its tool calls.';
  static override description = `Runs the agent in this process — no daemon, no bridge — with the configured provider (the rules and
AICS_FAQ_FILE by default; AICS_LLM_BASE_URL for an OpenAI-compatible endpoint). Each line you type is one customer
message; the agent's replies are printed, with the tools it called (faq_lookup, customer_tasks, propose_order = the read-back, dispatch_order = 派单,
transfer_to_human = 转接人工) and the provider and latency.

The conversation uses a temporary database, deleted at the end, unless --db is given: then it is stored there like
a real one (orders and handoff notices are queued in its outbox, and a running daemon on that file delivers them).

Lines starting with / are commands: /human TEXT (a human types on our account), /release (as "aics agent
release"), /image NAME (the customer sends an image), /quit. Input may be piped: one message a line.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Try the built-in rules and FAQ', command: '<%= config.bin %> agent chat' },
    {
      description: 'Try an LLM (a local OpenAI-compatible server)',
      command: 'AICS_LLM_BASE_URL=http://127.0.0.1:8000/v1 AICS_LLM_MODEL=qwen2.5 <%= config.bin %> agent chat',
    },
    {
      description: 'One scripted exchange, piped',
      command: "printf '名片多少钱\\n转人工\\n' | <%= config.bin %> agent chat --customer c_demo",
    },
  ];
  static override flags = {
    customer: Flags.string({ summary: 'The customer id you play.', default: 'chat_customer' }),
    name: Flags.string({ summary: 'The customer name you play.', default: '测试客户' }),
    provider: Flags.string({ summary: 'The provider (env AICS_AGENT_PROVIDER).', options: [...AGENT_PROVIDERS] }),
  };

  async run(): Promise<{ turns: { said: string; replies: string[]; tools: string[]; provider: string }[] }> {
    const settings = this.settings({ agent: { provider: this.flags.provider as AgentProviderName | undefined } });
    const temp = this.flags.db ? null : mkdtempSync(join(tmpdir(), 'aics-agent-chat-'));
    const local = await LocalAgent.open(settings, temp ? join(temp, 'chat.db') : settings.db);
    const customer = { id: this.flags.customer, name: this.flags.name };
    const turns: { said: string; replies: string[]; tools: string[]; provider: string }[] = [];
    const interactive = Boolean(process.stdin.isTTY);
    const out = (text: string) => {
      if (!this.jsonEnabled()) process.stdout.write(`${text}\n`);
    };
    out(`agent chat · provider ${local.agent.provider} · FAQ ${local.agent.faq.file} · database ${temp ? '(temporary)' : settings.db}`);
    out('type as the customer; /human TEXT, /release, /image NAME, /quit');
    // On a terminal readline takes over echoing: it needs the output stream, or what is typed stays invisible.
    const rl = createInterface({
      input: process.stdin,
      ...(interactive ? { output: process.stdout, prompt: '客户> ' } : {}),
      terminal: interactive,
    });
    const prompt = () => interactive && rl.prompt();
    try {
      prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (!line) {
          prompt();
          continue;
        }
        if (line === '/quit' || line === '/exit') break;
        let outcome: TurnOutcome | null = null;
        if (line.startsWith('/human ')) {
          await local.human(customer, line.slice(7));
          out('  (a human replied on our account: the agent pauses for this customer)');
        } else if (line === '/release') {
          out(`  (released: ${await local.release(customer)})`);
        } else if (line.startsWith('/image ')) {
          const name = line.slice(7).trim();
          outcome = await local.say(customer, '', { msg_type: 'image', file: { name, url: `file://${name}` } });
        } else {
          outcome = await local.say(customer, line);
        }
        if (outcome) {
          for (const t of outcome.tool_calls) {
            out(`  ⚙ ${t.name} ${JSON.stringify(t.args)}${t.error ? ` ✗ ${t.error}` : ` → ${JSON.stringify(t.result)}`}`);
          }
          if (outcome.sent.length) for (const part of outcome.sent) out(`客服> ${part}`);
          else out(`  (silent: ${outcome.silent})`);
          out(
            `  [${outcome.provider}, ${outcome.latency_ms} ms${outcome.handoff ? ', 转接人工' : ''}${outcome.orders.length ? ', 派单' : ''}]`,
          );
          turns.push({ said: line, replies: outcome.sent, tools: outcome.tool_calls.map((t) => t.name), provider: outcome.provider });
        }
        prompt();
      }
    } finally {
      rl.close();
      await local.close();
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
    return { turns };
  }
}
