export * from './aggregate.js';
export * from './discount.js';
export * from './limit.js';
export * from './rate.js';
