import { formatConfigErrors, type ConfigError } from '../core/catalog/index.js';
import { TallyError } from '../shared/errors.js';

/**
 * Everything wrong with a scenario (or the one step that failed while it ran), each error with its path
 * in the scenario and its line: `scenario.yaml:23 steps[3].usage.metric: unknown metric 'bananas'`.
 */
export class ScenarioError extends TallyError {
  readonly errors: readonly ConfigError[];
  readonly sourceName: string;

  constructor(errors: readonly ConfigError[], sourceName: string, code = 'scenario_invalid') {
    super('invalid_request', code, formatConfigErrors(errors, sourceName), { param: errors[0]?.path || undefined, details: { errors } });
    this.name = 'ScenarioError';
    this.errors = errors;
    this.sourceName = sourceName;
  }
}

export const isScenarioError = (e: unknown): e is ScenarioError => e instanceof ScenarioError;
