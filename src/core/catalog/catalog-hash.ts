import { createHash } from 'node:crypto';
import { Decimal } from '../money/decimal.js';
import type { Catalog } from './model.js';

/**
 * Identity of a catalog's meaning, to tell which config an invoice was rated with and whether a reload
 * changed anything. Formatting, comments, field order, how an amount is written (`0.50` or `0.5`) and the
 * order in which products, plans, prices and features are listed do not change it; any key, amount,
 * tier, reference or flag does. Tier order is meaning, so it is kept.
 */
export function catalogHash(catalog: Catalog): string {
  return createHash('sha256').update(canonicalJson(canonicalCatalog(catalog))).digest('hex');
}

/** Bumped whenever the canonical form changes, so old and new hashes never collide by accident. */
const CANONICAL_FORMAT = 1;

function canonicalCatalog(catalog: Catalog): unknown {
  const sorted = (keys: readonly string[]): string[] => [...keys].sort(compare);
  const mapValues = <V, W>(m: ReadonlyMap<string, V>, f: (v: V) => W): Map<string, W> =>
    new Map([...m].map(([k, v]) => [k, f(v)] as const));
  // Maps serialize with sorted keys; key lists and features are sets, so they are sorted too.
  return {
    format: CANONICAL_FORMAT,
    products: mapValues(catalog.products, (p) => ({ ...p, planKeys: sorted(p.planKeys) })),
    plans: mapValues(catalog.plans, (p) => ({
      ...p,
      priceKeys: sorted(p.priceKeys),
      features: [...p.features].sort((a, b) => compare(a.key, b.key)),
    })),
    prices: catalog.prices,
    metrics: catalog.metrics,
  };
}

/** JSON with object keys sorted, Maps as objects with sorted keys, arrays in order, Decimals as canonical strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Map) return sortedObject([...value.entries()].map(([k, v]) => [String(k), v] as const));
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') return sortedObject(Object.entries(value));
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function sortedObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of [...entries].sort((a, b) => compare(a[0], b[0]))) {
    if (v !== undefined) Object.defineProperty(out, k, { value: normalize(v), enumerable: true });
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
