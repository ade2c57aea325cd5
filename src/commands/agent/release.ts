import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';

export default class AgentRelease extends BaseCommand<typeof AgentRelease> {
  static override summary = 'Give a customer back to the AI agent after 转接人工 or a human takeover.';
  static override description = `After a handoff (转接人工) the agent stays silent for the customer until released or until
AICS_AGENT_HANDOFF_MINUTES pass; after a human typed on our account, for AICS_AGENT_TAKEOVER_MINUTES. This ends either
state now, on every account the customer talks to (or one, with --account), and resets the count of LLM failures.
The state lives in the database, so this works from any process while the daemon runs: the agent reads it before
every reply. Releasing a customer the agent already answers changes nothing (released: 0).

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'The operator has finished with 小明: the agent answers him again',
      command: '<%= config.bin %> agent release customer_123',
    },
    {
      description: 'Only on one of our accounts, as JSON',
      command: '<%= config.bin %> agent release customer_123 --account 1688000001 --json',
    },
  ];
  static override args = {
    customer: Args.string({ required: true, description: 'The customer id (from_id).' }),
  };
  static override flags = {
    account: Flags.string({ summary: 'Only the conversation on this account of ours (acc_id).', helpValue: 'ACC_ID' }),
  };

  async run(): Promise<{ customer: string; account: string | null; released: number }> {
    this.existingDatabase();
    const released = await (await this.repositories()).agent.release(this.args.customer, this.flags.account);
    this.say(
      released
        ? `released ${this.args.customer}: the agent answers again (${released} conversation${released === 1 ? '' : 's'})`
        : `${this.args.customer} was not with a human: nothing to release`,
    );
    return { customer: this.args.customer, account: this.flags.account ?? null, released };
  }
}
