/**
 * The base of every `aics` command: the shared --json and --db flags, one mapping from errors to exit codes,
 * stdout for data and stderr for warnings and errors.
 */
// oclif's modules, not its index: the index loads all of oclif, and semver to check its own engines, on every start.
import type { Interfaces } from '@oclif/core';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolveSettings, type SettingFlags, type Settings } from '../config.js';
import { AicsError, ExitCode, NotFoundError, ValidationError, loggedErrors } from '../errors.js';
import { DETACHED_ENV } from '../daemon/control/pid-file.js';
import {
  openStore,
  parseStoreLocation,
  redactUrl,
  type PauseState,
  type Store,
  type StoreMaintenance,
  type TaskStore,
} from '../store/index.js';
import type { AppContext } from '../app/index.js';
import type { CommandLog } from './command-log.js';
import { localTime } from './format.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export const EXIT_CODES_HELP = `EXIT CODES
  0  ok
  1  unexpected error
  2  bad input or usage (the message names the field or flag)
  3  daemon not running or unreachable
  4  not found
  5  not allowed in the current state (a task that ran, a daemon already running), or a conflicting task_id
  6  database written by a newer aics
  7  database unavailable (locked, read-only, damaged)
  8  running but degraded (aics status: the 轻简 bridge is away, tasks left pending, 派单 held)`;

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    db: Flags.string({
      summary: 'Task database: a SQLite file, or postgres://user:pass@host:port/db (env AICS_DB).',
      description:
        'Relative paths are resolved against the working folder, as in the seed. A file: or sqlite: URL names a file too; a postgres:// URL names a PostgreSQL database, shared by several daemons.',
      helpValue: 'FILE',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  /** Stores opened by this command, by mode; all closed when it ends. */
  private readonly opened = new Map<'readonly' | 'write', Promise<Store>>();
  private openedLog: CommandLog | undefined;

  public override async init(): Promise<void> {
    await super.init();
    try {
      const { flags, args } = await this.parse({
        flags: this.ctor.flags,
        baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
        enableJsonFlag: this.ctor.enableJsonFlag,
        args: this.ctor.args,
        strict: this.ctor.strict,
      });
      this.flags = flags as BaseFlags<T>;
      this.args = args as BaseArgs<T>;
    } finally {
      // A rejected flag did get parsed: without this, oclif adds a second stderr line ("did not parse its
      // arguments") to the one-line usage error whenever NODE_ENV is development or test.
      this.parsed = true;
    }
  }

  /** Settings with this command's flags on top; `extra` adds flags only some commands have. */
  protected settings(extra: SettingFlags = {}): Settings {
    return resolveSettings({ db: this.flags.db, ...extra });
  }

  /** The store (every port on one connection), opened on first use; `readonly` for commands that must never create or change it. */
  protected repositories(options: { readonly?: boolean } = {}): Promise<Store> {
    const mode = options.readonly ? 'readonly' : 'write';
    let store = this.opened.get(mode);
    if (!store) {
      const settings = this.settings();
      store = openStore(settings.db, { timeZone: settings.timeZone, readonly: options.readonly, poolSize: settings.dbPool });
      this.opened.set(mode, store);
    }
    return store;
  }

  /**
   * What the use cases (src/app) need from a command: the task store, the daemon's log file when it exists
   * (command-log.ts), the clock; no scheduler to wake in this process (a running daemon polls the database).
   */
  protected async useCases(options: { readonly?: boolean } = {}): Promise<AppContext> {
    if (!this.openedLog) {
      const settings = this.settings();
      // Loaded here, not at the top: pino costs every command's start, and only the writing ones log.
      const { openCommandLog } = await import('./command-log.js');
      this.openedLog = openCommandLog(settings.logFile, settings.logLevel);
    }
    return { store: { tasks: await this.store(options) }, logger: this.openedLog.logger, clock: Date.now };
  }

  /** The task store, opened on first use. */
  protected async store(options: { readonly?: boolean } = {}): Promise<TaskStore> {
    return (await this.repositories(options)).tasks;
  }

  /**
   * The store's file maintenance (backup, check, sizes); a clear error naming --db when the store has none. A
   * PostgreSQL database is refused from its URL alone (nothing is connected to), naming the server's own tool.
   */
  protected async maintenance(serverTool: string): Promise<StoreMaintenance> {
    const location = parseStoreLocation(this.settings().db);
    if (location.kind === 'postgres') {
      throw new ValidationError(
        `--db: ${redactUrl(location.url)} is a PostgreSQL database; this command works on SQLite files only: use ${serverTool}`,
        '--db',
      );
    }
    const store = await this.repositories({ readonly: true });
    if (!store.maintenance) {
      throw new ValidationError(`--db: the store at ${store.file} is not a SQLite file; this command works on SQLite files only`, '--db');
    }
    return store.maintenance;
  }

  /**
   * The database file, which must exist: commands that inspect a database say so instead of creating an empty one
   * at a mistyped path.
   */
  protected existingDatabase(): string {
    const location = parseStoreLocation(this.settings().db);
    if (location.kind !== 'sqlite') return location.url; // a server's database: opening it says whether it is there
    const file = location.file;
    if (!existsSync(file)) {
      throw new NotFoundError(
        `database ${file} does not exist (nothing was created): pass --db FILE or set AICS_DB, or run it in the folder where aics serve runs`,
      );
    }
    return file;
  }

  /**
   * The pause in force on the database (aics pause), read without changing anything; null when not paused or when
   * there is no database (yet). Commands that show the desk's state warn with it, so a pause is never forgotten.
   */
  protected async pauseInForce(warn = true): Promise<PauseState | null> {
    const file = this.settings().db;
    let paused: PauseState | null = null;
    try {
      // A store this command opened already answers on its own connection: a second one would open the file,
      // check its schema and build every repository again, only to read one row.
      const opened = this.opened.get('readonly') ?? this.opened.get('write');
      if (opened) {
        paused = await (await opened).control.paused();
      } else {
        const location = parseStoreLocation(file);
        if (location.kind === 'sqlite' && !existsSync(location.file)) return null;
        const store = await openStore(file, { readonly: true });
        try {
          paused = await store.control.paused();
        } finally {
          await store.close();
        }
      }
    } catch {
      return null; // a database from before the pause existed, or one we cannot read: the command says the rest
    }
    if (paused && warn) {
      this.warnLine(
        `the desk is paused since ${localTime(paused.since, this.settings().timeZone)} by ${paused.by ?? '?'}${paused.reason ? ` (${paused.reason})` : ''}: nothing fires or is sent until "aics resume"`,
      );
    }
    return paused;
  }

  /** Who did it, in task events: "cli:root". */
  protected get actor(): string {
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // no passwd entry (containers): keep "unknown"
    }
    return `cli:${user}`;
  }

  /**
   * The --json output, as oclif writes it (two-space indent, one newline). oclif tokenizes the text to colour it
   * (up to ten regular expressions per token, run cold once per process) and, with no theme set
   * (~/.config/aics/theme.json), puts the tokens back together unchanged: 18-35 ms for a page of 20 tasks, 60 ms
   * for 100. Without a theme the text is written as it is.
   */
  public override logJson(json: unknown): void {
    if (this.config.theme?.json) {
      super.logJson(json);
      return;
    }
    let text: string | undefined; // undefined for a command that returns nothing: oclif writes an empty line
    try {
      text = JSON.stringify(typeof json === 'string' ? JSON.parse(json) : json, undefined, 2);
    } catch {
      super.logJson(json); // a circular value: oclif writes "[Circular ~]" in its place
      return;
    }
    process.stdout.write(`${text ?? ''}\n`);
  }

  /** Human output; silent under --json, where the command's return value is the output. */
  protected say(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected warnLine(text: string): void {
    if (process.env[DETACHED_ENV] === '1') {
      process.stderr.write(`${JSON.stringify({ level: 'WARN', time: new Date().toISOString(), pid: process.pid, msg: text })}\n`);
      return;
    }
    process.stderr.write(`warning: ${text}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number; code?: string; oclif?: { exit?: number } }): Promise<unknown> {
    if (err.code === 'EEXIT') throw err; // this.exit(): already decided
    const exitCode = err instanceof AicsError ? err.exitCode : typeof err.oclif?.exit === 'number' ? err.oclif.exit : ExitCode.unexpected;
    process.exitCode = exitCode;
    const message = oneLine(err.message);
    if (this.jsonEnabled()) {
      const field = err instanceof AicsError ? err.field : undefined;
      process.stdout.write(`${JSON.stringify({ error: { name: err.name, message, exit_code: exitCode, ...(field ? { field } : {}) } })}\n`);
    } else if (process.env[DETACHED_ENV] === '1') {
      // A detached daemon's stderr is its log file: the failure is a JSON line like every other (unless the daemon
      // logged it already), so "aics logs grep --level error" finds it and "serve --detach" reports its message.
      if (!loggedErrors.has(err)) {
        process.stderr.write(
          `${JSON.stringify({ level: 'ERROR', time: new Date().toISOString(), pid: process.pid, exit_code: exitCode, msg: message })}\n`,
        );
      }
    } else {
      process.stderr.write(`error: ${message}\n`);
      if (exitCode === ExitCode.unexpected && process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    }
    return undefined;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    for (const store of this.opened.values()) await store.then((s) => s.close()).catch(() => undefined);
    await this.openedLog?.close();
    return super.finally(err);
  }
}

/**
 * An error as one line, so scripts can grep it and the flag it names comes first. oclif's parser errors span lines
 * ("The following error occurred:\n  Missing required flag reason\nSee more help with --help").
 */
export function oneLine(message: string): string {
  let text = message.trim();
  const usage = /\n\s*See more help with --help\s*$/.test(text);
  text = text
    .replace(/\n\s*See more help with --help\s*$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .replace(/Missing required flag ([\w-]+)/g, '--$1: is required')
    .replace(/^Parsing (--[\w-]+)\s+/, '$1: ')
    .replace(/\s*\n\s*/g, ' ');
  return usage ? `${text} (see --help)` : text;
}
