export * from './invoice-lines.js';
export * from './invoice-totals.js';
