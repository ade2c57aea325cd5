import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { localTime } from '../cli/format.js';
import type { PauseState } from '../store/index.js';

export default class Pause extends BaseCommand<typeof Pause> {
  static override summary = 'Stop firing tasks and sending to customers; keep receiving and recording.';
  static override description = `Sets the pause in the database, so every daemon on it obeys within a second, whether it runs now or starts
later, until "aics resume". While paused:
  - nothing is sent to customers: a task's action and an agent reply are held, and go out after the resume;
  - time_reach, cron and retried tasks are not fired; those that come due wait (they still expire at timeout_hours);
  - customers' messages are still received, recorded and matched; tasks are still received; callbacks still go out.
"aics status", "aics monitor", GET /api/health, GET /metrics (aics_paused) and the task commands show the pause.
Pausing again keeps the first pause's time and reason.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Before maintenance of the WeCom PC', command: '<%= config.bin %> pause --reason "WeCom PC maintenance"' },
    { description: 'And afterwards', command: '<%= config.bin %> resume' },
  ];
  static override flags = {
    reason: Flags.string({ char: 'r', summary: 'Why (shown wherever the pause is shown).', helpValue: 'TEXT' }),
  };

  async run(): Promise<{ paused: PauseState }> {
    const paused = await (await this.repositories()).control.pause(this.flags.reason?.trim() || null, this.actor);
    this.say(
      `paused since ${localTime(paused.since, this.settings().timeZone)} by ${paused.by ?? '?'}${paused.reason ? ` (${paused.reason})` : ''}: nothing fires or is sent until "aics resume"`,
    );
    return { paused };
  }
}
