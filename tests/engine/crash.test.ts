/** The crash scenario (crash-scenario.ts) on the SQLite store: a database file in the daemon's folder. */
import { crashScenario } from './crash-scenario.js';

crashScenario('sqlite', async () => 'db/tasks.db');
