/** Subscription rules that need no I/O: status moves, resolving requested items, startup resets (R6), schedule phases. */
export * from './items.js';
export * from './schedule.js';
export * from './startup.js';
export * from './status.js';
