import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag, stopFlags } from '../cli/daemon-flags.js';
import { stopDaemon, stopTimeout } from '../cli/control/stop-restart.js';
import { pidFileFor } from '../daemon/control/pid-file.js';
import { DaemonUnreachableError } from '../errors.js';

export interface StopOutput {
  stopped: true;
  pid: number;
  /** `stopped`: it drained and exited on SIGTERM; `killed`: --force killed it after --timeout. */
  outcome: 'stopped' | 'killed';
  waited_ms: number;
  pid_file: string;
}

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary = 'Stop the background daemon: SIGTERM, then wait until it has finished its work and exited.';
  static override description = `Replaces the seed's "pkill -f run.py". Sends SIGTERM to the daemon named by the pid file (default
db/task_db/aics.pid beside the database; --pid-file, AICS_PID_FILE, or the --db it was started with) and waits up to
--timeout seconds while it stops accepting, finishes requests and sends in flight and closes the database. Only a
process that really is "aics serve" is signalled: a pid file left behind by a crash, or whose pid now belongs to
another program, is removed and reported instead. With --force, a daemon still running after --timeout is killed
(SIGKILL); nothing stored is lost (a task it was sending is taken up again by the next daemon), but a send under way
may be repeated.

When no daemon runs: says so and exits 3. The start record (aics.pid.json) is kept, so "aics restart" can start
the daemon again as it was.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Stop the daemon of the database in this folder', command: '<%= config.bin %> stop' },
    { description: 'Give it a minute, then kill it', command: '<%= config.bin %> stop --timeout 60 --force' },
    { description: 'The daemon of another database', command: '<%= config.bin %> stop --db /srv/aics/db/task_db/tasks.db' },
  ];
  static override flags = { 'pid-file': pidFileFlag, ...stopFlags };

  async run(): Promise<StopOutput> {
    const pidFile = pidFileFor(this.settings({ pidFile: this.flags['pid-file'] }));
    const result = await stopDaemon(pidFile, { timeoutMs: this.flags.timeout * 1000, force: this.flags.force });
    if (result.outcome === 'not-running') {
      if (result.stale) this.warnLine(result.stale);
      throw new DaemonUnreachableError(`aics is not running (no daemon for ${pidFile}); nothing to stop`);
    }
    if (result.outcome === 'timeout') throw stopTimeout(result.pid, result.waited_ms);
    if (!result.detached) {
      this.warnLine(
        `pid ${result.pid} ran in the foreground under a supervisor (systemd, docker?), which may start it again: stop it there, e.g. "systemctl stop aics"`,
      );
    }
    const seconds = (result.waited_ms / 1000).toFixed(1);
    this.say(
      result.outcome === 'stopped'
        ? `stopped aics (pid ${result.pid}) in ${seconds} s`
        : `killed aics (pid ${result.pid}) after ${seconds} s: it did not exit on SIGTERM within ${this.flags.timeout} s`,
    );
    return { stopped: true, pid: result.pid, outcome: result.outcome, waited_ms: result.waited_ms, pid_file: pidFile };
  }
}
