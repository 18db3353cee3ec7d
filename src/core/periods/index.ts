/**
 * Calendar arithmetic for billing: periods from an anchor, day counts, amortization months and human
 * dates. Pure: every instant is an argument (no clock reads) and everything is computed in UTC.
 */
export * from './calendar.js';
export * from './date-only.js';
export * from './days.js';
export { DAY_MS } from './guards.js';
