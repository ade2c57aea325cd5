/** Who holds a task's lease or an outbox claim: this process, named so that a look at the host tells whether it still runs. */
import { hostname } from 'node:os';

export const daemonOwner = (): string => `daemon:${hostname()}:${process.pid}`;
