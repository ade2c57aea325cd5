import * as Flags from '@oclif/core/flags';
import { render, renderToString } from 'ink';
import { createElement } from 'react';
import { AicsClient } from '../api/client.js';
import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { localTime } from '../cli/format.js';
import { pidFileFlag } from '../cli/daemon-flags.js';
import type { Settings } from '../config.js';
import { recordToken } from '../cli/control/daemon-status.js';
import { inspectPidFile, pidFileFor } from '../daemon/control/pid-file.js';
import { DaemonUnreachableError } from '../errors.js';
import { Monitor, MonitorView } from '../tui/monitor.js';
import { takeSnapshot, type Snapshot } from '../tui/snapshot.js';

export default class MonitorCommand extends BaseCommand<typeof MonitorCommand> {
  static override summary = 'Watch a running daemon live: 轻简 bridge, task counts, callback backlog, newest tasks.';
  static override description = `Asks the daemon's HTTP API (GET /api/health and /api/task/list) every --interval seconds and redraws: the
mode and uptime, whether the 轻简 bridge is connected (reconnects, messages received, sends acked), the tasks by
status, the callbacks still waiting to reach Tianwang (with the last delivery error) and the newest tasks. While
the daemon does not answer it says so and keeps asking. Keys: q quits, r refreshes now.

Not on a terminal (a pipe, cron), or with --once, it prints one frame and exits; with --json, the snapshot as
JSON. Exit 3 when the daemon does not answer (--once / --json). The daemon is found at --url, else AI_CS_API_URL,
else as "aics status" finds it: the start record beside the database's pid file (--pid-file, AICS_PID_FILE; the
real port also with --port 0, and the token it was started with), else the local address of its port (AI_CS_PORT).
AICS_API_TOKEN is sent when set.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Watch the local daemon', command: '<%= config.bin %> monitor' },
    {
      description: 'Another daemon, every 5 seconds',
      command: 'AICS_API_TOKEN=… <%= config.bin %> monitor --url http://10.0.0.5:6060 --interval 5',
    },
    { description: 'One frame, e.g. for a log or a cron mail', command: '<%= config.bin %> monitor --once' },
  ];
  static override flags = {
    url: Flags.string({ summary: 'Where the daemon answers (env AI_CS_API_URL; default http://127.0.0.1:<port>).', helpValue: 'URL' }),
    interval: Flags.integer({ summary: 'Seconds between refreshes.', default: 1, min: 1, max: 3600 }),
    once: Flags.boolean({ summary: 'Print one frame and exit (the default when not on a terminal).' }),
    recent: Flags.integer({ summary: 'How many of the newest tasks to show.', default: 10, min: 0, max: 200 }),
    'pid-file': pidFileFlag,
  };

  async run(): Promise<Snapshot | void> {
    const settings = this.settings({ apiUrl: this.flags.url, pidFile: this.flags['pid-file'] });
    const where = daemonAddress(settings, this.flags.url !== undefined || Boolean(process.env.AI_CS_API_URL ?? process.env.AICS_API_URL));
    const client = new AicsClient({ baseUrl: where.url, token: where.token, timeoutMs: 5000 });
    const formatTime = (iso: string) => localTime(iso, settings.timeZone);
    const intervalMs = this.flags.interval * 1000;
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !this.flags.once && !this.jsonEnabled();
    if (interactive) {
      const app = render(createElement(Monitor, { client, intervalMs, recentCount: this.flags.recent, formatTime }));
      await app.waitUntilExit();
      return;
    }
    const snap = await takeSnapshot(client, this.flags.recent);
    if (!this.jsonEnabled()) {
      process.stdout.write(
        `${renderToString(createElement(MonitorView, { snap, baseUrl: client.baseUrl, intervalMs, formatTime }), { columns: 120 })}\n`,
      );
    }
    if (snap.error) {
      process.exitCode = new DaemonUnreachableError(snap.error).exitCode;
    }
    return snap;
  }
}

/** Where the daemon answers: an explicit URL, else its start record (as `aics status` reads it), else the default port. */
function daemonAddress(settings: Settings, explicit: boolean): { url: string; token: string | null } {
  if (!explicit) {
    const found = inspectPidFile(pidFileFor(settings));
    if (found.state === 'running' && found.record?.pid === found.pid && found.record.url) {
      return { url: found.record.url, token: recordToken(found.record, settings.apiToken) };
    }
  }
  return { url: settings.apiUrl, token: settings.apiToken };
}
