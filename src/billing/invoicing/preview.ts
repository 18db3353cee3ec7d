import { totalInvoice, type InvoiceTotals } from '../../core/invoicing/index.js';
import { periodAt } from '../../core/periods/index.js';
import type { ServiceContext } from '../context.js';
import { customerBalance } from '../balance/index.js';
import { getCustomerInScope } from '../customers/scope.js';
import type { InvoiceDiscount } from '../invoices/index.js';
import { getSubscription, itemsInForce, type Subscription, type SubscriptionItem } from '../subscriptions/index.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { requirePrice, requireProduct, subscriptionPricesFor } from '../../core/catalog/lookup.js';
import { invalid } from '../../shared/errors.js';
import { feeLines, usageLines } from './close-period.js';
import { invoiceDiscountFor } from './discount-lookup.js';

/** A plan change to preview: the product's items replaced by the plan's (or one price's) prices of the catalog in force. */
export interface PlanChange {
  product: string;
  plan?: string | undefined;
  price?: string | undefined;
}

/**
 * The items as they would be right after changing the plan now. No proration (R10): the whole period's usage
 * is priced at the new item, as the period close would do.
 */
async function withChange(ctx: ServiceContext, sub: Subscription, items: SubscriptionItem[], change: PlanChange): Promise<SubscriptionItem[]> {
  const version = await currentCatalogVersion(ctx.db);
  const catalog = version.catalog;
  const product = requireProduct(catalog, change.product);
  let prices;
  if (change.price) {
    const price = requirePrice(catalog, change.price);
    if (price.productKey !== product.key) throw invalid('price_product_mismatch', `Price '${price.key}' belongs to '${price.productKey}', not '${product.key}'.`, 'price');
    prices = [price];
  } else {
    prices = subscriptionPricesFor(catalog, product.key, change.plan ?? product.defaultPlan, sub.currency, sub.interval);
  }
  if (prices.length === 0) throw invalid('price_unavailable', `Plan '${change.plan ?? product.defaultPlan}' of '${product.key}' has no ${sub.interval}ly price in ${sub.currency}.`, 'plan');
  const now = ctx.clock.now();
  const kept = items.filter((i) => i.productKey !== product.key);
  const added = prices.map((price, n): SubscriptionItem => ({
    id: `preview_${n}`,
    subscriptionId: sub.id,
    productKey: product.key,
    planKey: price.planKey,
    priceKey: price.key,
    catalogVersionId: version.id,
    price,
    startedAt: now,
    endedAt: null,
    validUntil: null,
  }));
  return [...kept, ...added];
}

export interface UpcomingInvoice {
  customerId: string;
  subscriptionId: string;
  currency: string;
  /** The usage period so far: from the period start to now. */
  periodStart: Date;
  periodEnd: Date;
  /** When the period actually closes and the invoice is made. */
  closesAt: Date;
  discount: InvoiceDiscount | null;
  totals: InvoiceTotals;
}

/**
 * What would be billed if the current period closed now: usage so far at the items in force now, the next
 * period's fees in advance, the coupon and the credit balance — the same computation as the period close,
 * written nowhere. Null when the customer has no live subscription.
 */
export async function previewUpcomingInvoice(ctx: ServiceContext, customerId: string, change?: PlanChange): Promise<UpcomingInvoice | null> {
  const customer = await getCustomerInScope(ctx, customerId);
  const sub = await getSubscription(ctx, customer.id);
  if (!sub || sub.status === 'canceled') return null;
  const now = ctx.clock.now();
  const inForce = await itemsInForce(ctx, sub.id, now);
  const items = change ? await withChange(ctx, sub, inForce, change) : inForce;
  const lines = await usageLines(ctx, customer.id, sub.currency, items, sub.currentPeriodStart, now);
  if (!sub.cancelAtPeriodEnd) {
    const next = periodAt(sub.billingAnchor, sub.interval, sub.currentPeriodEnd);
    lines.push(...(await feeLines(ctx, sub.currency, items, next.start, next.end)));
  }
  const discount = await invoiceDiscountFor(ctx, customer.id, now);
  const balance = await customerBalance(ctx, customer.id, sub.currency);
  return {
    customerId: customer.id,
    subscriptionId: sub.id,
    currency: sub.currency,
    periodStart: sub.currentPeriodStart,
    periodEnd: now,
    closesAt: sub.currentPeriodEnd,
    discount,
    totals: totalInvoice({ lines, discount, customerBalance: balance }),
  };
}
