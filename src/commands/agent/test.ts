import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { table, truncate } from '../../cli/format.js';
import { AGENT_PROVIDERS, type AgentProviderName } from '../../config.js';
import { LocalAgent, loadDialogues, runDialogues, type StepResult } from '../../daemon/agent/dialogue.js';

export default class AgentTest extends BaseCommand<typeof AgentTest> {
  static override summary = 'Play scripted dialogues against the agent and check what it does (exit 1 on a mismatch).';
  static override description = `Runs the agent in this process — no daemon, no bridge — with the configured provider (the rules
and AICS_FAQ_FILE by default, or the OpenAI-compatible endpoint of AICS_LLM_BASE_URL), on a temporary database that is
deleted afterwards. Each dialogue is a customer's messages ("say"), a human typing on our account ("human") or an
operator's "release", with expectations: reply_contains, reply_not_contains, silent, handoff (转接人工), dispatched
(派单: true or the order's fields, e.g. {product: 名片, quantity: 500}), tool. Prints one row a step; --json prints
{"ok", "steps": [...]}. The file format is in docs/agent.md; examples/dialogues/print-shop.yaml is a sample.

Exit 1 when any expectation is not met (the table's RESULT column says which); 2 when the file is invalid.

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'The sample dialogues of a print shop, with the built-in rules',
      command: '<%= config.bin %> agent test examples/dialogues/print-shop.yaml',
    },
    {
      description: 'The same dialogues against an LLM, as JSON for CI',
      command: 'AICS_LLM_BASE_URL=http://127.0.0.1:8000/v1 <%= config.bin %> agent test examples/dialogues/print-shop.yaml --json',
    },
  ];
  static override args = {
    file: Args.string({ required: true, description: 'The dialogue file (YAML or JSON).' }),
  };
  static override flags = {
    provider: Flags.string({ summary: 'The provider to test (env AICS_AGENT_PROVIDER).', options: [...AGENT_PROVIDERS] }),
  };

  async run(): Promise<{ ok: boolean; provider: string; steps: StepResult[] }> {
    const file = loadDialogues(resolve(this.args.file));
    const settings = this.settings({ agent: { provider: this.flags.provider as AgentProviderName | undefined } });
    const dir = mkdtempSync(join(tmpdir(), 'aics-agent-test-'));
    let steps: StepResult[];
    let provider: string;
    try {
      const local = await LocalAgent.open(settings, join(dir, 'agent-test.db'));
      provider = local.agent.provider;
      try {
        steps = await runDialogues(local, file);
      } finally {
        await local.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ok = steps.every((s) => s.ok);
    this.say(
      table(
        ['DIALOGUE', '#', 'INPUT', 'REPLY', 'TOOLS', 'RESULT'],
        steps.map((s) => [
          s.dialogue,
          s.step,
          truncate(s.input, 40),
          truncate(s.replies.join(' / ') || '-', 50),
          s.tools.join(' '),
          s.ok ? 'ok' : `MISMATCH: ${s.mismatches.join('; ')}`,
        ]),
      ),
    );
    const failed = steps.filter((s) => !s.ok).length;
    this.say(`${ok ? 'ok' : 'FAILED'}: ${steps.length} steps, ${failed} mismatch${failed === 1 ? '' : 'es'} (provider ${provider})`);
    if (!ok) process.exitCode = 1;
    return { ok, provider, steps };
  }
}
