/**
 * How long a test may wait for an event before it calls it a hang. On a shared 2-core machine a spawn, a listening
 * line or a callback can take many seconds under load: helpers wait on the event itself and use these limits only to
 * end a test that would otherwise never finish. A shorter limit a test passes is raised to these floors.
 */
export const EVENT_LIMIT_MS = 60_000;
/** A child process (the binary over dist/) that must start, answer or end. */
export const PROCESS_LIMIT_MS = 120_000;

export const atLeast = (floor: number, ms: number | undefined): number => Math.max(floor, ms ?? floor);
