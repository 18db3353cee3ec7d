/**
 * Billing state, billing limits and current usage on the wire: amounts are integers in minor units,
 * quantities and unit amounts decimal strings, currencies lower-case, times ISO 8601 UTC.
 */
import { z } from 'zod';
import type { BillingLimit, BillingState, MetricUsage, ProductBillingState } from '../billing/limits/index.js';
import type { Decimal } from '../core/money/index.js';
import type { Discount } from '../core/pricing/discount.js';
import { minorToJson } from '../core/money/index.js';

const Amount = z.number().int().describe('Minor units (cents; yen for JPY)');
const Quantity = z.string().describe('A decimal quantity in the product unit');
const Timestamp = z.string().describe('ISO 8601 UTC timestamp');

const int = minorToJson;
const intOrNull = (n: bigint | null): number | null => (n === null ? null : int(n));
const qty = (d: Decimal | null): string | null => d?.toString() ?? null;
const tsOrNull = (d: Date | null): string | null => d?.toISOString() ?? null;

export const BillingLimitJson = z
  .object({
    object: z.literal('billing_limit'),
    customer: z.string(),
    product: z.string(),
    amount: Amount.nullable().describe('The limit in force; null = none (a next-period one may be pending)'),
    currency: z.string(),
    next_amount: Amount.nullable().describe('Pending change from next_from; null with next_from set = removal'),
    next_from: Timestamp.nullable(),
    unit_limit: Quantity.nullable().describe('Units the limit buys through the price tiers, discount first (R12); null = none/unbounded'),
    list_amount_allowed: Amount.nullable().describe('List-price amount the limit buys after the discount ($200 at 20% off → $250)'),
    usage: Quantity.nullable().describe('Current-period usage of the product per its aggregation'),
    quota_limited: z.boolean().describe('Usage has reached the unit limit: stop ingesting for this product'),
    updated: Timestamp,
  })
  .meta({ id: 'BillingLimit' });

export function billingLimitJson(l: BillingLimit): z.infer<typeof BillingLimitJson> {
  return {
    object: 'billing_limit',
    customer: l.customerId,
    product: l.productKey,
    amount: intOrNull(l.amount),
    currency: l.currency.toLowerCase(),
    next_amount: intOrNull(l.nextAmount),
    next_from: tsOrNull(l.nextFrom),
    unit_limit: qty(l.unitLimit?.quantity ?? null),
    list_amount_allowed: intOrNull(l.unitLimit?.listAmountAllowed ?? null),
    usage: qty(l.usage),
    quota_limited: l.quotaLimited,
    updated: l.updatedAt.toISOString(),
  };
}

const DiscountJson = z
  .discriminatedUnion('type', [z.object({ type: z.literal('percent'), percent: z.string() }), z.object({ type: z.literal('fixed'), amount: Amount })])
  .nullable()
  .describe("The customer's discount in force; null when none");

function discountJson(d: Discount | null): z.infer<typeof DiscountJson> {
  if (!d) return null;
  return d.type === 'percent' ? { type: 'percent', percent: d.percent.toString() } : { type: 'fixed', amount: int(d.amount) };
}

const TierJson = z.object({
  up_to: Quantity.nullable().describe('Inclusive upper bound; null on the last tier'),
  unit_amount: z.string().describe('Minor units per unit, up to 12 decimal places'),
  flat_amount: z.string(),
});

const ProductStateJson = z.object({
  product: z.string(),
  name: z.string(),
  unit: z.string().nullable(),
  plan: z.string(),
  price: z.string().describe("The product's metered price (else its first price)"),
  prices: z.array(z.string()),
  pricing_type: z.enum(['flat', 'per_unit', 'package', 'tiered', 'up_front']),
  tiers_mode: z.enum(['graduated', 'volume']).nullable(),
  tiers: z.array(TierJson).nullable(),
  metric: z.string().nullable(),
  aggregation: z.enum(['sum', 'max', 'last', 'count', 'unique']).nullable(),
  usage: Quantity.nullable(),
  amount: Amount.describe('List price of the period so far (usage and fixed fees)'),
  projected_usage: Quantity.nullable().describe('sum/count: linear by elapsed share of the period; max/last/unique: as now'),
  projected_amount: Amount,
  free_allocation: Quantity.nullable().describe('Units of a first tier priced 0'),
  billing_limit: z.object({ amount: Amount.nullable(), currency: z.string(), next_amount: Amount.nullable(), next_from: Timestamp.nullable() }).nullable(),
  unit_limit: Quantity.nullable(),
  quota_limited: z.boolean(),
});

export const BillingStateJson = z
  .object({
    object: z.literal('billing_state'),
    customer: z.string(),
    currency: z.string(),
    as_of: Timestamp,
    subscription: z.string().nullable(),
    period_start: Timestamp.nullable(),
    period_end: Timestamp.nullable(),
    period_elapsed: z.number().nullable().describe('Share of the period passed, 0–1'),
    products: z.array(ProductStateJson),
    totals: z.object({
      amount: Amount,
      discount_amount: Amount,
      amount_after_discount: Amount,
      projected_amount: Amount,
      projected_discount_amount: Amount,
      projected_amount_after_discount: Amount,
    }),
    discount: DiscountJson,
    available_features: z.array(z.object({ key: z.string(), name: z.string(), limit: z.number().nullable(), source: z.enum(['plan', 'trial', 'override']), product: z.string() })),
    trial: z.object({ free_trial_until: Timestamp.nullable(), active: z.boolean() }),
  })
  .meta({ id: 'BillingState' });

function productJson(p: ProductBillingState): z.infer<typeof ProductStateJson> {
  return {
    product: p.productKey,
    name: p.productName,
    unit: p.unit,
    plan: p.planKey,
    price: p.priceKey,
    prices: p.priceKeys,
    pricing_type: p.scheme.type,
    tiers_mode: p.scheme.type === 'tiered' ? p.scheme.mode : null,
    tiers: p.tiers ? p.tiers.map((t) => ({ up_to: qty(t.upTo), unit_amount: t.unitAmount.toString(), flat_amount: t.flatAmount.toString() })) : null,
    metric: p.metric,
    aggregation: p.aggregation,
    usage: qty(p.usage),
    amount: int(p.amount),
    projected_usage: qty(p.projectedUsage),
    projected_amount: int(p.projectedAmount),
    free_allocation: qty(p.freeAllocation),
    billing_limit: p.billingLimit
      ? { amount: intOrNull(p.billingLimit.amount), currency: p.billingLimit.currency.toLowerCase(), next_amount: intOrNull(p.billingLimit.nextAmount), next_from: tsOrNull(p.billingLimit.nextFrom) }
      : null,
    unit_limit: qty(p.unitLimit),
    quota_limited: p.quotaLimited,
  };
}

export function billingStateJson(s: BillingState): z.infer<typeof BillingStateJson> {
  return {
    object: 'billing_state',
    customer: s.customerId,
    currency: s.currency.toLowerCase(),
    as_of: s.at.toISOString(),
    subscription: s.subscriptionId,
    period_start: tsOrNull(s.period?.start ?? null),
    period_end: tsOrNull(s.period?.end ?? null),
    period_elapsed: s.elapsed,
    products: s.products.map(productJson),
    totals: {
      amount: int(s.totals.amount),
      discount_amount: int(s.totals.discountAmount),
      amount_after_discount: int(s.totals.amountAfterDiscount),
      projected_amount: int(s.totals.projectedAmount),
      projected_discount_amount: int(s.totals.projectedDiscountAmount),
      projected_amount_after_discount: int(s.totals.projectedAmountAfterDiscount),
    },
    discount: discountJson(s.discount),
    available_features: s.features.features.map((f) => ({ key: f.key, name: f.name, limit: f.limit, source: f.source, product: f.product })),
    trial: { free_trial_until: tsOrNull(s.trial.freeTrialUntil), active: s.trial.active },
  };
}

export const CurrentUsageJson = z
  .object({
    object: z.literal('list'),
    customer: z.string(),
    period_start: Timestamp,
    period_end: Timestamp,
    subscribed: z.boolean().describe('false: no live subscription, the period is the UTC calendar month'),
    data: z.array(
      z.object({
        metric: z.string(),
        product: z.string(),
        sum: Quantity,
        count: Quantity,
        max: Quantity,
        last: Quantity,
        unique: Quantity.nullable().describe('Only for metrics some price counts as unique'),
        billed_aggregation: z.enum(['sum', 'max', 'last', 'count', 'unique']).nullable().describe("The aggregation of the customer's price in force"),
      }),
    ),
  })
  .meta({ id: 'CurrentUsage' });

export function currentUsageJson(customerId: string, u: { period: { start: Date; end: Date }; subscribed: boolean; data: MetricUsage[] }): z.infer<typeof CurrentUsageJson> {
  return {
    object: 'list',
    customer: customerId,
    period_start: u.period.start.toISOString(),
    period_end: u.period.end.toISOString(),
    subscribed: u.subscribed,
    data: u.data.map((m) => ({
      metric: m.metric,
      product: m.productKey,
      sum: m.sum.toString(),
      count: m.count.toString(),
      max: m.max.toString(),
      last: m.last.toString(),
      unique: qty(m.unique),
      billed_aggregation: m.billedAggregation,
    })),
  };
}
