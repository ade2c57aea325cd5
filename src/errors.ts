/**
 * The one error vocabulary of aics. Every layer throws these; the CLI maps them to exit codes and the HTTP API to
 * status codes, so an operator sees the same meaning in both places. Pure: no I/O here.
 */

/** Exit codes documented in README and `aics --help`. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  daemonUnreachable: 3,
  notFound: 4,
  invalidState: 5,
  schemaTooNew: 6,
  database: 7,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class AicsError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly httpStatus: number,
    /** The payload field or CLI flag at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a payload field, a flag, a file. */
export class ValidationError extends AicsError {
  constructor(message: string, field?: string) {
    super(message, ExitCode.usage, 400, field);
  }
}

export class NotFoundError extends AicsError {
  constructor(message: string) {
    super(message, ExitCode.notFound, 404);
  }
}

/** The operation is not allowed in the current state (cancel after run, a conflicting re-receive). */
export class InvalidStateError extends AicsError {
  constructor(message: string) {
    super(message, ExitCode.invalidState, 409);
  }
}

/** The database was written by a newer aics; running older code on it could corrupt it. */
export class SchemaTooNewError extends AicsError {
  constructor(readonly found: number, readonly supported: number, file: string) {
    super(
      `database ${file} has schema version ${found}, this aics understands up to ${supported}: upgrade aics (nothing was changed)`,
      ExitCode.schemaTooNew,
      500,
    );
  }
}

/** What kind of database failure it is, so a caller can tell "damaged" (restore a backup) from "locked" (wait). */
export type DatabaseFailure = 'locked' | 'readonly' | 'damaged' | 'cantopen' | 'full' | 'other';

/** The database cannot be opened, written or read (locked, read-only folder, corrupt file). */
export class DatabaseError extends AicsError {
  constructor(
    message: string,
    readonly failure: DatabaseFailure = 'other',
    /** SQLite's own words, e.g. "file is not a database". */
    readonly detail?: string,
  ) {
    super(message, ExitCode.database, 503);
  }
}

export class DaemonUnreachableError extends AicsError {
  constructor(message: string) {
    super(message, ExitCode.daemonUnreachable, 503);
  }
}
