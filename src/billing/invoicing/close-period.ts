import { and, eq, isNull, sql } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
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
import { lockCustomer, lockCustomers, type Customer } from '../customers/customers.js';
import { createDraftInvoice, finalizeInvoice, getInvoice, type Invoice } from '../invoices/index.js';
import { issuePeriodInvoices, type PeriodInvoice } from '../invoices/issue.js';
import { inForceAt, itemsInForce, itemsOfSubscriptions, pricingPeriodEnding, type SubscriptionItem, type SubscriptionRow } from '../subscriptions/index.js';
import { usageForPeriods, usageNeedKey, type UsageNeed } from '../usage/read-usage.js';
import { invoiceDiscountFor, invoiceDiscountsFor, recordInvoiceCouponUse } from './discount-lookup.js';
import { customerPricesInForce, ratingPriceFrom, type CustomerPrice } from '../pricing/customer-prices.js';

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

/** The catalog version of each item, read once each (versions are cached whole). */
async function catalogsOf(ctx: ServiceContext, items: readonly SubscriptionItem[]): Promise<Map<string, Catalog>> {
  const out = new Map<string, Catalog>();
  for (const id of new Set(items.map((i) => i.catalogVersionId))) out.set(id, await catalogOfVersion(ctx.db, id));
  return out;
}

/** The usage a metered item needs for [start, end); null for an item that is not metered. */
function usageNeed(customerId: string, item: SubscriptionItem, start: Date, end: Date): UsageNeed | null {
  const m = item.price.metered;
  return m ? { customerId, metric: m.metric, aggregation: m.aggregation, start, end: ceilDay(end) } : null;
}

const usageNeeds = (customerId: string, items: readonly SubscriptionItem[], start: Date, end: Date): UsageNeed[] =>
  items.flatMap((i) => usageNeed(customerId, i, start, end) ?? []);

/** Usage lines of the metered items for [start, end), one per tier touched, from usage already read. */
function usageLinesFrom(customerId: string, currency: string, items: readonly SubscriptionItem[], start: Date, end: Date, usage: ReadonlyMap<string, Decimal>, catalogs: ReadonlyMap<string, Catalog>): DraftLine[] {
  const out: DraftLine[] = [];
  for (const item of items) {
    const need = usageNeed(customerId, item, start, end);
    if (!need) continue;
    const qty = usage.get(usageNeedKey(need)) ?? Decimal.ZERO;
    const { name, unit } = productLabel(catalogs.get(item.catalogVersionId) as Catalog, item.price);
    out.push(...linesFromRating({ price: item.price, productName: name, unit, rating: ratePrice(item.price.scheme, qty, currency), period: { start, end }, source: 'usage' }));
  }
  return out;
}

/** Flat and up-front fees of `items` for the period [start, end), billed in advance. */
function feeLinesFrom(currency: string, items: readonly SubscriptionItem[], start: Date, end: Date, catalogs: ReadonlyMap<string, Catalog>): DraftLine[] {
  const out: DraftLine[] = [];
  for (const item of items) {
    const t = item.price.scheme.type;
    if (item.price.metered || (t !== 'flat' && t !== 'up_front')) continue;
    const { name, unit } = productLabel(catalogs.get(item.catalogVersionId) as Catalog, item.price);
    out.push(
      ...linesFromRating({ price: item.price, productName: name, unit, rating: ratePrice(item.price.scheme, Decimal.ONE, currency), period: { start, end }, source: t === 'up_front' ? 'up_front' : 'recurring' }),
    );
  }
  return out;
}

/** Usage lines of the metered items for [start, end), one per tier touched (the upcoming-invoice preview). */
export async function usageLines(ctx: ServiceContext, customerId: string, currency: string, items: SubscriptionItem[], start: Date, end: Date): Promise<DraftLine[]> {
  const prices = await customerPricesInForce(ctx.db, [{ customerId, at: start }]);
  const rated = atRatingPrices(items, prices.get(`${customerId}/${start.getTime()}`) ?? []);
  const usage = await usageForPeriods(ctx, usageNeeds(customerId, rated, start, end));
  return usageLinesFrom(customerId, currency, rated, start, end, usage, await catalogsOf(ctx, rated));
}

/**
 * The metered items with the price their usage is rated at: the customer's own price in force at the
 * period start (contract overage rates, R19) instead of the catalog's, where there is one.
 */
function atRatingPrices(items: readonly SubscriptionItem[], customerPrices: readonly CustomerPrice[]): SubscriptionItem[] {
  return customerPrices.length === 0 ? [...items] : items.map((i) => ({ ...i, price: ratingPriceFrom(i.price, customerPrices) }));
}

/** Flat and up-front fees of `items` for the period [start, end), billed in advance. */
export async function feeLines(ctx: ServiceContext, currency: string, items: SubscriptionItem[], start: Date, end: Date): Promise<DraftLine[]> {
  return feeLinesFrom(currency, items, start, end, await catalogsOf(ctx, items));
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

function parsePeriod(p: PeriodToClose): { p: PeriodToClose; start: Date; end: Date } {
  const start = new Date(p.period_start);
  const end = new Date(p.period_end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw invalid('invalid_period', 'The period to close is not a valid range.', 'period_end');
  return { p, start, end };
}

/**
 * Invoices a closed period, once (R17): usage of [start, end) in arrears, priced at the items in force at
 * the period's end (R10), and the flat/up-front fees of the next period in advance unless the subscription
 * ended; then the customer's coupon and, at finalization, the credit balance. `$0` lines stay (R4).
 * The unique (subscription, period start) index makes a second invoice impossible; a rerun after a crash
 * finds the first one and returns it. Null when there was nothing to bill.
 */
export async function closeSubscriptionPeriod(ctx: ServiceContext, p: PeriodToClose): Promise<Invoice | null> {
  const [id] = await closePeriods(ctx, [p]);
  return id ? getInvoice(ctx, id) : null;
}

/**
 * closeSubscriptionPeriod for many periods in one transaction — a month end closes every subscription's
 * period at once. It locks all their customers (in id order), reads items, usage, coupons and balances
 * with a query each for the whole batch, and issues the invoices together (issuePeriodInvoices). A
 * customer with two periods in the batch has the later ones invoiced after the first, one at a time, so
 * each sees the balance and coupon the earlier one left. Returns, per period, its invoice id (the one
 * made now or before) or null when there was nothing to bill.
 */
export async function closePeriods(ctx: ServiceContext, list: readonly PeriodToClose[]): Promise<(string | null)[]> {
  const periods = list.map(parsePeriod);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const subIds = [...new Set(periods.map((x) => x.p.subscription_id))];
    const subs = new Map((await tx.select().from(subscriptions).where(anyOf(subscriptions.id, subIds))).map((s) => [s.id, s]));
    for (const x of periods) if (!subs.has(x.p.subscription_id)) throw invalid('subscription_unknown', `No subscription '${x.p.subscription_id}'.`, 'subscription_id');
    // Invoicing a customer is serialized: a rerun waits here and then finds the first run's invoice.
    const customers = await lockCustomers(c, [...subs.values()].map((s) => s.customerId));
    const existing = await tx
      .select({ id: invoices.id, subscriptionId: invoices.subscriptionId, periodStart: invoices.periodStart })
      .from(invoices)
      .where(and(anyOf(invoices.subscriptionId, subIds), anyOf(invoices.periodStart, [...new Set(periods.map((x) => x.start.getTime()))].map((t) => new Date(t)))));
    const done = new Map(existing.map((e) => [`${e.subscriptionId}/${e.periodStart?.getTime()}`, e.id as string | null]));
    const key = (x: { p: PeriodToClose; start: Date }) => `${x.p.subscription_id}/${x.start.getTime()}`;

    const todo = periods.filter((x) => !done.has(key(x)));
    const seen = new Set<string>();
    const now: typeof todo = [];
    const later: typeof todo = [];
    for (const x of todo) {
      const customerId = (subs.get(x.p.subscription_id) as SubscriptionRow).customerId;
      (seen.has(customerId) ? later : now).push(x);
      seen.add(customerId);
    }
    for (const [k, id] of await invoiceBatch(c, now, subs, customers)) done.set(k, id);
    for (const x of later) for (const [k, id] of await invoiceBatch(c, [x], subs, customers)) done.set(k, id);
    return periods.map((x) => done.get(key(x)) ?? null);
  });
}

/** The invoices of periods of distinct customers, whose locks the caller holds. Keyed `subscription/start ms`. */
async function invoiceBatch(
  c: ServiceContext,
  periods: readonly { p: PeriodToClose; start: Date; end: Date }[],
  subs: ReadonlyMap<string, SubscriptionRow>,
  customers: ReadonlyMap<string, Customer>,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (periods.length === 0) return out;
  const items = await itemsOfSubscriptions(c.db, periods.map((x) => x.p.subscription_id));
  const plans = periods.map((x) => {
    const sub = subs.get(x.p.subscription_id) as SubscriptionRow;
    const all = items.get(sub.id) ?? [];
    const metered = pricingPeriodEnding(all, x.end);
    const next = x.p.reason === 'canceled' ? null : periodAt(sub.billingAnchor, sub.interval, x.end);
    const ahead = next ? inForceAt(all, x.end) : [];
    return { ...x, sub, metered, next, ahead };
  });
  const prices = await customerPricesInForce(c.db, plans.map((x) => ({ customerId: x.sub.customerId, at: x.start })));
  for (const x of plans) x.metered = atRatingPrices(x.metered, prices.get(`${x.sub.customerId}/${x.start.getTime()}`) ?? []);
  const usage = await usageForPeriods(c, plans.flatMap((x) => usageNeeds(x.sub.customerId, x.metered, x.start, x.end)));
  const catalogs = await catalogsOf(c, plans.flatMap((x) => [...x.metered, ...x.ahead]));
  // A coupon covers the periods that START within its term (a 2-month coupon: two monthly invoices).
  const discounts = await invoiceDiscountsFor(c, plans.map((x) => ({ customerId: x.sub.customerId, at: x.start })));
  const toIssue: (PeriodInvoice & { key: string })[] = [];
  for (const x of plans) {
    const lines = usageLinesFrom(x.sub.customerId, x.sub.currency, x.metered, x.start, x.end, usage, catalogs);
    if (x.next) lines.push(...feeLinesFrom(x.sub.currency, x.ahead, x.next.start, x.next.end, catalogs));
    if (lines.length === 0) {
      out.set(`${x.sub.id}/${x.start.getTime()}`, null); // nothing metered and nothing to bill ahead: no invoice
      continue;
    }
    const customer = customers.get(x.sub.customerId);
    if (!customer) throw new Error(`customer ${x.sub.customerId} of subscription ${x.sub.id} not found`);
    toIssue.push({
      key: `${x.sub.id}/${x.start.getTime()}`,
      customer,
      subscriptionId: x.sub.id,
      periodStart: x.start,
      periodEnd: x.end,
      lines,
      discount: discounts.get(x.sub.customerId) ?? null,
      metadata: { billing_reason: x.p.reason === 'canceled' ? 'subscription_cancel' : 'subscription_cycle' },
    });
  }
  const ids = await issuePeriodInvoices(c, toIssue);
  for (const [i, inv] of toIssue.entries()) {
    const id = ids[i] as string;
    out.set(inv.key, id);
    if (inv.discount) await recordInvoiceCouponUse(c, inv.customer.id, inv.discount.couponId, id);
  }
  return out;
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
