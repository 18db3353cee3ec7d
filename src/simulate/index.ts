export { ScenarioError, isScenarioError } from './errors.js';
export { loadScenario, parseScenario, type LoadOptions } from './load.js';
export type { Action, PlannedStep, Scenario } from './model.js';
export { renderOutput, type CustomerOutput, type InvoiceOutput, type LineOutput, type SimulationOutput } from './output.js';
export { runScenario } from './runner.js';
export { addDuration, parseDuration, parseInstant, resolveTime, TimeSyntaxError } from './time.js';
