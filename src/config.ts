/**
 * Settings: flags > environment > `.env` and `.env.tianwang` in the working folder > defaults (DESIGN.md
 * "Settings"). The seed's names (AI_CS_HOST, AI_CS_PORT, HTTP_API_PORT, TIANWANG_CALLBACK_URL) are honoured
 * beside the AICS_ ones.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from './errors.js';
import { DEFAULT_DB_PATH } from './store/connection.js';
import { isStoreUrl, parseStoreLocation } from './store/location.js';
import { isValidTimeZone, systemTimeZone } from './tasks/time.js';

export interface Settings {
  host: string;
  port: number;
  db: string;
  /** Connections a PostgreSQL store keeps (--db-pool, AICS_DB_POOL, default 10); a SQLite file has one. */
  dbPool: number;
  qingjianUrl: string;
  /** null: the daemon's own sink, POST /api/task/callback at the address it listens on. */
  callbackUrl: string | null;
  /** When set, callbacks carry X-Aics-Signature: sha256=HMAC(body) (AICS_CALLBACK_SECRET). */
  callbackSecret: string | null;
  /** Where clients (the monitor, remote commands) find the daemon's API (AI_CS_API_URL). */
  apiUrl: string;
  dispatchUrl: string | null;
  apiToken: string | null;
  /**
   * AICS_SCOPE_ANY_CUSTOMER=1: an any-customer trigger (customer_reply, customer_keyword, customer_payment without
   * customer_id) in a task that names a customer fires only on that customer's messages. Off by default (the seed).
   */
  scopeAnyCustomer: boolean;
  /** Host names served without a token besides the loopback ones (AICS_ALLOWED_HOSTS, comma-separated). */
  allowedHosts: string[];
  logFile: string;
  /**
   * The pid file of a daemon (AICS_PID_FILE); null: none for a foreground `aics serve`, and beside the database
   * (`aics.pid`) for `serve --detach`, `stop`, `restart` and `status` (daemon/control/pid-file.ts).
   */
  pidFile: string | null;
  /** Lowest level written: trace, debug, info, warn, error, fatal (AICS_LOG_LEVEL). */
  logLevel: LogLevelName;
  /** Days delivered callbacks, received callbacks and chat messages are kept (AICS_RETENTION_DAYS, default 90; 0 = forever). */
  retentionDays: number;
  /** Sends a minute on one WeCom account (AICS_SEND_RATE, default 30; 0 = no limit): the polite sender. */
  sendRate: number;
  /** Sends a minute to one customer (AICS_SEND_RATE_CUSTOMER, default 12; 0 = no limit). */
  sendRateCustomer: number;
  timeZone: string;
  filesDir: string;
  llmBaseUrl: string | null;
  llmApiKey: string | null;
  llmModel: string | null;
  faqFile: string | null;
  /** The agent's settings (AICS_AGENT_*, AICS_LLM_*, AICS_HANDOFF_URL …); see docs/agent.md. */
  agent: AgentSettings;
}

/**
 * The polite sender's defaults: one send every 2 s on an account, 12 a minute to one customer (3 back to back). WeCom
 * throttles or bans accounts that send like a bot; a shop that knows its limits raises them.
 */
export const DEFAULT_SEND_RATE = 30;
export const DEFAULT_SEND_RATE_CUSTOMER = 12;
/** AICS_DB_POOL: enough for a daemon's concurrent writes, few enough for several daemons on one server. */
export const DEFAULT_DB_POOL = 10;
/** AICS_LLM_CONNECTIONS: enough for a burst of customers on a hosted LLM, few enough not to swamp a local model server. */
export const DEFAULT_LLM_CONNECTIONS = 64;

export const AGENT_PROVIDERS = ['rules', 'openai'] as const;
export type AgentProviderName = (typeof AGENT_PROVIDERS)[number];

export interface AgentSettings {
  /** AICS_AGENT_PROVIDER; default openai when AICS_LLM_BASE_URL is set, else rules. */
  provider: AgentProviderName;
  /** A burst ends after this much quiet (AICS_AGENT_QUIET_MS, default 1500). */
  quietMs: number;
  /** …or this long after its first message at the latest (AICS_AGENT_MAX_WAIT_MS, default 6000). */
  maxWaitMs: number;
  /** A human reply on our account pauses the agent for the customer this long (AICS_AGENT_TAKEOVER_MINUTES, 30). */
  takeoverMinutes: number;
  /** After 转接人工, the agent stays silent until released or this long (AICS_AGENT_HANDOFF_MINUTES, 240; 0 = until released). */
  handoffMinutes: number;
  /** Messages that fired a task are answered by the agent too (AICS_AGENT_ANSWER_TRIGGERS=1); default: the task's action is the answer. */
  answerTriggers: boolean;
  /** Minimum gap between two sends on one account (AICS_AGENT_SEND_GAP_MS, default 300). */
  sendGapMs: number;
  /** Answer parts kept while 轻简 is away or the daemon restarts; past it new answers are dropped, logged (AICS_AGENT_REPLY_QUEUE_MAX, 10000). */
  replyQueueMax: number;
  /** Replies longer than this are split at sentence boundaries (AICS_AGENT_MAX_REPLY_CHARS, default 500). */
  maxReplyChars: number;
  /** LLM failures in a row before the conversation goes to a human (AICS_AGENT_MAX_FAILURES, default 3). */
  maxFailures: number;
  /** Turns of the chat log the LLM sees (AICS_AGENT_MEMORY_TURNS, default 10). */
  memoryTurns: number;
  /** Words replaced with *** in replies, one a line (AICS_SENSITIVE_WORDS_FILE; default the built-in list). */
  sensitiveWordsFile: string | null;
  /** Where handoff notices go (AICS_HANDOFF_URL); null: the callback URL. */
  handoffUrl: string | null;
  /** AICS_LLM_TIMEOUT_MS, default 15000. */
  llmTimeoutMs: number;
  /** Requests to the LLM under way at once, and connections to it (AICS_LLM_CONNECTIONS, default 64); the rest queue. */
  llmConnections: number;
  /** AICS_LLM_SYSTEM_PROMPT_FILE; default the built-in prompts/agent-system.md. */
  systemPromptFile: string | null;
  /** Opening hours, e.g. "mon-fri 09:00-18:00, sat 10:00-16:00" (AICS_AGENT_HOURS); null: always open. */
  hours: string | null;
  /** Days closed, e.g. "2026-10-01..2026-10-07, 2027-01-01" (AICS_AGENT_HOLIDAYS). */
  holidays: string | null;
}

export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

/** What flags may override; undefined means "not given". */
export type SettingFlags = Partial<Omit<Settings, 'agent'>> & { agent?: Partial<AgentSettings> };

type Env = Record<string, string | undefined>;

/** Later files win over earlier ones; the real environment wins over both. */
export const ENV_FILES = ['.env', '.env.tianwang'] as const;

/** Parses KEY=VALUE lines (comments, `export`, single or double quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}

export function readEnvFiles(cwd: string): Env {
  const merged: Env = {};
  for (const name of ENV_FILES) {
    try {
      Object.assign(merged, parseEnvFile(readFileSync(join(cwd, name), 'utf8')));
    } catch {
      // an absent file is the normal case
    }
  }
  return merged;
}

function first(env: Env, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

function port(value: string | number, source: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ValidationError(`${source}: "${value}" is not a port (0-65535)`, source);
  return n;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The address a client on this machine uses for a server bound to `host` (0.0.0.0 → 127.0.0.1, IPv6 in brackets). */
export function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function resolveSettings(flags: SettingFlags = {}, processEnv: Env = process.env, cwd = process.cwd()): Settings {
  const env: Env = { ...readEnvFiles(cwd), ...processEnv };
  const host = flags.host ?? first(env, ['AI_CS_HOST', 'AICS_HOST']) ?? '127.0.0.1';
  const portSource =
    flags.port !== undefined ? '--port' : (['AI_CS_PORT', 'HTTP_API_PORT', 'AICS_PORT'].find((n) => first(env, [n])) ?? 'port');
  const httpPort = port(flags.port ?? first(env, ['AI_CS_PORT', 'HTTP_API_PORT', 'AICS_PORT']) ?? 6060, portSource);
  const timeZone = first(env, ['AICS_TZ', 'TZ']) ?? systemTimeZone();
  if (!isValidTimeZone(timeZone))
    throw new ValidationError(`AICS_TZ: unknown time zone "${timeZone}" (use an IANA name such as Asia/Shanghai)`, 'AICS_TZ');
  const logLevel = (flags.logLevel ?? first(env, ['AICS_LOG_LEVEL']) ?? 'info').toLowerCase();
  if (!(LOG_LEVEL_NAMES as readonly string[]).includes(logLevel)) {
    throw new ValidationError(`AICS_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVEL_NAMES.join(', ')}`, 'AICS_LOG_LEVEL');
  }
  const abs = (p: string) => resolve(cwd, p);
  const llmBaseUrl = flags.llmBaseUrl ?? first(env, ['AICS_LLM_BASE_URL']) ?? null;
  const pidFile = flags.pidFile ?? first(env, ['AICS_PID_FILE']);
  return {
    host,
    port: httpPort,
    db: storeSetting(flags.db ?? first(env, ['AICS_DB']) ?? DEFAULT_DB_PATH, abs),
    dbPool: flags.dbPool ?? integer(env, 'AICS_DB_POOL', DEFAULT_DB_POOL, 1, 1000),
    qingjianUrl: flags.qingjianUrl ?? first(env, ['AICS_QINGJIAN_URL']) ?? 'ws://127.0.0.1:9528',
    apiUrl: (flags.apiUrl ?? first(env, ['AI_CS_API_URL', 'AICS_API_URL']) ?? `http://${clientHost(host)}:${httpPort}`).replace(/\/+$/, ''),
    callbackUrl: flags.callbackUrl ?? first(env, ['TIANWANG_CALLBACK_URL']) ?? null,
    callbackSecret: flags.callbackSecret ?? first(env, ['AICS_CALLBACK_SECRET']) ?? null,
    dispatchUrl: flags.dispatchUrl ?? first(env, ['TIANWANG_DISPATCH_URL']) ?? null,
    apiToken: flags.apiToken ?? first(env, ['AICS_API_TOKEN']) ?? null,
    allowedHosts: flags.allowedHosts ?? list(first(env, ['AICS_ALLOWED_HOSTS'])),
    scopeAnyCustomer: flags.scopeAnyCustomer ?? flag(env, 'AICS_SCOPE_ANY_CUSTOMER'),
    logFile: abs(flags.logFile ?? first(env, ['AICS_LOG_FILE']) ?? 'logs/aics.log'),
    pidFile: pidFile ? abs(pidFile) : null,
    logLevel: logLevel as LogLevelName,
    retentionDays: flags.retentionDays ?? integer(env, 'AICS_RETENTION_DAYS', 90, 0, 36_500),
    sendRate: flags.sendRate ?? integer(env, 'AICS_SEND_RATE', DEFAULT_SEND_RATE, 0, 60_000),
    sendRateCustomer: flags.sendRateCustomer ?? integer(env, 'AICS_SEND_RATE_CUSTOMER', DEFAULT_SEND_RATE_CUSTOMER, 0, 60_000),
    timeZone,
    filesDir: abs(flags.filesDir ?? first(env, ['AICS_FILES_DIR']) ?? 'files'),
    llmBaseUrl,
    llmApiKey: flags.llmApiKey ?? first(env, ['AICS_LLM_API_KEY']) ?? null,
    llmModel: flags.llmModel ?? first(env, ['AICS_LLM_MODEL']) ?? null,
    faqFile: optionalPath(flags.faqFile ?? first(env, ['AICS_FAQ_FILE']), abs),
    agent: agentSettings(env, flags.agent ?? {}, llmBaseUrl, abs),
  };
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * A path is resolved against the working folder, as in the seed, and so is a file: or sqlite: URL (it names a file);
 * any other URL (postgres://…) is kept as it is, for openStore to read.
 */
function storeSetting(value: string, abs: (p: string) => string): string {
  if (!isStoreUrl(value)) return abs(value);
  const where = /^(file|sqlite):/i.test(value.trim()) ? parseStoreLocation(value, abs('.')) : null;
  return where?.kind === 'sqlite' ? where.file : value.trim();
}

function optionalPath(p: string | undefined | null, abs: (p: string) => string): string | null {
  return p ? abs(p) : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = first(env, [name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`, name);
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = first(env, [name]);
  if (raw === undefined) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ValidationError(`${name}: "${raw}" is not 1 or 0`, name);
}

function agentSettings(env: Env, flags: Partial<AgentSettings>, llmBaseUrl: string | null, abs: (p: string) => string): AgentSettings {
  const provider = (flags.provider ?? first(env, ['AICS_AGENT_PROVIDER']) ?? (llmBaseUrl ? 'openai' : 'rules')).toLowerCase();
  if (!(AGENT_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ValidationError(`AICS_AGENT_PROVIDER: "${provider}" is not one of ${AGENT_PROVIDERS.join(', ')}`, 'AICS_AGENT_PROVIDER');
  }
  if (provider === 'openai' && !llmBaseUrl) {
    throw new ValidationError(
      'AICS_AGENT_PROVIDER=openai needs AICS_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1)',
      'AICS_LLM_BASE_URL',
    );
  }
  return {
    provider: provider as AgentProviderName,
    quietMs: flags.quietMs ?? integer(env, 'AICS_AGENT_QUIET_MS', 1500, 0, 600_000),
    maxWaitMs: flags.maxWaitMs ?? integer(env, 'AICS_AGENT_MAX_WAIT_MS', 6000, 0, 600_000),
    takeoverMinutes: flags.takeoverMinutes ?? integer(env, 'AICS_AGENT_TAKEOVER_MINUTES', 30, 0, 7 * 24 * 60),
    handoffMinutes: flags.handoffMinutes ?? integer(env, 'AICS_AGENT_HANDOFF_MINUTES', 240, 0, 30 * 24 * 60),
    answerTriggers: flags.answerTriggers ?? flag(env, 'AICS_AGENT_ANSWER_TRIGGERS'),
    sendGapMs: flags.sendGapMs ?? integer(env, 'AICS_AGENT_SEND_GAP_MS', 300, 0, 60_000),
    replyQueueMax: flags.replyQueueMax ?? integer(env, 'AICS_AGENT_REPLY_QUEUE_MAX', 10_000, 1, 1_000_000),
    maxReplyChars: flags.maxReplyChars ?? integer(env, 'AICS_AGENT_MAX_REPLY_CHARS', 500, 20, 10_000),
    maxFailures: flags.maxFailures ?? integer(env, 'AICS_AGENT_MAX_FAILURES', 3, 1, 100),
    memoryTurns: flags.memoryTurns ?? integer(env, 'AICS_AGENT_MEMORY_TURNS', 10, 0, 200),
    sensitiveWordsFile: optionalPath(flags.sensitiveWordsFile ?? first(env, ['AICS_SENSITIVE_WORDS_FILE']), abs),
    handoffUrl: flags.handoffUrl ?? first(env, ['AICS_HANDOFF_URL']) ?? null,
    llmTimeoutMs: flags.llmTimeoutMs ?? integer(env, 'AICS_LLM_TIMEOUT_MS', 15_000, 100, 600_000),
    llmConnections: flags.llmConnections ?? integer(env, 'AICS_LLM_CONNECTIONS', DEFAULT_LLM_CONNECTIONS, 1, 4096),
    systemPromptFile: optionalPath(flags.systemPromptFile ?? first(env, ['AICS_LLM_SYSTEM_PROMPT_FILE']), abs),
    hours: flags.hours ?? first(env, ['AICS_AGENT_HOURS']) ?? null,
    holidays: flags.holidays ?? first(env, ['AICS_AGENT_HOLIDAYS']) ?? null,
  };
}
