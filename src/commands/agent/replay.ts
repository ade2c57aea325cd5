import * as Flags from '@oclif/core/flags';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { localTime, table, truncate } from '../../cli/format.js';
import { AGENT_PROVIDERS, type AgentProviderName } from '../../config.js';
import { LocalAgent } from '../../daemon/agent/dialogue.js';
import { replay, type ReplayRow, type ReplaySummary } from '../../daemon/agent/replay.js';
import { parseSince } from '../../log-reader.js';
import { openStore } from '../../store/index.js';

export default class AgentReplay extends BaseCommand<typeof AgentReplay> {
  static override summary =
    'Replay real conversations from the chat log against another FAQ, prompt or provider, and show what would change.';
  static override description = `Reads the customers' messages since --since from the chat log of the database (read-only; the daemon may
be running) and says each turn again to an agent in this process, on a temporary database, at the time it was first
said: nothing is sent to anyone and nothing is dispatched. The agent uses --faq, --prompt and --provider when given,
else the configured ones (AICS_FAQ_FILE, AICS_LLM_SYSTEM_PROMPT_FILE, AICS_AGENT_PROVIDER).

For each turn whose answer or decision changed it prints what the customer said, what the agent decided and
answered then (BEFORE) and what it would now (AFTER); decisions are faq:<entry>, smalltalk, ask, confirm, dispatch
(派单), handoff (转接人工), cancel, payment, status, file, reply or none. The summary counts changed answers and
decisions and 派单 and 转接人工 before and after. --all lists unchanged turns too; --json prints
{"summary", "rows"}.

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'What the new FAQ would have done to last week',
      command: '<%= config.bin %> agent replay --since 7d --faq new-faq.yaml',
    },
    {
      description: 'Last day against an LLM, as JSON',
      command: 'AICS_LLM_BASE_URL=http://127.0.0.1:8000/v1 <%= config.bin %> agent replay --since 1d --provider openai --json',
    },
  ];
  static override flags = {
    since: Flags.string({
      char: 's',
      summary: 'Conversations since: a duration before now (30m, 2h, 7d) or a time (ISO 8601, or "2026-02-28 09:00" in AICS_TZ).',
      default: '7d',
    }),
    faq: Flags.string({ summary: 'The FAQ file to replay against (else AICS_FAQ_FILE).', helpValue: 'FILE' }),
    prompt: Flags.string({
      summary: "The LLM's system prompt file to replay against (else AICS_LLM_SYSTEM_PROMPT_FILE).",
      helpValue: 'FILE',
    }),
    provider: Flags.string({ summary: 'The provider to replay with (else AICS_AGENT_PROVIDER).', options: [...AGENT_PROVIDERS] }),
    all: Flags.boolean({ summary: 'List unchanged turns too.', default: false }),
  };

  async run(): Promise<{ since: string; summary: ReplaySummary; rows: ReplayRow[] }> {
    const file = this.existingDatabase();
    const settings = this.settings({
      faqFile: this.flags.faq ? resolve(this.flags.faq) : undefined,
      agent: {
        provider: this.flags.provider as AgentProviderName | undefined,
        ...(this.flags.prompt ? { systemPromptFile: resolve(this.flags.prompt) } : {}),
      },
    });
    const sinceMs = parseSince(this.flags.since, Date.now(), settings.timeZone);
    const source = await openStore(file, { timeZone: settings.timeZone, readonly: true });
    let messages;
    try {
      messages = await source.agent.since(sinceMs);
    } finally {
      await source.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'aics-agent-replay-'));
    let now = Date.now();
    let result;
    try {
      const local = await LocalAgent.open(settings, join(dir, 'replay.db'), undefined, () => now);
      try {
        result = await replay(local, messages, (ms) => (now = ms));
      } finally {
        await local.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { rows, summary } = result;
    const shown = this.flags.all ? rows : rows.filter((r) => r.answer_changed || r.decision_changed);
    const side = (s: { decision: string; reply: string }) => `${s.decision}\n${truncate(s.reply || '-', 36)}`;
    if (shown.length) {
      this.say(
        table(
          ['TIME', 'CONVERSATION', 'CUSTOMER', 'BEFORE', 'AFTER', 'CHANGED'],
          shown.map((r) => [
            localTime(r.at, settings.timeZone),
            r.conv,
            truncate(r.said, 30),
            side(r.before),
            side(r.after),
            [r.decision_changed && 'decision', r.answer_changed && 'answer'].filter(Boolean).join(', ') || '-',
          ]),
        ),
      );
    }
    this.say(
      `${summary.turns} turns in ${summary.conversations} conversations since ${localTime(new Date(sinceMs).toISOString(), settings.timeZone)}: ` +
        `${summary.answers_changed} answers and ${summary.decisions_changed} decisions changed; ` +
        `派单 ${summary.dispatch.before} → ${summary.dispatch.after}, 转接人工 ${summary.handoff.before} → ${summary.handoff.after} (nothing was sent)`,
    );
    return { since: new Date(sinceMs).toISOString(), summary, rows: this.flags.all ? rows : shown };
  }
}
