/** What a customer may use, from plans, overrides and trials: pure, the clock's instant is an argument. */
export * from './features.js';
