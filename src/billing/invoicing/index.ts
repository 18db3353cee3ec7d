export * from './close-period.js';
export * from './discount-lookup.js';
export * from './grace.js';
export * from './job-kinds.js';
export * from './jobs.js';
export * from './preview.js';
