import { defaultPaidPlanOf, findPrice, findProduct, subscriptionPricesFor } from '../catalog/lookup.js';
import type { Catalog, Interval, Price } from '../catalog/model.js';
import { expiryOf } from '../periods/days.js';

/** A live item as the startup rules see it: its price is the one of the item's own catalog version. */
export interface StartupItem {
  readonly productKey: string;
  readonly planKey: string;
  readonly priceKey: string;
  readonly price: Price | null;
  readonly validUntil: Date | null;
}

/** When an item on `price`, started at `startedAt`, stops being valid (R6); null for prices without terms. */
export function itemValidUntil(price: Price, startedAt: Date): Date | null {
  return price.startup ? expiryOf(startedAt, price.startup.validDays) : null;
}

/** The subscription's startup expiry: the earliest `validUntil` among its live items (R6), or null. */
export function startupExpiryOf(items: readonly Pick<StartupItem, 'validUntil'>[]): Date | null {
  let min: number | null = null;
  for (const i of items) if (i.validUntil && (min === null || i.validUntil.getTime() < min)) min = i.validUntil.getTime();
  return min === null ? null : new Date(min);
}

export type ResetRule = 'move_to_price' | 'default_paid' | 'default_plan';

/** What one product becomes when the startup terms run out. */
export type ProductReset =
  | { readonly productKey: string; readonly action: 'keep' }
  | { readonly productKey: string; readonly action: 'replace'; readonly rule: ResetRule; readonly planKey: string; readonly prices: readonly Price[] }
  | { readonly productKey: string; readonly action: 'remove'; readonly rule: ResetRule | 'product_gone' | 'parent_removed'; readonly planKey: string | null };

/**
 * R6: when the shortest `valid_days` runs out, every item resets at once. Decided per product (a product
 * is on one plan), from the product's live items:
 * 1. an item whose price sets `move_to_price` → those target prices (when in the current catalog and
 *    billed on the subscription's interval);
 * 2. else an item on a startup price (`plan: startup`, the default) → the default paid plan's prices in
 *    the subscription's currency and interval;
 * 3. else (a merely time-limited price, or an item with no startup terms at all) → the product's default
 *    plan; a default plan with no price there (an add-on's "not subscribed") removes the product.
 * A rule that finds no price in the currency and interval falls through to the next, so the expiry can
 * always complete. A product already exactly on its target, with nothing expired, is kept as it is; an
 * add-on whose parent leaves goes too. Targets are read from the current catalog (`catalog`).
 */
export function planStartupReset(catalog: Catalog, items: readonly StartupItem[], currency: string, interval: Interval, at: Date): ProductReset[] {
  const byProduct = new Map<string, StartupItem[]>();
  for (const item of items) byProduct.set(item.productKey, [...(byProduct.get(item.productKey) ?? []), item]);
  const out = new Map<string, ProductReset>();
  for (const [productKey, own] of byProduct) {
    if (!findProduct(catalog, productKey)) {
      out.set(productKey, { productKey, action: 'remove', rule: 'product_gone', planKey: null });
      continue;
    }
    const target = resetTarget(catalog, productKey, own, currency, interval);
    const expired = own.some((i) => i.validUntil !== null && i.validUntil.getTime() <= at.getTime());
    const same = target.prices.length > 0 && sameKeys(own.map((i) => i.priceKey), target.prices.map((p) => p.key));
    if (same && !expired) out.set(productKey, { productKey, action: 'keep' });
    else if (target.prices.length === 0) out.set(productKey, { productKey, action: 'remove', rule: target.rule, planKey: target.planKey });
    else out.set(productKey, { productKey, action: 'replace', rule: target.rule, planKey: target.planKey, prices: target.prices });
  }
  // Add-ons cannot outlive their parent on the subscription.
  for (const [productKey, r] of out) {
    const parent = findProduct(catalog, productKey)?.addonOf ?? null;
    if (parent === null || r.action === 'remove') continue;
    const p = out.get(parent);
    if (p === undefined || p.action === 'remove') out.set(productKey, { productKey, action: 'remove', rule: 'parent_removed', planKey: null });
  }
  return [...out.values()];
}

function resetTarget(
  catalog: Catalog,
  productKey: string,
  own: readonly StartupItem[],
  currency: string,
  interval: Interval,
): { rule: ResetRule; planKey: string; prices: Price[] } {
  const moveTo = own.flatMap((i) => {
    const key = i.price?.startup?.moveToPrice ?? null;
    const p = key === null ? null : findPrice(catalog, key);
    return p && p.productKey === productKey && p.currency === currency && p.interval === interval ? [p] : [];
  });
  if (moveTo.length > 0) {
    const unique = [...new Map(moveTo.map((p) => [p.key, p])).values()];
    return { rule: 'move_to_price', planKey: unique[0]!.planKey, prices: unique };
  }
  if (own.some((i) => i.price?.startup?.startupPlan === true)) {
    const paid = defaultPaidPlanOf(catalog, productKey);
    const prices = paid ? subscriptionPricesFor(catalog, productKey, paid.key, currency, interval) : [];
    if (paid && prices.length > 0) return { rule: 'default_paid', planKey: paid.key, prices };
  }
  const product = findProduct(catalog, productKey)!;
  return {
    rule: 'default_plan',
    planKey: product.defaultPlan,
    prices: subscriptionPricesFor(catalog, productKey, product.defaultPlan, currency, interval),
  };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}
