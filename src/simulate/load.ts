/**
 * Scenario file → checked Scenario. Stages, each stopping the load when it finds errors: YAML syntax,
 * the scenario's shape (schema.ts), the billing config (inline or config_file), then the steps against
 * that config (check.ts). Errors carry their path and line in the scenario file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { parseBillingConfig, type Catalog } from '../core/catalog/index.js';
import { ErrorCollector, type ConfigError, type ConfigPath } from '../core/catalog/config-errors.js';
import { parseYamlConfig } from '../core/catalog/parse-config.js';
import { issueMessage, reportSchemaIssues } from '../core/catalog/schema-errors.js';
import { invalid } from '../shared/errors.js';
import { planSteps } from './check.js';
import { ScenarioError } from './errors.js';
import type { Scenario } from './model.js';
import { scenarioSchema } from './schema.js';
import { parseInstant } from './time.js';

export interface LoadOptions {
  /** Use this billing config instead of the scenario's own (`tally simulate --config`: preview a change). */
  readonly configOverride?: { readonly text: string; readonly sourceName: string };
}

const DEFAULT_GRACE_MINUTES = 60;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw invalid('file_unreadable', `cannot read ${what} ${path}: ${(e as Error).message}`, what);
  }
}

/**
 * The inline `config:` mapping as YAML text, cut from the scenario's own source (so decimals, anchors and
 * comments stay exactly as written) and dedented; plus the scenario line its first line sits on.
 */
function inlineConfigText(text: string): { text: string; firstLine: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, schema: 'core', merge: false });
  const node = doc.get('config', true);
  if (!isNode(node) || !node.range) throw new Error('inline config node not found after the schema accepted it');
  const [from, to] = node.range;
  const { line, col } = lineCounter.linePos(from);
  const indent = col - 1;
  const lines = text.slice(from, to).split('\n');
  const dedented = lines.map((l, i) => (i === 0 ? l : l.replace(new RegExp(`^ {0,${indent}}`), '')));
  return { text: `${dedented.join('\n')}\n`, firstLine: line };
}

function configErrorsIn(scenarioLineOf: (p: ConfigPath) => number | null, errors: readonly ConfigError[], firstLine: number): ConfigError[] {
  return errors.map((e) => ({
    ...e,
    path: e.path ? `config.${e.path}` : 'config',
    line: e.line !== null ? firstLine + e.line - 1 : scenarioLineOf(['config']),
  }));
}

/** Loads and checks a scenario file; throws ScenarioError listing every problem. */
export function loadScenario(path: string, opts: LoadOptions = {}): Scenario {
  return parseScenario(readText(path, 'scenario'), path, opts);
}

/** As loadScenario, from text; `path` names the file in messages and anchors `config_file`. */
export function parseScenario(text: string, path: string, opts: LoadOptions = {}): Scenario {
  const parsed = parseYamlConfig(text);
  if (!parsed.ok) throw new ScenarioError(parsed.errors, path);
  const sink = new ErrorCollector(parsed.lineOf);
  const r = scenarioSchema.safeParse(parsed.value, { reportInput: true, error: issueMessage });
  if (!r.success) {
    reportSchemaIssues(r.error.issues, [], sink);
    throw new ScenarioError(sink.errors, path);
  }
  const file = r.data;

  let configText: string;
  let configSourceName: string;
  let catalog: Catalog;
  if (opts.configOverride) {
    ({ text: configText, sourceName: configSourceName } = opts.configOverride);
    const c = parseBillingConfig(configText, configSourceName);
    if (!c.ok) throw new ScenarioError(c.errors, configSourceName, 'config_invalid');
    catalog = c.catalog;
  } else if (file.config_file !== undefined) {
    const configPath = resolve(dirname(path), file.config_file);
    try {
      configText = readFileSync(configPath, 'utf8');
    } catch (e) {
      const message = `cannot read ${configPath}: ${(e as Error).message}`;
      throw new ScenarioError([{ path: 'config_file', line: parsed.lineOf(['config_file']), message, code: 'file_unreadable' }], path);
    }
    configSourceName = basename(configPath);
    const c = parseBillingConfig(configText, configPath);
    if (!c.ok) throw new ScenarioError(c.errors, configPath, 'config_invalid');
    catalog = c.catalog;
  } else {
    const inline = inlineConfigText(text);
    configText = inline.text;
    configSourceName = `${basename(path)}#config`;
    const c = parseBillingConfig(configText, configSourceName);
    if (!c.ok) throw new ScenarioError(configErrorsIn(parsed.lineOf, c.errors, inline.firstLine), path, 'config_invalid');
    catalog = c.catalog;
  }

  const steps = planSteps(file, catalog, sink);
  if (sink.errors.length > 0) throw new ScenarioError(sink.errors, path);
  return {
    sourceName: path,
    configText,
    configSourceName,
    catalog,
    start: parseInstant(file.start),
    invoiceGraceMs: (file.invoice_grace_minutes ?? DEFAULT_GRACE_MINUTES) * 60_000,
    instances: file.instances ?? ['sim'],
    steps,
    lineOf: parsed.lineOf,
    rawSteps: (parsed.value as { steps: unknown[] }).steps,
  };
}
