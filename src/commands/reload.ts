import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag } from '../cli/daemon-flags.js';
import { reloadDaemon } from '../cli/control/stop-restart.js';
import { pidFileFor } from '../daemon/control/pid-file.js';
import { DaemonUnreachableError } from '../errors.js';

export interface ReloadOutput {
  reloading: true;
  pid: number;
  pid_file: string;
}

export default class Reload extends BaseCommand<typeof Reload> {
  static override summary = 'Restart the worker processes of "aics serve --multi" one at a time, without stopping the daemon.';
  static override description = `Sends SIGHUP to the daemon named by the pid file (what "systemctl reload aics" does too). Under --multi the
daemon starts a new worker for each shard of the customers, hands it their messages once it is ready and the old one
has handled those it had, and lets the old one finish its work and exit: no message is lost or handled twice, and
only one shard at a time is being replaced. It also reopens the log file. A daemon in one process (no --multi) only
reopens its log file and says so in it. Returns at once: "aics status" shows the workers' new pids, "aics logs grep
reload" the progress.

When no daemon runs: says so and exits 3.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Restart the workers of the daemon of the database in this folder', command: '<%= config.bin %> reload' },
    { description: 'Under systemd (deploy/aics.service sends SIGHUP the same way)', command: 'systemctl reload aics' },
  ];
  static override flags = { 'pid-file': pidFileFlag };

  async run(): Promise<ReloadOutput> {
    const pidFile = pidFileFor(this.settings({ pidFile: this.flags['pid-file'] }));
    const result = reloadDaemon(pidFile);
    if (result.outcome === 'not-running') {
      if (result.stale) this.warnLine(result.stale);
      throw new DaemonUnreachableError(`aics is not running (no daemon for ${pidFile}); nothing to reload`);
    }
    this.say(`sent SIGHUP to aics (pid ${result.pid}): its worker processes restart one at a time`);
    return { reloading: true, pid: result.pid, pid_file: pidFile };
  }
}
