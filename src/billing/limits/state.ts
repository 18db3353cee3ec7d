/**
 * The billing state of an instance's customer in one call (what the instance renders on its billing page
 * and uses to stop ingesting for a customer): the period, each subscribed product with its tiers, usage,
 * amounts so far and projected, free allocation, billing limit, unit limit and quota; totals before and
 * after the discount; available features; trial; discount. Read-only: it computes a due next-period limit
 * and a lagging period as they are now, without writing them.
 */
import { eq } from 'drizzle-orm';
import type { Aggregation, Catalog, Price, PricingScheme, Tier } from '../../core/catalog/model.js';
import { linesFromRating, totalInvoice, type DraftLine } from '../../core/invoicing/index.js';
import { Decimal, divRound } from '../../core/money/decimal.js';
import type { DateRange } from '../../core/periods/calendar.js';
import type { Discount } from '../../core/pricing/discount.js';
import { ratePrice } from '../../core/pricing/rate.js';
import { invalid } from '../../shared/errors.js';
import { billingLimits } from '../../store/schema.js';
import { catalogOfVersion, currentCatalogVersion } from '../catalog/catalog-versions.js';
import type { ServiceContext } from '../context.js';
import { getCustomerInScope } from '../customers/scope.js';
import { getAvailableFeatures, type AvailableFeatures } from '../entitlements/index.js';
import type { Subscription, SubscriptionItem } from '../subscriptions/index.js';
import { ratedSubscription } from './rated-subscription.js';
import { usageForPeriod } from '../usage/read-usage.js';
import { effectiveRow, periodInForce } from './common.js';
import { discountLookupOf, type LimitOptions } from './discount-lookup.js';
import { computeQuota } from './quota.js';

export interface ProductBillingState {
  productKey: string;
  productName: string;
  unit: string | null;
  planKey: string;
  /** The product's metered price when it has one, else its first price. */
  priceKey: string;
  /** Every price of the product in force (a plan may pair an up-front fee with a metered price). */
  priceKeys: string[];
  scheme: PricingScheme;
  /** The tiers of `scheme` when it is tiered; null otherwise. */
  tiers: readonly Tier[] | null;
  metric: string | null;
  aggregation: Aggregation | null;
  /** Period usage per the price's aggregation; null when the product meters nothing. */
  usage: Decimal | null;
  /** List-price amount of the period so far: the metered price at `usage` plus the product's fixed fees. */
  amount: bigint;
  /** Usage at period end if it keeps its pace (sum, count: linear in elapsed time; max, last, unique: as now). */
  projectedUsage: Decimal | null;
  projectedAmount: bigint;
  /** Units of a first tier priced 0 (unit and flat amount), e.g. the first million events; null when none. */
  freeAllocation: Decimal | null;
  /** The billing limit in force (minor units) and a pending next-period change; null when none. */
  billingLimit: { amount: bigint | null; currency: string; nextAmount: bigint | null; nextFrom: Date | null } | null;
  /** The quantity the limit buys through the tiers, discount first; null without a limit (or when it buys any). */
  unitLimit: Decimal | null;
  /** Usage has reached the unit limit: the instance should stop ingesting for this product. */
  quotaLimited: boolean;
}

export interface BillingState {
  customerId: string;
  currency: string;
  at: Date;
  subscriptionId: string | null;
  /** The period in force; null without a live subscription. */
  period: DateRange | null;
  /** How much of the period has passed (0–1); null without a period. */
  elapsed: number | null;
  products: ProductBillingState[];
  totals: {
    amount: bigint;
    discountAmount: bigint;
    amountAfterDiscount: bigint;
    projectedAmount: bigint;
    projectedDiscountAmount: bigint;
    projectedAmountAfterDiscount: bigint;
  };
  /** The customer's discount in force (see discount-lookup.ts); null when none. */
  discount: Discount | null;
  features: AvailableFeatures;
  trial: { freeTrialUntil: Date | null; active: boolean };
}

/** First tier priced 0 (unit and flat) and bounded → its units; anything else → null. */
export function freeAllocationOf(scheme: PricingScheme): Decimal | null {
  if (scheme.type !== 'tiered') return null;
  const first = scheme.tiers[0];
  if (!first || !first.unitAmount.isZero() || !first.flatAmount.isZero() || first.upTo === null) return null;
  return first.upTo;
}

/**
 * End-of-period usage if the period continues at its pace so far. Sums and counts grow with time, so they
 * are scaled by period length / elapsed time (rounded half-up to whole units: it is an estimate); a
 * maximum, a last value and a count of distinct keys do not grow in proportion, so they stay as they are.
 */
export function projectUsage(aggregation: Aggregation, usage: Decimal, period: DateRange, now: Date): Decimal {
  if (aggregation !== 'sum' && aggregation !== 'count') return usage;
  const total = BigInt(period.end.getTime() - period.start.getTime());
  const elapsed = BigInt(Math.min(Math.max(now.getTime() - period.start.getTime(), 0), Number(total)));
  if (elapsed === 0n || total === 0n) return usage;
  const units = divRound(usage.scaled * total, elapsed * Decimal.ONE.scaled, 'half_up');
  return Decimal.fromBigInt(units);
}

function sourceOf(price: Price): DraftLine['source'] {
  if (price.metered) return 'usage';
  return price.scheme.type === 'up_front' ? 'up_front' : 'recurring';
}

interface Priced {
  lines: DraftLine[];
  projectedLines: DraftLine[];
}

async function productState(
  ctx: ServiceContext,
  customerId: string,
  sub: Subscription,
  items: SubscriptionItem[],
  period: DateRange,
  now: Date,
  catalogOf: (item: SubscriptionItem) => Promise<Catalog>,
  limitRow: { amount: bigint | null; currency: string; nextAmount: bigint | null; nextFrom: Date | null } | null,
  opts: LimitOptions,
): Promise<{ state: ProductBillingState; priced: Priced }> {
  const metered = items.find((i) => i.price.metered !== null) ?? null;
  const main = metered ?? items[0]!;
  const catalog = await catalogOf(main);
  const product = catalog.products.get(main.productKey);
  const currency = sub.currency;
  let usage: Decimal | null = null;
  let projectedUsage: Decimal | null = null;
  const lines: DraftLine[] = [];
  const projectedLines: DraftLine[] = [];
  let amount = 0n;
  let projectedAmount = 0n;
  for (const item of items) {
    const p = item.price;
    let quantity = Decimal.ZERO;
    let projected = Decimal.ZERO;
    if (p.metered) {
      quantity = await usageForPeriod(ctx, customerId, p.metered.metric, p.metered.aggregation, period.start, period.end);
      projected = projectUsage(p.metered.aggregation, quantity, period, now);
      if (item === metered) {
        usage = quantity;
        projectedUsage = projected;
      }
    }
    const rating = ratePrice(p.scheme, quantity, currency);
    const projectedRating = ratePrice(p.scheme, projected, currency);
    amount += rating.amount;
    projectedAmount += projectedRating.amount;
    const base = { price: p, productName: product?.name ?? item.productKey, unit: product?.unit ?? null, period, source: sourceOf(p) };
    lines.push(...linesFromRating({ ...base, rating }));
    projectedLines.push(...linesFromRating({ ...base, rating: projectedRating }));
  }
  const quota = limitRow ? await computeQuota(ctx, customerId, sub, main.productKey, limitRow, now, discountLookupOf(opts)) : null;
  const state: ProductBillingState = {
    productKey: main.productKey,
    productName: product?.name ?? main.productKey,
    unit: product?.unit ?? null,
    planKey: main.planKey,
    priceKey: main.priceKey,
    priceKeys: items.map((i) => i.priceKey),
    scheme: main.price.scheme,
    tiers: main.price.scheme.type === 'tiered' ? main.price.scheme.tiers : null,
    metric: metered?.price.metered?.metric ?? null,
    aggregation: metered?.price.metered?.aggregation ?? null,
    usage,
    amount,
    projectedUsage,
    projectedAmount,
    freeAllocation: metered ? freeAllocationOf(metered.price.scheme) : null,
    billingLimit: limitRow && (limitRow.amount !== null || limitRow.nextFrom !== null) ? { ...limitRow } : null,
    unitLimit: quota?.unitLimit?.quantity ?? null,
    quotaLimited: quota?.limited ?? false,
  };
  return { state, priced: { lines, projectedLines } };
}

/**
 * A customer's billing state now. The instance sees only its own customers (R1): another instance's
 * customer is not found. Amounts are list-price minor units of the customer's currency; totals apply the
 * discount the way invoices do (once on the sum, `totalInvoice`), so they match the period's invoice.
 */
export async function getBillingState(ctx: ServiceContext, customerId: string, opts: LimitOptions = {}): Promise<BillingState> {
  const customer = await getCustomerInScope(ctx, customerId);
  const now = ctx.clock.now();
  const sub = await ratedSubscription(ctx, customerId);
  const period = periodInForce(sub, now);
  const rows = await ctx.db.select().from(billingLimits).where(eq(billingLimits.customerId, customerId));
  const limitOf = new Map(rows.map((r) => [r.productKey, effectiveRow(r, now)]));
  const cache = new Map<string, Catalog>();
  const catalogOf = async (item: SubscriptionItem): Promise<Catalog> => {
    let c = cache.get(item.catalogVersionId);
    if (!c) cache.set(item.catalogVersionId, (c = await catalogOfVersion(ctx.db, item.catalogVersionId)));
    return c;
  };

  const products: ProductBillingState[] = [];
  const lines: DraftLine[] = [];
  const projectedLines: DraftLine[] = [];
  if (sub && period) {
    const byProduct = new Map<string, SubscriptionItem[]>();
    for (const i of sub.items) byProduct.set(i.productKey, [...(byProduct.get(i.productKey) ?? []), i]);
    // In the catalog's product order, so the page reads like the config.
    const order = [...(await currentCatalogVersion(ctx.db)).catalog.products.keys()];
    const keys = [...byProduct.keys()].sort((a, b) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0));
    for (const key of keys) {
      const r = await productState(ctx, customerId, sub, byProduct.get(key)!, period, now, catalogOf, limitOf.get(key) ?? null, opts);
      products.push(r.state);
      lines.push(...r.priced.lines);
      projectedLines.push(...r.priced.projectedLines);
    }
  }
  // As the period's invoice will: the discount in force at the period's start, on the products it covers.
  const lookup = discountLookupOf(opts);
  const at = period?.start ?? now;
  const discount = await lookup(ctx, customerId, at);
  const covered: string[] = [];
  if (discount) for (const p of products) if ((await lookup(ctx, customerId, at, p.productKey)) !== null) covered.push(p.productKey);
  const invoiceDiscount = discount ? { couponId: 'current', discount, productKeys: covered } : null;
  const current = totalInvoice({ lines, discount: invoiceDiscount, customerBalance: 0n });
  const projected = totalInvoice({ lines: projectedLines, discount: invoiceDiscount, customerBalance: 0n });
  const features = await getAvailableFeatures(ctx, customerId);
  const elapsed = period ? Math.min(1, Math.max(0, (now.getTime() - period.start.getTime()) / (period.end.getTime() - period.start.getTime()))) : null;
  return {
    customerId,
    currency: customer.currency,
    at: now,
    subscriptionId: sub && sub.status !== 'canceled' ? sub.id : null,
    period,
    elapsed,
    products,
    totals: {
      amount: current.subtotal,
      discountAmount: current.discountTotal,
      amountAfterDiscount: current.total,
      projectedAmount: projected.subtotal,
      projectedDiscountAmount: projected.discountTotal,
      projectedAmountAfterDiscount: projected.total,
    },
    discount,
    features,
    trial: { freeTrialUntil: customer.freeTrialUntil, active: customer.freeTrialUntil !== null && customer.freeTrialUntil.getTime() > now.getTime() },
  };
}

export interface MetricUsage {
  metric: string;
  productKey: string;
  sum: Decimal;
  count: Decimal;
  max: Decimal;
  last: Decimal;
  /** Distinct `unique_key`s; null when no price counts this metric `unique` (distinct keys are not kept then). */
  unique: Decimal | null;
  /** The aggregation of the customer's price in force for this metric, if any: the one that is billed. */
  billedAggregation: Aggregation | null;
}

/**
 * Current-period usage of a customer, per metric (all of the catalog's metrics, or one) and per
 * aggregation. The period is the subscription's in force; without a live subscription, the UTC calendar
 * month (usage is still metered, R4, and an instance may show it).
 */
export async function getCurrentUsage(ctx: ServiceContext, customerId: string, metric?: string): Promise<{ period: DateRange; subscribed: boolean; data: MetricUsage[] }> {
  await getCustomerInScope(ctx, customerId);
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  if (metric !== undefined && !catalog.metrics.has(metric)) {
    throw invalidMetric(metric, catalog);
  }
  const now = ctx.clock.now();
  const sub = await ratedSubscription(ctx, customerId);
  const inForce = periodInForce(sub, now);
  const period = inForce ?? { start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
  const uniqueMetrics = new Set<string>();
  for (const p of catalog.prices.values()) if (p.metered?.aggregation === 'unique') uniqueMetrics.add(p.metered.metric);
  const billed = new Map<string, Aggregation>();
  if (inForce && sub) for (const i of sub.items) if (i.price.metered) billed.set(i.price.metered.metric, i.price.metered.aggregation);
  const metrics = metric !== undefined ? [metric] : [...catalog.metrics.keys()];
  const data: MetricUsage[] = [];
  for (const m of metrics) {
    const read = (a: Aggregation) => usageForPeriod(ctx, customerId, m, a, period.start, period.end);
    data.push({
      metric: m,
      productKey: catalog.metrics.get(m)!,
      sum: await read('sum'),
      count: await read('count'),
      max: await read('max'),
      last: await read('last'),
      unique: uniqueMetrics.has(m) ? await read('unique') : null,
      billedAggregation: billed.get(m) ?? null,
    });
  }
  return { period, subscribed: inForce !== null, data };
}

function invalidMetric(metric: string, catalog: Catalog) {
  return invalid('metric_unknown', `Unknown metric '${metric}'; known: ${[...catalog.metrics.keys()].join(', ')}.`, 'metric');
}
