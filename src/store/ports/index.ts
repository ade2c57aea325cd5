/** The store's ports: what daemon services, commands, the agent and the tui depend on. */
export * from './tasks.js';
export * from './outbox.js';
export * from './inbound.js';
export * from './callbacks.js';
export * from './conversations.js';
export * from './replies.js';
export * from './control.js';
export * from './daemons.js';
export * from './ops.js';
export * from './maintenance.js';
export * from './store.js';
export * from './transfer.js';
