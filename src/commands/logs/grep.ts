import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { LOG_LEVEL_NAMES, type LogLevelName } from '../../config.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PATTERN_LINE_TIMEOUT_MS } from '../../log-pattern.js';
import { compilePattern, matchLine, parseSince, readLogLines, type LogFilter } from '../../log-reader.js';
import { readRotatedLines, rotatedLogFiles } from '../../log-rotated.js';

export default class LogsGrep extends BaseCommand<typeof LogsGrep> {
  static override summary = "Search the daemon's log file by pattern, level, task, customer and time; --follow like tail -f.";
  static override description = `Reads the JSON lines that "aics serve" writes (--log-file, AICS_LOG_FILE, default logs/aics.log) and prints the
matching ones as readable lines, or as the raw JSON records with --json. PATTERN is a regular expression tested against
the readable line (time, level, message, fields), so the seed's recipes become:
  grep "任务" /tmp/tianwang.log      →  aics logs grep 任务
  grep "派单" /tmp/tianwang.log      →  aics logs grep 派单
  tail -f … | grep "ERROR"          →  aics logs grep --level error --follow
--follow keeps reading as lines are appended, and carries on when logrotate moves the file away (SIGUSR2 reopen),
truncates it, or before the file exists. Lines that are not JSON are matched by PATTERN only. A PATTERN that could
backtrack badly (a quantified group such as (a+)+, a backreference) gets at most 250 ms per line: lines it runs out
of time on are skipped and counted on stderr. Control characters in the log are printed escaped (\u001b).
Exit 1 when no line matched (as grep does); 4 when the log file does not exist.

The rotated copies logrotate leaves beside the file (aics.log.1, aics.log.2.gz, … or aics.log-20260228.gz) are
searched first, oldest first, gunzipped as needed (--no-rotated: the current file only); with --since, copies last
written before then are skipped unread.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Every task received (the seed\'s grep "任务")', command: '<%= config.bin %> logs grep 任务接收' },
    { description: 'Errors of the last two hours', command: '<%= config.bin %> logs grep --level error --since 2h' },
    { description: 'The story of one task, as it happens', command: '<%= config.bin %> logs grep --task TASK_20260227_001 --follow' },
    {
      description: "One customer's lines since a time, as JSON records",
      command: '<%= config.bin %> logs grep --customer customer_123 --since "2026-02-28 09:00" --json',
    },
  ];
  static override args = {
    pattern: Args.string({
      description: 'Regular expression (JavaScript syntax); omitted: every line that passes the other filters.',
      required: false,
    }),
  };
  static override flags = {
    level: Flags.string({ char: 'l', summary: 'This level and above.', options: [...LOG_LEVEL_NAMES] }),
    task: Flags.string({ char: 't', summary: 'Only lines about this task_id.' }),
    customer: Flags.string({ char: 'c', summary: 'Only lines about this customer_id.' }),
    since: Flags.string({
      char: 's',
      summary: 'Only lines since: a duration before now (30s, 10m, 2h, 1d) or a time (ISO 8601, or "2026-02-28 09:00" in AICS_TZ).',
    }),
    follow: Flags.boolean({ char: 'f', summary: 'Keep reading new lines, across log rotation, until interrupted.' }),
    'ignore-case': Flags.boolean({ char: 'i', summary: 'Match PATTERN regardless of case.' }),
    'log-file': Flags.string({ summary: 'Log file to read (env AICS_LOG_FILE; default logs/aics.log).', helpValue: 'FILE' }),
    rotated: Flags.boolean({
      summary: 'Search the rotated copies beside the file too (aics.log.1, aics.log.2.gz …).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const { flags } = this;
    const settings = this.settings({ logFile: flags['log-file'] });
    const zone = settings.timeZone;
    const pattern = compilePattern(this.args.pattern, flags['ignore-case']);
    const filter: LogFilter = {
      pattern,
      minLevel: flags.level as LogLevelName | undefined,
      taskId: flags.task,
      customerId: flags.customer,
      sinceMs: flags.since === undefined ? undefined : parseSince(flags.since, Date.now(), zone),
    };
    const json = this.jsonEnabled();
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let matched = 0;
    try {
      const rotated = flags.rotated ? rotatedLogFiles(resolve(settings.logFile)) : [];
      for (const file of rotated) {
        if (filter.sinceMs !== undefined && file.mtimeMs < filter.sinceMs) continue;
        for await (const line of readRotatedLines(file.path)) {
          if (stop.signal.aborted) return;
          const match = matchLine(line, filter, zone);
          if (match) process.stdout.write(`${json ? match.raw.trim() : match.text}\n`);
        }
      }
      // Between two rotations the current file may not exist yet: the copies were the whole story.
      if (rotated.length && !flags.follow && !existsSync(settings.logFile)) return;
      for await (const line of readLogLines(settings.logFile, { follow: flags.follow, signal: stop.signal })) {
        const match = matchLine(line, filter, zone);
        if (match) {
          matched++;
          process.stdout.write(`${json ? match.raw.trim() : match.text}\n`);
        }
      }
      // Like grep: exit 1 when no line matched, so scripts can test for a line.
      if (matched === 0) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (pattern?.timedOut) {
        this.warn(
          `PATTERN took longer than ${PATTERN_LINE_TIMEOUT_MS} ms on ${pattern.timedOut} line(s); they were skipped (simplify the pattern)`,
        );
      }
    }
  }
}
