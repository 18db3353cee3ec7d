export * from './license.js';
