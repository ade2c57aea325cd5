/**
 * When a write commits: at once when it is the first of its turn of the event loop, or in the connection's group
 * commit when it follows others of the same turn (a burst: several of the bridge's frames in one read of the socket).
 * Measured (bench/match-cpu.js): the group commit alone costs a message that comes alone a deferred turn, a
 * transaction wrapper and a savepoint (0.27 against 0.20 ms of CPU, and it waits for the commit's turn); committing
 * each alone costs a burst one commit per message (0.125 against 0.09 ms). This keeps the cheaper of the two.
 * Writes still commit in call order: one goes alone only while none handed to the group commit is waiting.
 */
export type Commit = <T>(fn: () => T) => Promise<T>;

export class BurstCommit {
  /** A write of this turn of the event loop has committed alone: the next ones of the turn join the group. */
  private turnStarted = false;
  /** Writes handed to the group commit and not settled yet. */
  private grouped = 0;

  constructor(
    private readonly alone: Commit,
    private readonly together: Commit,
  ) {}

  run<T>(fn: () => T): Promise<T> {
    if (!this.turnStarted && this.grouped === 0) {
      this.turnStarted = true;
      setImmediate(() => (this.turnStarted = false));
      return this.alone(fn);
    }
    this.grouped++;
    return this.together(fn).finally(() => this.grouped--);
  }
}
