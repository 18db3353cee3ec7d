import type { PriceConfig, ProductConfig } from './config-schema.js';

/** Defaults the config leaves implicit, computed in one place for validation and the catalog alike. */

type KeyedPrice = Pick<PriceConfig, 'key' | 'currency' | 'interval'>;

/**
 * The key of each price of a plan, in order: the explicit `key`, else
 * `<product>.<plan>.<currency lower-case>.<interval>`; when a plan has several unkeyed prices in one
 * currency and interval, each gets `.1`, `.2`, … in file order (so reordering them renames them — which is
 * why the schema recommends explicit keys there).
 */
export function planPriceKeys(productKey: string, planKey: string, prices: readonly KeyedPrice[]): string[] {
  const base = (p: KeyedPrice): string => `${productKey}.${planKey}.${p.currency.trim().toLowerCase()}.${p.interval}`;
  const unkeyed = new Map<string, number>();
  for (const p of prices) {
    if (p.key === undefined) unkeyed.set(base(p), (unkeyed.get(base(p)) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  return prices.map((p) => {
    if (p.key !== undefined) return p.key;
    const b = base(p);
    if ((unkeyed.get(b) ?? 0) < 2) return b;
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return `${b}.${n}`;
  });
}

/** `default_paid_plan` if given (null: none), else the plan keyed `paid` if there is one. */
export function defaultPaidPlanOf(product: Pick<ProductConfig, 'default_paid_plan' | 'plans'>): string | null {
  if (product.default_paid_plan !== undefined) return product.default_paid_plan;
  return Object.hasOwn(product.plans, 'paid') ? 'paid' : null;
}
