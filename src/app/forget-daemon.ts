/**
 * `aics daemon forget`: removes a daemon's record from the database's registry. While a record stays, the other
 * daemons keep to their own accounts and `aics status` lists it; a machine retired for good (or a daemon moved to
 * another host) is forgotten so the survivors stop waiting for it. A daemon still beating is refused: it would
 * record itself again at its next beat, and its tasks are its own.
 */
import { InvalidStateError, NotFoundError } from '../errors.js';
import { daemonState, type DaemonRecord, type DaemonState, type Store } from '../store/index.js';

export interface ForgottenDaemon extends DaemonRecord {
  state: DaemonState;
}

export async function forgetDaemon(
  store: Pick<Store, 'daemons' | 'file'>,
  id: string,
  nowMs: number,
  staleAfterMs: number,
): Promise<ForgottenDaemon> {
  const records = await store.daemons.list();
  const record = records.find((d) => d.id === id);
  if (!record) {
    const known = records.map((d) => d.id).join(', ');
    throw new NotFoundError(`no daemon ${id} is recorded on ${store.file}${known ? ` (recorded: ${known})` : ' (none is)'}`);
  }
  const state = daemonState(record, nowMs, staleAfterMs);
  if (state === 'alive') {
    throw new InvalidStateError(
      `daemon ${id} is alive (it beat ${Math.round((nowMs - record.heartbeat_at) / 1000)} s ago): stop it first ("aics stop" on ${record.host}); a running daemon records itself again`,
    );
  }
  await store.daemons.forget(id);
  return { ...record, state };
}
