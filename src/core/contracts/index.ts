export * from './amortization.js';
export * from './human-number.js';
export * from './order-form.js';
