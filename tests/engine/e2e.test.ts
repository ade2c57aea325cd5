/** The end-to-end scenarios (e2e-scenarios.ts) on the SQLite store: one database file per desk, in its temp folder. */
import { desksStoppedAfterEach } from '../support/desk.js';
import { endToEndScenarios } from './e2e-scenarios.js';

endToEndScenarios('sqlite', desksStoppedAfterEach());
