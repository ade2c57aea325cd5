import * as Args from '@oclif/core/args';
import { forgetDaemon, type ForgottenDaemon } from '../../app/index.js';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { MISSED_BEATS } from '../../store/index.js';

export default class DaemonForget extends BaseCommand<typeof DaemonForget> {
  static override summary = "Remove a daemon that will not come back from the database's registry.";
  static override description = `Several daemons on one database (docs/deploy.md "Several machines") each record the WeCom accounts they serve.
While any other daemon is on record, each fires only its own accounts' tasks, and a stopped or dead one's accounts
wait for it. When a machine is retired for good, forget its daemon: its record leaves "aics status" and, once no
other is on record, the last daemon fires every task again. A daemon still beating (within 3 heartbeats,
AICS_HEARTBEAT_MS) is refused (exit 5): stop it first. The ids are those "aics status" lists (daemon:HOST:PID).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'The daemon of a retired WeCom PC', command: '<%= config.bin %> daemon forget daemon:shop-pc-2:4127' },
    { description: 'As JSON', command: '<%= config.bin %> daemon forget daemon:shop-pc-2:4127 --json' },
  ];
  static override args = {
    id: Args.string({ description: 'The daemon id, as "aics status" lists it (daemon:HOST:PID).', required: true }),
  };

  async run(): Promise<ForgottenDaemon> {
    const settings = this.settings();
    const store = await this.repositories();
    const forgotten = await forgetDaemon(store, this.args.id, Date.now(), settings.heartbeatMs * MISSED_BEATS);
    const accounts = forgotten.accounts.length ? forgotten.accounts.join(', ') : 'none';
    this.say(`forgot ${forgotten.id} (${forgotten.state}; accounts ${accounts})`);
    return forgotten;
  }
}
