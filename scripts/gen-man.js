#!/usr/bin/env node
/**
 * Writes man/aics.1 from the commands' own metadata (summary, description, args, flags, examples), so the man
 * page never drifts from `aics --help`. Reads the built package: run `npm run build` first.
 *
 *   node scripts/gen-man.js             write man/aics.1
 *   node scripts/gen-man.js --check     exit 1 if man/aics.1 differs from what would be written
 *   --out FILE                          another file instead of man/aics.1 (for tests)
 *
 * The output is deterministic: commands and flags sorted, no dates, versions or machine paths.
 */
import { Config } from '@oclif/core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runGenerator } from './generated-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** DESIGN.md "Settings": every variable that src/config.ts reads, in the order an operator needs them. */
const ENVIRONMENT = [
  ['AICS_DB', 'The SQLite task database file (default db/task_db/tasks.db, relative to the working folder). --db overrides it.'],
  [
    'AICS_TZ',
    "IANA time zone in which time_reach times and cron expressions are read and times are shown, e.g. Asia/Shanghai (then TZ, then the system's zone).",
  ],
  [
    'AI_CS_HOST',
    "Address the daemon's HTTP API binds (default 127.0.0.1; AICS_HOST is also read). Any non-loopback address requires AICS_API_TOKEN.",
  ],
  ['AI_CS_PORT', 'Port of the HTTP API (default 6060; HTTP_API_PORT and AICS_PORT are also read, in that order).'],
  ['HTTP_API_PORT', "The seed's name for the HTTP API port, honoured when AI_CS_PORT is not set."],
  ['TIANWANG_CALLBACK_URL', "Where task results are POSTed (default http://127.0.0.1:PORT/api/task/callback, the daemon's own sink)."],
  ['TIANWANG_DISPATCH_URL', 'Where orders dispatched by the agent (派单) are POSTed; unset, they are kept and logged.'],
  ['AICS_API_TOKEN', 'Bearer token the HTTP API requires; required when the API binds a non-loopback address.'],
  ['AICS_LOG_FILE', "The daemon's log file, JSON lines (default logs/aics.log)."],
  [
    'AICS_PID_FILE',
    "The daemon's pid file (default aics.pid beside the database), used by serve --detach, stop, restart and status; when set, aics serve in the foreground writes it too. --pid-file overrides it.",
  ],
  ['AICS_FILES_DIR', "The folder that a task's file_url may name paths in (default files/); anything else must be an http(s) URL."],
  ['AICS_QINGJIAN_URL', 'WebSocket of the 轻简 bridge (default ws://127.0.0.1:9528).'],
  [
    'AICS_LLM_BASE_URL, AICS_LLM_API_KEY, AICS_LLM_MODEL',
    'An OpenAI-compatible endpoint for the AI agent; unset, the built-in rules answer.',
  ],
  ['AICS_FAQ_FILE', 'The FAQ file of the built-in rules, YAML or JSON (default: faq/sample-print-shop.yaml, shipped with aics).'],
  ['AICS_AGENT_PROVIDER', "The agent's provider: rules (no network) or openai (default openai when AICS_LLM_BASE_URL is set, else rules)."],
  [
    'AICS_LLM_TIMEOUT_MS, AICS_LLM_SYSTEM_PROMPT_FILE',
    'Timeout of one LLM request (default 15000; then the rules answer) and the system prompt file (default prompts/agent-system.md).',
  ],
  [
    'AICS_LLM_CONNECTIONS',
    'LLM requests under way at once, and connections to the endpoint (default 64); in a burst the other turns wait for a free one, and the timeout starts only then.',
  ],
  [
    'AICS_AGENT_QUIET_MS, AICS_AGENT_MAX_WAIT_MS',
    'A burst of customer messages is answered once after this much quiet (default 1500) or this long after its first message (default 6000).',
  ],
  ['AICS_AGENT_TAKEOVER_MINUTES', 'A human reply on our account pauses the agent for that customer this long (default 30).'],
  [
    'AICS_AGENT_HANDOFF_MINUTES',
    'After 转接人工 the agent stays silent for the customer until aics agent release or this long (default 240; 0: until released).',
  ],
  [
    'AICS_AGENT_ANSWER_TRIGGERS',
    "Set to 1 to let the agent answer messages that fired a task too (default: the task's action is the answer).",
  ],
  [
    'AICS_AGENT_SEND_GAP_MS, AICS_AGENT_MAX_REPLY_CHARS',
    'Minimum gap between two agent sends on one account (default 300) and the length above which replies are split at sentence ends (default 500).',
  ],
  [
    'AICS_AGENT_REPLY_QUEUE_MAX',
    'Agent answer parts kept while the 轻简 bridge is away or across a restart (default 10000); past it a new answer is dropped and logged.',
  ],
  [
    'AICS_AGENT_MAX_FAILURES, AICS_AGENT_MEMORY_TURNS',
    'LLM failures in a row before the customer goes to a human (default 3); turns of the chat log the LLM sees (default 10).',
  ],
  [
    'AICS_AGENT_HOURS, AICS_AGENT_HOLIDAYS',
    'Business hours in AICS_TZ, e.g. "mon-fri 09:00-18:00, sat 10:00-16:00", and days closed, e.g. "2026-10-01..2026-10-07, 2027-01-01". Outside them the agent says the off-hours message once per conversation and queues 转接人工 for the next opening. Unset: always open.',
  ],
  ['AICS_SENSITIVE_WORDS_FILE', "Words replaced with *** in the agent's replies, one a line (default: faq/sensitive-words.txt)."],
  ['AICS_HANDOFF_URL', 'Where handoff notices (转接人工) are POSTed (default: the callback URL; the body\'s "event" is "handoff").'],
  ['AICS_CALLBACK_SECRET', 'When set, callbacks, orders and handoff notices carry X-Aics-Signature: sha256=HMAC(body).'],
  ['AICS_LOG_LEVEL', 'trace, debug, info (default), warn, error or fatal.'],
  [
    'AICS_RETENTION_DAYS',
    'Days that delivered callbacks, received callbacks and the chat log are kept (default 90; 0: forever). Tasks are always kept; message de-duplication keys go after 7 days.',
  ],
  [
    'NOTIFY_SOCKET, WATCHDOG_USEC',
    'Set by systemd for Type=notify units: aics serve sends READY=1 once it listens, STOPPING=1 when it drains, and WATCHDOG=1 every third of the watchdog interval (through systemd-notify).',
  ],
  ['AICS_SYSTEMD_NOTIFY', 'The systemd-notify program to send those messages with (default: systemd-notify on the PATH).'],
  ['NO_COLOR', 'Set to print tables without colour.'],
  ['DEBUG', 'Set to print the stack trace of an unexpected error (exit 1).'],
];

const FILES = [
  [
    'db/task_db/tasks.db',
    "The task database (SQLite, WAL mode), relative to the working folder, as in the old system. The seed's sqlite3 queries work on it.",
  ],
  [
    'db/task_db/tasks.db-wal, db/task_db/tasks.db-shm',
    "SQLite's write-ahead log and its index. Never copy the database without them while the daemon runs: use aics db backup.",
  ],
  [
    'db/task_db/aics.pid',
    'The pid of the daemon of that database, written once it listens and removed when it exits (AICS_PID_FILE, --pid-file). A stale one (a crash, a reused pid) is recognised and replaced.',
  ],
  [
    'db/task_db/aics.pid.json',
    'The start record beside the pid file: the arguments, working folder and aics environment the daemon was started with, the URL it listens on and its log file. aics restart starts the daemon again from it (also from cron); readable by its owner only, as it may hold AICS_API_TOKEN.',
  ],
  ['.env, .env.tianwang', 'KEY=VALUE settings read from the working folder; the real environment wins over them, and flags over both.'],
  [
    'logs/aics.log',
    "The daemon's log (AICS_LOG_FILE); its lines keep the old keywords: 任务接收, 任务触发, 任务完成, 任务失败, 派单, 转接人工. Rotated copies beside it (aics.log.1, aics.log.2.gz …; deploy/aics.logrotate) are searched by aics logs grep too.",
  ],
  ['files/', 'Files that tasks may send by path (AICS_FILES_DIR).'],
];

/** Text → roff: backslashes and hyphens escaped, no line may start with a control character. */
function esc(text) {
  return String(text)
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** Paragraphs (blank-line separated) as filled roff text. */
function paragraphs(text) {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => esc(p.replace(/\n/g, ' ').replace(/\s+/g, ' ').trim()))
    .join('\n.PP\n');
}

function render(template, bin) {
  return template.replace(/<%=\s*config\.bin\s*%>/g, bin);
}

function flagValue(flag) {
  if (flag.type === 'boolean') return '';
  return flag.helpValue ?? 'VALUE';
}

function flagHeading(flag) {
  const value = flagValue(flag);
  const long = `\\fB\\-\\-${esc(flag.name)}\\fR${value ? `=\\fI${esc(value)}\\fR` : ''}`;
  return flag.char ? `\\fB\\-${esc(flag.char)}\\fR, ${long}` : long;
}

function flagText(flag) {
  const parts = [flag.summary ?? flag.description ?? ''];
  if (flag.summary && flag.description) parts.push(flag.description);
  if (flag.options) parts.push(`One of: ${flag.options.join(', ')}.`);
  if (flag.default !== undefined && typeof flag.default !== 'function') parts.push(`Default: ${flag.default}.`);
  if (flag.multiple) parts.push('May be given more than once.');
  if (flag.required) parts.push('Required.');
  return esc(parts.filter(Boolean).join(' '));
}

function synopsis(cmd, bin, separator) {
  const words = [`\\fB${esc(bin)} ${esc(cmd.id.split(':').join(separator))}\\fR`];
  for (const [name, arg] of Object.entries(cmd.args ?? {})) {
    words.push(arg.required ? `\\fI${esc(name.toUpperCase())}\\fR` : `[\\fI${esc(name.toUpperCase())}\\fR]`);
  }
  for (const flag of sortedFlags(cmd.flags).filter((f) => f.required)) {
    words.push(`\\fB\\-\\-${esc(flag.name)}\\fR${flagValue(flag) ? ` \\fI${esc(flagValue(flag))}\\fR` : ''}`);
  }
  words.push('[\\fIflags\\fR]');
  return words.join(' ');
}

/** Command flags by name, then the global ones (--db, --json). */
function sortedFlags(flags) {
  const all = Object.values(flags ?? {}).filter((f) => !f.hidden);
  const own = all.filter((f) => f.helpGroup !== 'GLOBAL').sort((a, b) => a.name.localeCompare(b.name));
  const global = all.filter((f) => f.helpGroup === 'GLOBAL').sort((a, b) => a.name.localeCompare(b.name));
  return [...own, ...global];
}

async function generate() {
  if (!existsSync(join(root, 'dist', 'commands'))) {
    throw new Error('dist/commands is missing: run "npm run build" first');
  }
  const config = await Config.load({ root });
  const { EXIT_CODES_HELP } = await import(pathToFileURL(join(root, 'dist', 'cli', 'base-command.js')).href);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const bin = config.bin;
  const separator = config.topicSeparator ?? ' ';

  const commands = [];
  for (const cached of [...config.commands].filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))) {
    const cls = await cached.load();
    commands.push({
      id: cached.id,
      summary: cls.summary ?? cached.summary ?? '',
      description: (cls.description ?? cached.description ?? '').replace(EXIT_CODES_HELP, '').trim(),
      examples: cls.examples ?? cached.examples ?? [],
      args: cls.args ?? cached.args ?? {},
      // oclif's cached view has the command's flags merged with the base flags and --json.
      flags: cached.flags,
    });
  }
  const topics = new Map(config.topics.filter((t) => !t.name.includes(':')).map((t) => [t.name, t.description ?? '']));

  const out = [];
  out.push(`.\\" Generated by scripts/gen-man.js from the commands' metadata: do not edit. Regenerate with: npm run man`);
  out.push(`.TH AICS 1 "" "${esc(bin)}" "aics manual"`);
  out.push('.SH NAME');
  out.push(`${esc(bin)} \\- ${esc(pkg.description)}`);

  out.push('.SH SYNOPSIS');
  commands.forEach((cmd, i) => {
    if (i > 0) out.push('.br');
    out.push(synopsis(cmd, bin, separator));
  });

  out.push('.SH DESCRIPTION');
  out.push(
    paragraphs(`${bin} receives tasks from the 天网 (Tianwang) dispatch server, stores them in SQLite, fires each one once when its trigger is met (a customer's reply, a keyword, a payment, a time or a cron schedule), sends the message or file through the 轻简 (Qingjian) bridge to 企业微信 (WeCom), and calls Tianwang back. It replaces the Python run.py system and keeps its HTTP API, trigger types, table columns, environment variables and log words.

The commands below read and write the same database as the daemon, so they work whether or not it runs. Every command takes --json (standard output then carries data only, and an error is a JSON object with its exit code) and --db FILE. Human-readable errors are one line on standard error, naming the field or flag at fault. Times are shown in the zone of AICS_TZ.`),
  );

  out.push('.PP');
  out.push('The commands are grouped in topics:');
  for (const [name, description] of topics) {
    if (!commands.some((c) => c.id.startsWith(`${name}:`))) continue; // a topic whose commands are still to come
    out.push('.TP');
    out.push(`.B ${esc(`${bin} ${name}`)}`);
    out.push(esc(description));
  }

  out.push('.SH COMMANDS');
  for (const cmd of commands) {
    out.push(`.SS "${esc(`${bin} ${cmd.id.split(':').join(separator)}`)}"`);
    out.push(synopsis(cmd, bin, separator));
    out.push('.PP');
    out.push(esc(cmd.summary));
    if (cmd.description) {
      out.push('.PP');
      out.push(paragraphs(cmd.description));
    }
    const args = Object.entries(cmd.args);
    if (args.length) {
      out.push('.PP');
      out.push('Arguments:');
      for (const [argName, arg] of args) {
        out.push('.TP');
        out.push(`\\fI${esc(argName.toUpperCase())}\\fR`);
        out.push(esc(arg.description ?? ''));
      }
    }
    const flags = sortedFlags(cmd.flags);
    if (flags.length) {
      out.push('.PP');
      out.push('Flags:');
      for (const flag of flags) {
        out.push('.TP');
        out.push(flagHeading(flag));
        out.push(flagText(flag));
      }
    }
    if (cmd.examples.length) {
      out.push('.PP');
      out.push('Examples:');
      for (const example of cmd.examples) {
        const { description, command } = typeof example === 'string' ? { description: '', command: example } : example;
        out.push('.PP');
        if (description) out.push(esc(render(description, bin)));
        out.push('.RS 4');
        out.push('.nf');
        out.push(esc(`$ ${render(command, bin)}`));
        out.push('.fi');
        out.push('.RE');
      }
    }
  }

  out.push('.SH "EXIT STATUS"');
  for (const line of EXIT_CODES_HELP.split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    out.push('.TP');
    out.push(`.B ${m[1]}`);
    out.push(esc(m[2]));
  }

  out.push('.SH ENVIRONMENT');
  out.push(
    paragraphs(
      'Settings are taken from flags, then the environment, then .env and .env.tianwang in the working folder, then defaults. Relative paths are resolved against the working folder.',
    ),
  );
  for (const [name, text] of ENVIRONMENT) {
    out.push('.TP');
    out.push(`.B ${esc(name)}`);
    out.push(esc(text));
  }

  out.push('.SH FILES');
  for (const [name, text] of FILES) {
    out.push('.TP');
    out.push(`.I ${esc(name)}`);
    out.push(esc(text));
  }

  out.push('.SH "SEE ALSO"');
  out.push('.BR sqlite3 (1),');
  out.push('.BR systemd.service (5)');
  return `${out.join('\n')}\n`;
}

function firstDifference(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

await runGenerator({
  name: 'gen-man',
  defaultOut: join(root, 'man', 'aics.1'),
  generate,
  differs: (current, text) => `differs from the commands' metadata (first at line ${firstDifference(current, text)})`,
  fix: 'run "npm run build && npm run man" and commit it',
});
