import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Catalog, Price } from '../../core/catalog/model.js';
import { linesFromRating, type DraftLine } from '../../core/invoicing/index.js';
import { Decimal } from '../../core/money/index.js';
import { periodAt } from '../../core/periods/index.js';
import { ratePrice } from '../../core/pricing/index.js';
import { invalid } from '../../shared/errors.js';
import { invoices, subscriptions } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { catalogOfVersion } from '../catalog/catalog-versions.js';
import { withDb, type ServiceContext } from '../context.js';
import { lockCustomer } from '../customers/customers.js';
import { createDraftInvoice, finalizeInvoice, getInvoice, type Invoice } from '../invoices/index.js';
import { ratingPrice } from '../pricing/customer-prices.js';
import { itemsAtPeriodEnd, itemsInForce, type SubscriptionItem } from '../subscriptions/index.js';
import { usageForPeriod } from '../usage/read-usage.js';
import { invoiceDiscountFor, recordInvoiceCouponUse } from './discount-lookup.js';

const DAY = 86_400_000;
/** Usage is kept per UTC day; a period cut short mid-day (cancel now) reads that day whole. */
const ceilDay = (d: Date): Date => new Date(Math.ceil(d.getTime() / DAY) * DAY);

export interface PeriodToClose {
  subscription_id: string;
  period_start: string;
  period_end: string;
  reason: 'roll_over' | 'canceled' | 'interval_change';
}

function productLabel(catalog: Catalog, price: Price): { name: string; unit: string | null } {
  const product = catalog.products.get(price.productKey);
  return { name: product?.name ?? price.productKey, unit: product?.unit ?? null };
}

/** Usage lines of the metered items for [start, end), one per tier touched. */
export async function usageLines(ctx: ServiceContext, customerId: string, currency: string, items: SubscriptionItem[], start: Date, end: Date): Promise<DraftLine[]> {
  const out: DraftLine[] = [];
  for (const item of items) {
    if (!item.price.metered) continue;
    // A customer's own price (contract overage rates, R19) in force at the period start replaces the catalog's.
    const price = await ratingPrice(ctx.db, customerId, item.price, start);
    const m = price.metered!;
    const qty = await usageForPeriod(ctx, customerId, m.metric, m.aggregation, start, ceilDay(end));
    const catalog = await catalogOfVersion(ctx.db, item.catalogVersionId);
    const { name, unit } = productLabel(catalog, price);
    out.push(...linesFromRating({ price, productName: name, unit, rating: ratePrice(price.scheme, qty, currency), period: { start, end }, source: 'usage' }));
  }
  return out;
}

/** Flat and up-front fees of `items` for the period [start, end), billed in advance. */
export async function feeLines(ctx: ServiceContext, currency: string, items: SubscriptionItem[], start: Date, end: Date): Promise<DraftLine[]> {
  const out: DraftLine[] = [];
  for (const item of items) {
    const t = item.price.scheme.type;
    if (item.price.metered || (t !== 'flat' && t !== 'up_front')) continue;
    const catalog = await catalogOfVersion(ctx.db, item.catalogVersionId);
    const { name, unit } = productLabel(catalog, item.price);
    out.push(
      ...linesFromRating({ price: item.price, productName: name, unit, rating: ratePrice(item.price.scheme, Decimal.ONE, currency), period: { start, end }, source: t === 'up_front' ? 'up_front' : 'recurring' }),
    );
  }
  return out;
}

/** The subscription, with its customer locked: invoicing a customer is serialized, so reruns see each other. */
async function lockSubscriptionCustomer(ctx: ServiceContext, subscriptionId: string): Promise<typeof subscriptions.$inferSelect> {
  const [sub] = await ctx.db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId));
  if (!sub) throw invalid('subscription_unknown', `No subscription '${subscriptionId}'.`, 'subscription_id');
  await lockCustomer(ctx, sub.customerId);
  return sub;
}

async function finalizeWithCoupon(ctx: ServiceContext, customerId: string, draft: Invoice): Promise<Invoice> {
  const inv = await finalizeInvoice(ctx, draft.id);
  if (draft.discount) await recordInvoiceCouponUse(ctx, customerId, draft.discount.couponId, inv.id);
  return inv;
}

/**
 * Invoices a closed period, once (R17): usage of [start, end) in arrears, priced at the items in force at
 * the period's end (R10), and the flat/up-front fees of the next period in advance unless the subscription
 * ended; then the customer's coupon and, at finalization, the credit balance. `$0` lines stay (R4).
 * The unique (subscription, period start) index makes a second invoice impossible; a rerun after a crash
 * finds the first one and returns it.
 */
export async function closeSubscriptionPeriod(ctx: ServiceContext, p: PeriodToClose): Promise<Invoice | null> {
  const start = new Date(p.period_start);
  const end = new Date(p.period_end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw invalid('invalid_period', 'The period to close is not a valid range.', 'period_end');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const sub = await lockSubscriptionCustomer(c, p.subscription_id);
    const [existing] = await tx
      .select({ id: invoices.id })
      .from(invoices)
      .where(and(eq(invoices.subscriptionId, sub.id), eq(invoices.periodStart, start)));
    if (existing) return getInvoice(c, existing.id);

    const lines = await usageLines(c, sub.customerId, sub.currency, await itemsAtPeriodEnd(c, sub.id, end), start, end);
    if (p.reason !== 'canceled') {
      const next = periodAt(sub.billingAnchor, sub.interval, end);
      lines.push(...(await feeLines(c, sub.currency, await itemsInForce(c, sub.id, end), next.start, next.end)));
    }
    if (lines.length === 0) return null; // nothing metered and nothing to bill ahead: no invoice
    // A coupon covers the periods that START within its term (a 2-month coupon: two monthly invoices).
    const discount = await invoiceDiscountFor(c, sub.customerId, start);
    const draft = await createDraftInvoice(c, {
      customerId: sub.customerId,
      subscriptionId: sub.id,
      periodStart: start,
      periodEnd: end,
      collectionMethod: 'charge_automatically',
      lines,
      discount,
      metadata: { billing_reason: p.reason === 'canceled' ? 'subscription_cancel' : 'subscription_cycle' },
    });
    return finalizeWithCoupon(c, sub.customerId, draft);
  });
}

/**
 * The first period's flat and up-front fees, billed in advance when a subscription starts. It is not
 * keyed to a usage period (that key belongs to the period's closing invoice), so it names its subscription
 * and period in metadata; a rerun finds the earlier one there, under the customer lock.
 */
export async function openSubscriptionPeriod(ctx: ServiceContext, p: { subscription_id: string; period_start: string; period_end: string; items_at: string }): Promise<Invoice | null> {
  const start = new Date(p.period_start);
  const end = new Date(p.period_end);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const sub = await lockSubscriptionCustomer(c, p.subscription_id);
    const [existing] = await tx
      .select({ id: invoices.id })
      .from(invoices)
      .where(
        and(
          eq(invoices.customerId, sub.customerId),
          isNull(invoices.subscriptionId),
          sql`${invoices.metadata}->>'subscription' = ${sub.id}`,
          sql`${invoices.metadata}->>'opening_period' = ${p.period_start}`,
        ),
      );
    if (existing) return getInvoice(c, existing.id);
    const lines = await feeLines(c, sub.currency, await itemsInForce(c, sub.id, new Date(p.items_at)), start, end);
    if (lines.every((l) => l.amount === 0n)) return null; // nothing to charge ahead
    const discount = await invoiceDiscountFor(c, sub.customerId, start);
    const draft = await createDraftInvoice(c, {
      customerId: sub.customerId,
      collectionMethod: 'charge_automatically',
      lines,
      discount,
      metadata: { billing_reason: 'subscription_create', subscription: sub.id, opening_period: p.period_start },
    });
    return finalizeWithCoupon(c, sub.customerId, draft);
  });
}
