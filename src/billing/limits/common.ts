/**
 * Pieces shared by billing limits, quota evaluation and the billing state: the period in force, the item
 * that meters a product, and the stored limit row with its pending "next period" change.
 */
import type { Catalog, Price, Product } from '../../core/catalog/model.js';
import { periodAt } from '../../core/periods/calendar.js';
import type { DateRange } from '../../core/periods/calendar.js';
import { invalid } from '../../shared/errors.js';
import type { billingLimits } from '../../store/schema.js';
import type { Subscription, SubscriptionItem } from '../subscriptions/index.js';

export type LimitRow = typeof billingLimits.$inferSelect;

/**
 * The billing period of `sub` that contains `now`. The stored period can lag behind the clock until the
 * roll-over job runs, so a period that has ended is replaced by the anchor's period at `now` (as entitlements
 * do with due transitions); a subscription canceled, or set to cancel at a period end that has passed, has
 * none. Periods are whole UTC days, which is how usage is kept.
 */
export function periodInForce(sub: Subscription | null, now: Date): DateRange | null {
  if (!sub || sub.status === 'canceled') return null;
  if (now.getTime() < sub.currentPeriodEnd.getTime()) return { start: sub.currentPeriodStart, end: sub.currentPeriodEnd };
  if (sub.cancelAtPeriodEnd) return null;
  const p = periodAt(sub.billingAnchor, sub.interval, now);
  return { start: p.start, end: p.end };
}

/** The live item that meters `productKey` (a product's usage price), or null. */
export function meteredItem(sub: Subscription | null, productKey: string): (SubscriptionItem & { price: Price & { metered: NonNullable<Price['metered']> } }) | null {
  if (!sub || sub.status === 'canceled') return null;
  const item = sub.items.find((i) => i.productKey === productKey && i.price.metered !== null);
  return (item as (SubscriptionItem & { price: Price & { metered: NonNullable<Price['metered']> } }) | undefined) ?? null;
}

/** A limit row as it reads at `now`: a "next period" change whose time has come is already in force. */
export function effectiveRow(row: LimitRow, now: Date): LimitRow {
  if (row.nextFrom === null || row.nextFrom.getTime() > now.getTime()) return row;
  return { ...row, amount: row.nextAmount, nextAmount: null, nextFrom: null };
}

/** A product key, or a metric that a product meters → the product. Throws naming `param` otherwise. */
export function productFor(catalog: Catalog, productOrMetric: string, param = 'product'): Product {
  const direct = catalog.products.get(productOrMetric);
  const key = direct ? productOrMetric : catalog.metrics.get(productOrMetric);
  const product = key === undefined ? undefined : catalog.products.get(key);
  if (!product) {
    throw invalid('product_unknown', `'${productOrMetric}' is neither a product nor a metric of the billing config; products: ${[...catalog.products.keys()].join(', ')}.`, param);
  }
  return product;
}
