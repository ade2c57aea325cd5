import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { ATTEMPT_HEAD, EVENT_HEAD, attemptRows, eventRows, table, taskDetails } from '../../cli/format.js';
import { taskStatus } from '../../app/index.js';
import { daemonState, MISSED_BEATS, type TaskAttempt, type TaskEvent, type TaskRecord } from '../../store/index.js';
import {
  awaitedCustomer,
  describeTrigger,
  explainNotFired,
  formatInZone,
  isMessageTrigger,
  keywordMatches,
  type WhyDaemon,
  type WhyReport,
} from '../../tasks/index.js';

export default class TaskStatus extends BaseCommand<typeof TaskStatus> {
  static override summary = 'Show one task and the history of its status changes.';
  static override description = `Reads the task database directly, so it works whether or not the daemon runs: the same
task as GET /api/task/status/:task_id, followed by every transition (received, armed, triggered, retried,
completed, failed, cancelled, expired) with its time, reason and who made it, and every attempt of its action
(the bridge req_id, when it started and ended, how it ended). Times are shown in the configured
zone (AICS_TZ).

--why explains a task that has not fired: what it is waiting for, and the customer's recent messages, each with
why it did not fire the task (another customer, the keyword absent after normalisation, not an exact match,
arrived before the task, the task expired or cancelled by then, the task not armed because no daemon with a
bridge for that account ran). Message texts come from the chat log, which the daemon keeps when the agent runs;
otherwise only their arrival is known.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Why has this task not fired yet?', command: '<%= config.bin %> task status TASK_20260227_001' },
    { description: 'The task and its events as JSON', command: '<%= config.bin %> task status TASK_20260227_001 --json' },
    {
      description: "Why has it not fired? The customer's messages, each with its reason",
      command: '<%= config.bin %> task status TASK_20260227_001 --why',
    },
  ];
  static override args = {
    id: Args.string({ required: true, description: 'The task id, e.g. TASK_20260227_001.' }),
  };
  static override flags = {
    why: Flags.boolean({ summary: 'Why it has not fired: what it waits for, and each recent message with why it did not match.' }),
  };

  async run(): Promise<{ task: TaskRecord; events: TaskEvent[]; attempts: TaskAttempt[]; warnings?: string[]; why?: WhyReport }> {
    this.existingDatabase();
    const settings = this.settings();
    const { task, events, attempts, warnings } = await taskStatus({ store: { tasks: await this.store() } }, this.args.id, {
      scopeAnyCustomer: settings.scopeAnyCustomer,
      nameDatabase: true,
    });
    const paused = task.status === 'waiting' || task.status === 'running' || task.status === 'pending' ? await this.pauseInForce() : null;
    const zone = settings.timeZone;
    this.say(taskDetails(task, zone, true));
    for (const warning of warnings) this.say(`warning: ${warning}`);
    this.say('');
    this.say(events.length ? table(EVENT_HEAD, eventRows(events, zone)) : 'no events recorded');
    if (attempts.length) {
      this.say('');
      this.say(table(ATTEMPT_HEAD, attemptRows(attempts, zone)));
    }
    const shown = { task, events, attempts, ...(warnings.length ? { warnings } : {}) };
    if (!this.flags.why) return shown;
    const why = explainNotFired(task, events, await this.messagesFor(task), {
      nowMs: Date.now(),
      paused: paused !== null,
      formatTime: (ms) => formatInZone(ms, zone),
      daemons: await this.daemons(settings.heartbeatMs * MISSED_BEATS),
    });
    this.say('');
    this.say(why.summary.map((line) => `why: ${line}`).join('\n'));
    if (why.messages.length) {
      this.say('');
      this.say(
        table(
          WHY_HEAD,
          why.messages.map((m) => [
            formatInZone(m.at_ms, zone),
            m.from_name ? `${m.from_id} (${m.from_name})` : m.from_id,
            m.text ?? '(not recorded)',
            m.reason,
          ]),
        ),
      );
    } else if (why.summary.length && isMessageTrigger(task.trigger.type)) {
      this.say('no messages from the customer recorded yet');
    }
    return { ...shown, why };
  }

  /**
   * The messages worth explaining: the awaited customer's latest, plus other customers' that say the keyword (the
   * usual surprise: someone else said it); for an any-customer trigger, the latest from anyone.
   */
  /** The daemons on the database and whether each still beats; none when the database predates the registry. */
  private async daemons(staleAfterMs: number): Promise<WhyDaemon[]> {
    try {
      const now = Date.now();
      return (await (await this.repositories()).daemons.list()).map((d) => ({ ...d, state: daemonState(d, now, staleAfterMs) }));
    } catch {
      return [];
    }
  }

  private async messagesFor(task: TaskRecord) {
    const ops = (await this.repositories()).ops;
    const awaited = awaitedCustomer(task.trigger);
    if (!awaited) return ops.recentMessages({ limit: 20 });
    const own = await ops.recentMessages({ fromId: awaited, limit: 20 });
    // The trigger's own keywords (from the registry), matched loosely: someone else said something close to them.
    const words = describeTrigger(task.trigger).keywords?.(task.trigger).words ?? [];
    const others = words.length
      ? (await ops.recentMessages({ limit: 200 }))
          .filter((m) => m.from_id !== awaited && m.text !== null && words.some((w) => keywordMatches(m.text!, w, false)))
          .slice(-5)
      : [];
    return [...own, ...others].sort((a, b) => a.at_ms - b.at_ms);
  }
}

const WHY_HEAD = ['received', 'customer', 'message', 'why it did not fire the task'];
