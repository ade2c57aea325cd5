import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag, stopFlags } from '../cli/daemon-flags.js';
import { restartDaemon } from '../cli/control/stop-restart.js';
import { pidFileFor } from '../daemon/control/pid-file.js';

export interface RestartOutput {
  /** `restarted`: a running daemon was stopped and started again; `started`: none ran, the start record was used. */
  outcome: 'restarted' | 'started';
  previous_pid: number | null;
  pid: number;
  url: string;
  log_file: string;
  pid_file: string;
}

export default class Restart extends BaseCommand<typeof Restart> {
  static override summary = 'Stop the background daemon and start it again, as it was started (safe from cron).';
  static override description = `Replaces the seed's "pkill -f run.py && sleep 2 && nohup python3 run.py … &" cron line. Stops the
daemon of the pid file as "aics stop" does (--timeout, --force), then starts it again with the arguments, working
folder and aics environment (AICS_*, AI_CS_*, TIANWANG_*, HTTP_API_PORT, TZ) kept in its start record
(aics.pid.json beside the pid file): cron's bare environment and another working folder change nothing. The .env
files of that folder are read again, so a changed setting there takes effect. It returns once the new daemon
answers GET /api/health, printing its pid and URL.

Nothing is lost: tasks are in the database, the daemon drains before it exits, and the new one takes up waiting
tasks, due times and undelivered callbacks.

No daemon running but a start record: it is started (and "was not running" said). Neither: exit 3 — start it
once with "aics serve --detach".

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Restart the daemon of the database in this folder', command: '<%= config.bin %> restart' },
    {
      description: 'From cron, every night at 03:00: add this line to the crontab (cron runs it in /srv/aics with a bare environment)',
      command: `(crontab -l; echo '0 3 * * * cd /srv/aics && /usr/bin/env <%= config.bin %> restart >> logs/cron.log 2>&1') | crontab -`,
    },
    { description: 'Kill it if it has not stopped within 30 s', command: '<%= config.bin %> restart --timeout 30 --force' },
  ];
  static override flags = { 'pid-file': pidFileFlag, ...stopFlags };

  async run(): Promise<RestartOutput> {
    const pidFile = pidFileFor(this.settings({ pidFile: this.flags['pid-file'] }));
    const result = await restartDaemon(pidFile, { timeoutMs: this.flags.timeout * 1000, force: this.flags.force });
    const { started } = result;
    if (started.replaced && result.outcome === 'restarted') this.warnLine(`${started.replaced}; replaced it`);
    if (result.outcome === 'started') {
      this.say(`aics was not running (${result.was}); started it as recorded: pid ${started.pid}, ${started.url}, log ${started.log_file}`);
    } else {
      const how = result.stopped.outcome === 'killed' ? 'killed' : 'stopped';
      this.say(`${how} pid ${result.stopped.pid} and started aics again: pid ${started.pid}, ${started.url}, log ${started.log_file}`);
    }
    return {
      outcome: result.outcome,
      previous_pid: result.outcome === 'restarted' ? result.stopped.pid : null,
      pid: started.pid,
      url: started.url,
      log_file: started.log_file,
      pid_file: pidFile,
    };
  }
}
