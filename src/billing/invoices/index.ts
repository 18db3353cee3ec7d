export * from './drafts.js';
export * from './manual-lines.js';
export * from './model.js';
export * from './numbering.js';
export * from './pdf-view.js';
export * from './provider-link.js';
export * from './read.js';
export * from './transitions.js';
export { DEFAULT_DAYS_UNTIL_DUE, defaultPaymentMethodTypes } from './internal.js';
