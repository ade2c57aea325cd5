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
  /** `aics status`: the daemon runs and answers, but cannot do all of its job (see its warnings). */
  degraded: 8,
} as const;
/** Errors the daemon already wrote to its log file, so the command that ran it does not write them there again. */
export const loggedErrors = new WeakSet<Error>();

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
  constructor(
    readonly found: number,
    readonly supported: number,
    file: string,
  ) {
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

/** Why a send through the 轻简 bridge failed (see BridgeSendError). */
export type BridgeSendErrorCode =
  /** The bridge answered ok:false; `bridgeCode`/`message` say why. Nothing was sent. */
  | 'rejected'
  /** Written to the bridge, no ack in time: the customer may or may not have it (in doubt). */
  | 'ack_timeout'
  /** The socket dropped after the command was written and before its ack (in doubt). */
  | 'connection_lost'
  /** Never written: the bridge stayed disconnected longer than the send may wait. */
  | 'not_connected'
  /** The bridge client was stopped while the send waited. */
  | 'stopped'
  /** The request itself is unusable (empty content, no file, bad req_id, req_id reused for another payload). */
  | 'invalid_request';

/**
 * A send (text or file) through the 轻简 bridge failed. `retryable` tells the engine whether another attempt can
 * help; `inDoubt` means the bridge may have carried it out, so the retry must reuse the same `req_id` (the bridge
 * de-duplicates on it).
 */
export class BridgeSendError extends AicsError {
  readonly code: BridgeSendErrorCode;
  readonly retryable: boolean;
  readonly inDoubt: boolean;
  readonly reqId: string;
  /** The bridge's own error code, when it answered ok:false. */
  readonly bridgeCode: number | null;
  /**
   * The command never left: the bridge was not connected (or the client stopped) before it could be written. Such a
   * send is not an attempt: the task waits for the bridge instead of spending a retry.
   */
  readonly notSent: boolean;

  constructor(init: {
    message: string;
    code: BridgeSendErrorCode;
    retryable: boolean;
    reqId: string;
    inDoubt?: boolean;
    bridgeCode?: number | null;
  }) {
    super(init.message, ExitCode.unexpected, 502);
    this.code = init.code;
    this.retryable = init.retryable;
    this.inDoubt = init.inDoubt ?? false;
    this.reqId = init.reqId;
    this.bridgeCode = init.bridgeCode ?? null;
    this.notSent = !this.inDoubt && (init.code === 'not_connected' || init.code === 'stopped');
  }
}
