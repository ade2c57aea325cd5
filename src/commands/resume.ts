import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import type { PauseState } from '../store/index.js';

export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = 'Lift "aics pause": fire and send again.';
  static override description = `Every daemon on the database sees it within a second: held sends go out, and tasks that came due during the pause
fire now (with their lateness logged), if they have not expired. Resuming when not paused changes nothing.

${EXIT_CODES_HELP}`;
  static override examples = [{ description: 'After maintenance', command: '<%= config.bin %> resume' }];

  async run(): Promise<{ resumed: boolean; was: PauseState | null }> {
    const was = await (await this.repositories()).control.resume();
    this.say(was ? 'resumed: firing and sending again' : 'not paused: nothing to resume');
    return { resumed: was !== null, was };
  }
}
