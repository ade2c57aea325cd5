import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag } from '../cli/daemon-flags.js';
import { daemonStatus } from '../cli/control/daemon-status.js';
import { pidFileFor } from '../daemon/control/pid-file.js';
import { runChecks, type CheckResult } from '../doctor/checks.js';

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Check everything the desk needs, one line per check, with what to do about each problem.';
  static override description = `Checks, with the settings "aics serve" would use here (flags > environment > .env files):
  node          the Node version and the installed better-sqlite3 (Node 20 reached its end of life in April 2026:
                a warning; better-sqlite3 12 on Node 24, or 13 on Node 20: a failure, reinstall with this Node)
  database      the file opens and passes SQLite's quick_check; schema: its version; disk: free space beside it
  port          the HTTP port is free, or held by this database's aics daemon
  轻简 bridge   the daemon is connected and WeCom accounts are online (or, without a daemon, the bridge accepts a connection)
  callback URL  TIANWANG_CALLBACK_URL answers; dispatch URL: TIANWANG_DISPATCH_URL answers (any HTTP status)
  token         AICS_API_TOKEN is set when the host is not loopback
  clock         the time zone is valid, and the clock agrees with Tianwang's (its Date header) within a minute
  log file      the log file can be written
  LLM           AICS_LLM_BASE_URL answers with the key, when the agent uses an LLM
Verdicts: ok, warn (works, but see to it), fail, skip (not configured or not applicable). Changes nothing.

Exit 0 when no check fails (--strict: and none warns); exit 1 otherwise.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Before (or instead of) asking for help', command: '<%= config.bin %> doctor' },
    { description: 'For a monitoring script', command: '<%= config.bin %> doctor --json' },
  ];
  static override flags = {
    port: Flags.integer({ summary: 'The HTTP port to check (as serve --port; env AI_CS_PORT, HTTP_API_PORT).', min: 0, max: 65535 }),
    host: Flags.string({ summary: 'The address to check (as serve --host; env AI_CS_HOST).' }),
    'qingjian-url': Flags.string({
      summary: 'The 轻简 bridge to check (as serve --qingjian-url; env AICS_QINGJIAN_URL).',
      helpValue: 'URL',
    }),
    'pid-file': pidFileFlag,
    timeout: Flags.integer({ summary: 'Seconds each network probe may take.', default: 3, min: 1, max: 60, helpValue: 'SECONDS' }),
    strict: Flags.boolean({ summary: 'Warnings fail too (exit 1).' }),
  };

  async run(): Promise<{ ok: boolean; checks: CheckResult[] }> {
    const { flags } = this;
    const settings = this.settings({ port: flags.port, host: flags.host, qingjianUrl: flags['qingjian-url'], pidFile: flags['pid-file'] });
    const daemon = await daemonStatus(pidFileFor(settings), { token: settings.apiToken, timeoutMs: flags.timeout * 1000 });
    const checks = await runChecks({ settings, daemon, timeoutMs: flags.timeout * 1000 });
    const failing = checks.filter((c) => c.verdict === 'fail' || (flags.strict && c.verdict === 'warn'));
    const width = Math.max(...checks.map((c) => columns(c.check)));
    for (const c of checks) {
      this.say(
        `${c.verdict.toUpperCase().padEnd(4)}  ${c.check}${' '.repeat(width - columns(c.check))}  ${c.detail}${c.fix && c.verdict !== 'ok' ? ` — ${c.fix}` : ''}`,
      );
    }
    this.say(failing.length ? `${failing.length} of ${checks.length} checks need attention` : `all ${checks.length} checks pass`);
    if (failing.length) process.exitCode = 1;
    return { ok: failing.length === 0, checks };
  }
}

/** Terminal columns of a label: CJK characters take two. */
function columns(text: string): number {
  let n = 0;
  for (const ch of text) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return n;
}
