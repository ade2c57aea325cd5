import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { table, truncate } from '../../cli/format.js';
import { AGENT_PROVIDERS, type AgentProviderName } from '../../config.js';
import { LocalAgent } from '../../daemon/agent/dialogue.js';
import { confusionAxes, loadEvalFile, runEval, type EvalReport, type Rate } from '../../daemon/agent/eval.js';

const pct = (r: Rate | number | null): string => {
  const v = typeof r === 'object' && r !== null ? r.value : r;
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`;
};

export default class AgentEval extends BaseCommand<typeof AgentEval> {
  static override summary = 'Measure the agent on a labelled set of customer messages (exit 1 below the thresholds in the file).';
  static override description = `Runs the agent in this process — no daemon, no bridge, a temporary database — with the configured
provider (the rules and AICS_FAQ_FILE by default, or any OpenAI-compatible LLM with AICS_LLM_BASE_URL) on every case of
FILE: each case is a fresh conversation of one or more customer turns, labelled with what the last turn should decide:
faq:<entry id>, smalltalk, ask (a clarifying question or the order's missing fields), confirm (the order read back),
dispatch (派单, optionally with its fields), handoff (转接人工), cancel, payment, status or file.

Prints the confusion table (expected rows, decided columns), precision and recall of 派单 and 转接人工, the false
派单 count, the false 转接人工 rate, FAQ accuracy, the share of turns answered, and each threshold the file sets
(thresholds: false_dispatch_max, false_handoff_rate_max, faq_accuracy_min, answered_min, accuracy_min,
dispatch_recall_min, handoff_recall_min). The file format is in docs/agent.md; examples/eval/print-shop.yaml is the
shipped set.

Exit 1 when a threshold is not met; 2 when the file is invalid.

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'The shipped print-shop set with the built-in rules',
      command: '<%= config.bin %> agent eval examples/eval/print-shop.yaml',
    },
    {
      description: 'Your FAQ, showing every miss',
      command: 'AICS_FAQ_FILE=my-shop.yaml <%= config.bin %> agent eval my-set.yaml --misses 1000',
    },
    {
      description: 'An LLM on the same set, as JSON',
      command: 'AICS_LLM_BASE_URL=http://127.0.0.1:8000/v1 <%= config.bin %> agent eval examples/eval/print-shop.yaml --json',
    },
  ];
  static override args = {
    file: Args.string({ required: true, description: 'The labelled set (YAML or JSON).' }),
  };
  static override flags = {
    provider: Flags.string({ summary: 'The provider to measure (env AICS_AGENT_PROVIDER).', options: [...AGENT_PROVIDERS] }),
    faq: Flags.string({ summary: 'The FAQ file to measure (env AICS_FAQ_FILE).', helpValue: 'FILE' }),
    misses: Flags.integer({ summary: 'How many missed cases to list.', default: 20, min: 0 }),
  };

  async run(): Promise<Omit<EvalReport, 'results'> & { misses: EvalReport['results'] }> {
    const file = loadEvalFile(resolve(this.args.file));
    const settings = this.settings({
      faqFile: this.flags.faq ? resolve(this.flags.faq) : undefined,
      agent: { provider: this.flags.provider as AgentProviderName | undefined },
    });
    const dir = mkdtempSync(join(tmpdir(), 'aics-agent-eval-'));
    let report: EvalReport;
    try {
      const local = await LocalAgent.open(settings, join(dir, 'agent-eval.db'));
      try {
        report = await runEval(local, file);
      } finally {
        await local.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const axes = confusionAxes(report.confusion);
    this.say(`${file.name ?? this.args.file}: ${report.cases} cases, ${report.turns} turns, provider ${report.provider}`);
    this.say('confusion (rows: expected, columns: decided)');
    this.say(
      table(
        ['', ...axes],
        axes.filter((r) => report.confusion[r]).map((r) => [r, ...axes.map((c) => report.confusion[r]![c] ?? '')]),
      ),
    );
    this.say(
      table(
        ['MEASURE', 'VALUE', 'OF'],
        [
          ['accuracy (every decision)', pct(report.accuracy), report.cases],
          ['派单 precision', pct(report.dispatch.precision), report.dispatch.precision.of],
          ['派单 recall', pct(report.dispatch.recall), report.dispatch.recall.of],
          ['false 派单', report.dispatch.false, ''],
          ['转接人工 precision', pct(report.handoff.precision), report.handoff.precision.of],
          ['转接人工 recall', pct(report.handoff.recall), report.handoff.recall.of],
          ['false 转接人工', `${report.handoff.false} (${pct(report.handoff.false_rate)})`, report.handoff.false_rate.of],
          ['FAQ accuracy', pct(report.faq_accuracy), report.faq_accuracy.of],
          ['answered', pct(report.answered), report.answered.of],
        ],
      ),
    );
    const misses = report.results.filter((r) => !r.ok);
    if (misses.length && this.flags.misses > 0) {
      this.say(
        table(
          ['#', 'CUSTOMER', 'EXPECTED', 'DECIDED', 'REPLY'],
          misses
            .slice(0, this.flags.misses)
            .map((r) => [
              r.n,
              truncate(r.turns.join(' ⏎ '), 40),
              r.expect,
              `${r.got}${r.fields_mismatch ? ` (${r.fields_mismatch})` : ''}${r.early_dispatch ? ' (early 派单)' : ''}`,
              truncate(r.reply, 40),
            ]),
        ),
      );
    }
    for (const c of report.checks)
      this.say(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} ${c.limit} (measured ${c.value === null ? '-' : Number(c.value.toFixed(4))})`);
    this.say(`${report.ok ? 'ok' : 'FAILED'}: ${report.correct}/${report.cases} cases as labelled, ${misses.length} missed`);
    if (!report.ok) process.exitCode = 1;
    const { results, ...rest } = report;
    return { ...rest, misses: results.filter((r) => !r.ok) };
  }
}
