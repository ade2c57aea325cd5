/** Flags shared by the commands that drive a background daemon: serve --detach, stop, restart, status. */
import * as Flags from '@oclif/core/flags';

export const pidFileFlag = Flags.string({
  summary: "The daemon's pid file (env AICS_PID_FILE; default aics.pid beside the database). Its start record is FILE.json.",
  helpValue: 'FILE',
});

/** How `stop` (and the stop half of `restart`) waits. */
export const stopFlags = {
  timeout: Flags.integer({
    summary: 'Seconds to wait, after SIGTERM, for the daemon to finish its work and exit.',
    default: 15,
    min: 1,
    max: 3600,
    helpValue: 'SECONDS',
  }),
  force: Flags.boolean({ summary: 'SIGKILL the daemon if it has not exited when --timeout is over.' }),
};
