import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseBillingConfig, type Catalog, type ConfigError } from '../../../src/core/catalog/index.js';

export const EXAMPLE_PATH = new URL('../../../examples/billing.yaml', import.meta.url);
export const exampleText = (): string => readFileSync(EXAMPLE_PATH, 'utf8');

/** Strips the indentation common to all non-blank lines and the leading newline, so YAML reads naturally in tests. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}

export function catalogOf(text: string): { catalog: Catalog; hash: string } {
  const r = parseBillingConfig(text, 'test.yaml');
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.errors.map((e) => `${e.line} ${e.path}: ${e.message}`).join('\n')}`);
  return { catalog: r.catalog, hash: r.hash };
}

export function errorsOf(text: string): ConfigError[] {
  const r = parseBillingConfig(text, 'test.yaml');
  if (r.ok) throw new Error('expected errors, but the config is valid');
  return r.errors;
}

/** The single error with `code`, asserting there is exactly one. */
export function onlyError(text: string, code: string): ConfigError {
  const errors = errorsOf(text);
  const matching = errors.filter((e) => e.code === code);
  expect(matching, JSON.stringify(errors, null, 2)).toHaveLength(1);
  return matching[0] as ConfigError;
}

/**
 * A valid one-product config whose single price (line 11 onwards, at `products[0].plans.paid.prices[0]`)
 * gets `priceBody` — pass the price's lines after `currency`/`interval`, unindented.
 */
export function withPrice(priceBody: string, opts: { currency?: string; interval?: string } = {}): string {
  const body = priceBody
    .trim()
    .split('\n')
    .map((l) => `            ${l}`)
    .join('\n');
  return [
    'version: 1', // 1
    'products:', // 2
    '  - key: product_analytics', // 3
    '    name: Product analytics', // 4
    '    metric: events', // 5
    '    default_plan: paid', // 6
    '    plans:', // 7
    '      paid:', // 8
    '        name: Paid', // 9
    '        prices:', // 10
    `          - currency: ${opts.currency ?? 'usd'}`, // 11
    `            interval: ${opts.interval ?? 'month'}`, // 12
    body, // 13…
    '',
  ].join('\n');
}

export const PRICE = 'products[0].plans.paid.prices[0]';
