import { readFileSync, writeFileSync } from 'node:fs';
import { invalid } from '../../shared/errors.js';
import { isScenarioError, loadScenario, renderOutput, runScenario } from '../../simulate/index.js';

export interface SimulateOptions {
  out?: string;
  config?: string;
}

/**
 * `tally simulate SCENARIO [--out FILE] [--config FILE]`: runs the scenario on an in-memory database and
 * prints its invoices and customer states as JSON. Exit 1 with every problem (path and line) listed when
 * the scenario is invalid, or with the failing step when one fails.
 */
export async function simulateCommand(file: string, opts: SimulateOptions): Promise<number> {
  try {
    let configOverride: { text: string; sourceName: string } | undefined;
    if (opts.config) {
      try {
        configOverride = { text: readFileSync(opts.config, 'utf8'), sourceName: opts.config };
      } catch (e) {
        throw invalid('file_unreadable', `cannot read --config ${opts.config}: ${(e as Error).message}`, 'config');
      }
    }
    const scenario = loadScenario(file, configOverride ? { configOverride } : {});
    const result = await runScenario(scenario);
    const json = renderOutput(result);
    if (opts.out) {
      writeFileSync(opts.out, json);
      process.stderr.write(`${file}: ${result.invoices.length} invoice(s), ${Object.keys(result.customers).length} customer(s) → ${opts.out}\n`);
    } else {
      process.stdout.write(json);
    }
    return 0;
  } catch (e) {
    if (!isScenarioError(e)) throw e;
    process.stderr.write(`${e.message}\n`);
    if (e.code !== 'step_failed') process.stderr.write(`${e.errors.length} error(s) in ${e.sourceName}\n`);
    return 1;
  }
}
