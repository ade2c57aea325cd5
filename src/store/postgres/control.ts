/**
 * Switches that every daemon on the database obeys, set from the CLI without the daemon's help: today the pause
 * (`aics pause` / `aics resume`). A row means on.
 */
import type pg from 'pg';
import type { ControlStore, PauseState } from '../ports/control.js';
import { iso } from '../rows.js';
import { PgRepository, rowsOf } from './repository.js';

interface FlagRow {
  reason: string | null;
  set_by: string | null;
  set_at: string;
  [column: string]: unknown;
}

const PAUSE_ROW = `SELECT reason, set_by, set_at FROM control_flags WHERE name = 'paused'`;
const toPause = (row: FlagRow | undefined): PauseState | null => (row ? { since: row.set_at, by: row.set_by, reason: row.reason } : null);

export class PgControl extends PgRepository implements ControlStore {
  /** Turns the pause on; pausing again keeps the first time and reason. Returns the pause in force. */
  pause(reason: string | null, actor: string): Promise<PauseState> {
    const nowMs = this.clock();
    return this.write(async (client) => {
      await client.query(
        `INSERT INTO control_flags (name, reason, set_by, set_at) VALUES ('paused', $1, $2, $3) ON CONFLICT (name) DO NOTHING`,
        [reason, actor, iso(nowMs)],
      );
      return (await pauseRow(client))!;
    });
  }

  /** Turns the pause off; returns the pause that was lifted, or null when there was none. */
  resume(): Promise<PauseState | null> {
    return this.write(async (client) => {
      const [was] = await rowsOf<FlagRow>(client, `DELETE FROM control_flags WHERE name = 'paused' RETURNING reason, set_by, set_at`);
      return toPause(was);
    });
  }

  async paused(): Promise<PauseState | null> {
    return toPause(await this.one<FlagRow>(PAUSE_ROW));
  }
}

async function pauseRow(client: pg.PoolClient): Promise<PauseState | null> {
  return toPause((await rowsOf<FlagRow>(client, PAUSE_ROW))[0]);
}
