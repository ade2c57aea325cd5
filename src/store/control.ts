/**
 * Switches that every daemon on the file obeys, set from the CLI without the daemon's help: today the pause
 * (`aics pause` / `aics resume`). A row means on.
 */
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import type { ControlStore, PauseState } from './ports/control.js';

export class SqliteControl extends SqliteRepository implements ControlStore {
  /** Turns the pause on; pausing again keeps the first time and reason. Returns the pause in force. */
  pause(reason: string | null, actor: string): Promise<PauseState> {
    const nowMs = this.clock();
    return this.write(() => {
      this.statement(
        `INSERT INTO control_flags (name, reason, set_by, set_at) VALUES ('paused', ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      ).run(reason, actor, iso(nowMs));
      return this.pauseRow()!;
    });
  }

  /** Turns the pause off; returns the pause that was lifted, or null when there was none. */
  resume(): Promise<PauseState | null> {
    return this.write(() => {
      const was = this.pauseRow();
      this.statement(`DELETE FROM control_flags WHERE name = 'paused'`).run();
      return was;
    });
  }

  paused(): Promise<PauseState | null> {
    return this.read(() => this.pauseRow());
  }

  private pauseRow(): PauseState | null {
    const row = this.statement(`SELECT reason, set_by, set_at FROM control_flags WHERE name = 'paused'`).get() as
      { reason: string | null; set_by: string | null; set_at: string } | undefined;
    return row ? { since: row.set_at, by: row.set_by, reason: row.reason } : null;
  }
}
