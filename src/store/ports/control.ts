/** The control port: switches every daemon on the store obeys, set from the CLI without a daemon (the pause). */
export interface PauseState {
  since: string;
  by: string | null;
  reason: string | null;
}

export interface ControlStore {
  /** Turns the pause on; pausing again keeps the first time and reason. Returns the pause in force. */
  pause(reason: string | null, actor: string): Promise<PauseState>;
  /** Turns the pause off; returns the pause that was lifted, or null when there was none. */
  resume(): Promise<PauseState | null>;
  paused(): Promise<PauseState | null>;
}
