import { buildCatalog } from './build-catalog.js';
import { catalogHash } from './catalog-hash.js';
import { ErrorCollector, sortConfigErrors, type ConfigError, type ConfigPath } from './config-errors.js';
import { billingConfigSchema, priceSchema, productSchema, type PriceConfig } from './config-schema.js';
import type { Catalog } from './model.js';
import { parseYamlConfig } from './parse-config.js';
import { issueMessage, reportSchemaIssues } from './schema-errors.js';
import { validateConfig, type ProductEntry } from './validate-config.js';

export type { ConfigError } from './config-errors.js';
export { formatConfigError, formatConfigErrors } from './config-errors.js';
export { catalogHash } from './catalog-hash.js';
export { configJsonSchema, renderConfigJsonSchema } from './config-json-schema.js';
export type { BillingConfig } from './config-schema.js';
export * from './lookup.js';
export * from './model.js';

export type ParseBillingConfigResult =
  | { readonly ok: true; readonly catalog: Catalog; readonly hash: string; readonly sourceName: string }
  | { readonly ok: false; readonly errors: ConfigError[]; readonly sourceName: string };

/**
 * Billing config text (YAML) → the catalog, or every error in it at once, sorted by line. Pure: the
 * caller reads the file; `sourceName` only labels the result (pass it on to `formatConfigErrors`).
 *
 * Stages: YAML syntax (stops here on failure — nothing after it could be trusted), structure (Zod), then
 * the cross-reference rules. When some products fail the structure check, the rules still run over the
 * products that passed, so a typo in one product does not hide a duplicate key in another.
 */
export function parseBillingConfig(text: string, sourceName: string): ParseBillingConfigResult {
  const parsed = parseYamlConfig(text);
  if (!parsed.ok) return { ok: false, errors: sortConfigErrors(parsed.errors), sourceName };

  const sink = new ErrorCollector(parsed.lineOf);
  const options = { reportInput: true, error: issueMessage } as const;
  const whole = billingConfigSchema.safeParse(parsed.value, options);

  let entries: ProductEntry[];
  let complete = true;
  const orphanPrices: { path: ConfigPath; price: PriceConfig }[] = [];
  if (whole.success) {
    entries = whole.data.products.map((product, index) => ({ index, product }));
  } else {
    reportSchemaIssues(whole.error.issues, [], sink);
    entries = [];
    for (const [index, raw] of rawProducts(parsed.value).entries()) {
      const one = productSchema.safeParse(raw, options);
      if (one.success) {
        entries.push({ index, product: one.data });
        continue;
      }
      complete = false;
      // Its well-formed prices still get their own checks (tiers, amounts, metering).
      for (const [planKey, rawPlan] of Object.entries(asMap(field(raw, 'plans')) ?? {})) {
        const prices = field(rawPlan, 'prices');
        if (!Array.isArray(prices)) continue;
        prices.forEach((rawPrice: unknown, k) => {
          const price = priceSchema.safeParse(rawPrice, options);
          if (price.success) {
            orphanPrices.push({ path: ['products', index, 'plans', planKey, 'prices', k], price: price.data });
          }
        });
      }
    }
  }

  const listedKeys = rawProducts(parsed.value).flatMap((raw, index) => {
    const key = field(raw, 'key');
    return typeof key === 'string' ? [{ index, key }] : [];
  });
  validateConfig({ products: entries, listedKeys, complete, orphanPrices }, sink);

  if (!whole.success || sink.errors.length > 0) {
    return { ok: false, errors: sortConfigErrors(sink.errors), sourceName };
  }
  const catalog = buildCatalog(whole.data);
  return { ok: true, catalog, hash: catalogHash(catalog), sourceName };
}

function rawProducts(value: unknown): unknown[] {
  const products = field(value, 'products');
  return Array.isArray(products) ? products : [];
}

/** YAML maps come out of the parser as plain objects. */
function asMap(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A field of a raw (unvalidated) map; undefined for anything else. */
function field(value: unknown, name: string): unknown {
  const map = asMap(value);
  return map && Object.hasOwn(map, name) ? map[name] : undefined;
}
