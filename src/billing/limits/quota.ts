/**
 * Quota evaluation (R12): a customer's usage of a product in the current period against the unit limit
 * that their billing limit buys. The `limited` flag on the limit row is the quota state Tally has told
 * the instance about; each change of it records exactly one `customer.quota_limited` or
 * `customer.quota_restored` event, in the same transaction, with the row locked FOR UPDATE — so two
 * evaluations racing on PostgreSQL (two API nodes ingesting for one customer) serialize on the row, and
 * the second one sees the flag the first one set and records nothing.
 */
import { and, asc, eq } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { DateRange } from '../../core/periods/calendar.js';
import type { Discount } from '../../core/pricing/discount.js';
import { unitLimitForBudget, type UnitLimit } from '../../core/pricing/limit.js';
import type { Decimal } from '../../core/money/index.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { billingLimits } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import type { Subscription } from '../subscriptions/index.js';
import { ratedSubscription } from './rated-subscription.js';
import { usageForPeriod } from '../usage/read-usage.js';
import { effectiveRow, meteredItem, periodInForce, productFor, type LimitRow } from './common.js';
import { discountLookupOf, type DiscountLookup, type LimitOptions } from './discount-lookup.js';
import { minorToJson } from '../../core/money/index.js';

export const LIMITS_PERIOD_JOB = 'billing_limits.period_start';
export const LIMITS_EVALUATE_JOB = 'billing_limits.evaluate';

/** A product's quota as of one instant. */
export interface ProductQuota {
  productKey: string;
  /** The metric of the product's metered price in force; null when the product has none now. */
  metric: string | null;
  period: DateRange | null;
  /** Usage of the period per the price's aggregation; null without a metered price in force. */
  usage: Decimal | null;
  /** The billing limit in force (minor units of `currency`); null = no limit. */
  amount: bigint | null;
  currency: string;
  discount: Discount | null;
  /** The limit turned into units through the price's tiers, discount first; null without limit or metered price. */
  unitLimit: UnitLimit | null;
  /** Usage has reached the unit limit: the next unit would cost more than the limit. */
  limited: boolean;
}

/**
 * Computes a product's quota at `now` (no writes). Limited once usage reaches the unit limit: the unit
 * limit is the largest quantity whose price (after discount) fits the limit, so at that point the next unit
 * would overrun it. Never limited without a limit, without a metered price in force, or when the limit
 * buys any quantity (a free price, a 100% discount).
 */
export async function computeQuota(
  ctx: ServiceContext,
  customerId: string,
  sub: Subscription | null,
  productKey: string,
  limit: { amount: bigint | null; currency: string },
  now: Date,
  discountFor: DiscountLookup,
): Promise<ProductQuota> {
  const item = meteredItem(sub, productKey);
  const period = periodInForce(sub, now);
  const base: ProductQuota = { productKey, metric: item?.price.metered.metric ?? null, period, usage: null, amount: limit.amount, currency: limit.currency, discount: null, unitLimit: null, limited: false };
  if (!item || !period) return base;
  const usage = await usageForPeriod(ctx, customerId, item.price.metered.metric, item.price.metered.aggregation, period.start, period.end);
  if (limit.amount === null) return { ...base, usage };
  // The discount the period's invoice will get (coupons are looked up at the period's start).
  const discount = await discountFor(ctx, customerId, period.start, productKey);
  const unitLimit = unitLimitForBudget(item.price.scheme, limit.amount, discount, limit.currency);
  const limited = unitLimit.quantity !== null && usage.gte(unitLimit.quantity);
  return { ...base, usage, discount, unitLimit, limited };
}

/** Why an evaluation ran: it names the reason recorded on a restore or a limit. */
export type EvaluationCause = 'usage' | 'limit_changed' | 'period_start';

export interface QuotaStatus extends ProductQuota {
  customerId: string;
  /** True when this evaluation flipped the flag (and recorded the event). */
  changed: boolean;
}

async function lockRow(ctx: ServiceContext, customerId: string, productKey: string): Promise<LimitRow | null> {
  const [row] = await ctx.db
    .select()
    .from(billingLimits)
    .where(and(eq(billingLimits.customerId, customerId), eq(billingLimits.productKey, productKey)))
    .for('update');
  return row ?? null;
}

/** Queues the roll-over evaluation for the end of `period` (once per customer and period). */
export async function ensurePeriodJob(ctx: ServiceContext, customerId: string, periodEnd: Date): Promise<void> {
  const iso = periodEnd.toISOString();
  await enqueueJob(ctx, { kind: LIMITS_PERIOD_JOB, payload: { customer_id: customerId }, runAt: periodEnd, dedupeKey: `${LIMITS_PERIOD_JOB}:${customerId}:${iso}` });
}

function restoreReason(amount: bigint | null, cause: EvaluationCause): string {
  if (amount === null) return 'limit_removed';
  if (cause === 'limit_changed') return 'limit_raised';
  if (cause === 'period_start') return 'period_started';
  return 'below_limit';
}

/**
 * Evaluates a locked limit row: promotes a due "next period" limit, compares usage with the unit limit,
 * and when the answer differs from the stored flag, stores it and records the event. Deletes a row left
 * with no limit, no pending change and no quota. The caller holds the row lock inside a transaction.
 */
export async function evaluateLockedRow(ctx: ServiceContext, stored: LimitRow, cause: EvaluationCause, discountFor: DiscountLookup, sub?: Subscription | null): Promise<QuotaStatus> {
  const now = ctx.clock.now();
  const row = effectiveRow(stored, now);
  const subscription = sub === undefined ? await ratedSubscription(ctx, row.customerId) : sub;
  const q = await computeQuota(ctx, row.customerId, subscription, row.productKey, row, now, discountFor);
  const changed = q.limited !== stored.limited;
  const where = and(eq(billingLimits.customerId, row.customerId), eq(billingLimits.productKey, row.productKey));
  if (row.amount === null && row.nextFrom === null && !q.limited) {
    await ctx.db.delete(billingLimits).where(where);
  } else if (changed || row !== stored) {
    await ctx.db.update(billingLimits).set({ amount: row.amount, nextAmount: row.nextAmount, nextFrom: row.nextFrom, limited: q.limited, updatedAt: now }).where(where);
  }
  if (changed) {
    const { instanceId } = await getCustomer(ctx, row.customerId);
    await recordEvent(ctx, {
      type: q.limited ? 'customer.quota_limited' : 'customer.quota_restored',
      instanceId,
      customerId: row.customerId,
      objectId: row.customerId,
      data: {
        product: row.productKey,
        metric: q.metric,
        usage: q.usage?.toString() ?? null,
        unit_limit: q.unitLimit?.quantity?.toString() ?? null,
        billing_limit: q.amount === null ? null : minorToJson(q.amount),
        currency: q.currency.toLowerCase(),
        period_start: q.period?.start.toISOString() ?? null,
        period_end: q.period?.end.toISOString() ?? null,
        reason: q.limited ? (cause === 'limit_changed' ? 'limit_lowered' : 'usage_reached_limit') : restoreReason(q.amount, cause),
      },
    });
  }
  // A limited customer is restored by the next period, and a pending limit takes effect then: queue the
  // roll-over evaluation (deduplicated). Only when something changed, so the evaluations after each
  // ingested batch of an already-limited customer write nothing.
  const worthQueueing = changed || row !== stored || cause !== 'usage';
  if (q.period && worthQueueing && (q.limited || row.nextFrom !== null)) await ensurePeriodJob(ctx, row.customerId, q.period.end);
  return { ...q, customerId: row.customerId, changed };
}

/**
 * Re-evaluates a customer's quota for one product (a product key, or a metric it meters), recording
 * `customer.quota_limited` / `customer.quota_restored` when the state crosses — once per crossing:
 * evaluating again without a change records nothing. Null when the customer has no limit on the product.
 */
export async function evaluateQuota(ctx: ServiceContext, customerId: string, productOrMetric: string, opts: LimitOptions & { cause?: EvaluationCause } = {}): Promise<QuotaStatus | null> {
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  return evaluateProduct(ctx, customerId, productFor(catalog, productOrMetric).key, opts);
}

/** evaluateQuota for a product key as stored on the limit row (no catalog lookup: the product may have left the config). */
async function evaluateProduct(ctx: ServiceContext, customerId: string, productKey: string, opts: LimitOptions & { cause?: EvaluationCause }): Promise<QuotaStatus | null> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockRow(c, customerId, productKey);
    if (!row) return null;
    return evaluateLockedRow(c, row, opts.cause ?? 'usage', discountLookupOf(opts));
  });
}

/** Every limit of a customer, re-evaluated in product order (the roll-over job; fixed order, no deadlocks). */
export async function evaluateCustomerQuotas(ctx: ServiceContext, customerId: string, opts: LimitOptions & { cause?: EvaluationCause } = {}): Promise<QuotaStatus[]> {
  const rows = await ctx.db.select({ productKey: billingLimits.productKey }).from(billingLimits).where(eq(billingLimits.customerId, customerId)).orderBy(asc(billingLimits.productKey));
  const out: QuotaStatus[] = [];
  for (const r of rows) {
    const s = await evaluateProduct(ctx, customerId, r.productKey, opts);
    if (s) out.push(s);
  }
  return out;
}

export interface TouchedEvaluation {
  statuses: QuotaStatus[];
  /** Evaluations that failed; each was queued as a `billing_limits.evaluate` job to run again. */
  failures: { customerId: string; product: string; error: unknown }[];
}

/**
 * After an ingestion has committed: re-evaluates the quota of the (customer, metric) pairs whose usage
 * changed, for those customers that have a billing limit — one indexed query decides that, so ingestion
 * for customers without limits pays one round trip per batch. Runs outside the ingestion's transaction
 * (which stays short); each evaluation is its own transaction. A failed evaluation is queued as a job,
 * because a client retrying the batch would only get duplicates and never trigger it again.
 */
export async function evaluateTouched(ctx: ServiceContext, touched: readonly { customerId: string; metric: string }[], opts: LimitOptions = {}): Promise<TouchedEvaluation> {
  const result: TouchedEvaluation = { statuses: [], failures: [] };
  if (touched.length === 0) return result;
  const customerIds = [...new Set(touched.map((t) => t.customerId))];
  const rows = await ctx.db
    .select({ customerId: billingLimits.customerId, productKey: billingLimits.productKey })
    .from(billingLimits)
    .where(anyOf(billingLimits.customerId, customerIds));
  if (rows.length === 0) return result;
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  const limited = new Set(rows.map((r) => `${r.customerId}\u0000${r.productKey}`));
  const pairs = new Map<string, { customerId: string; product: string }>();
  for (const t of touched) {
    const product = catalog.metrics.get(t.metric);
    if (product && limited.has(`${t.customerId}\u0000${product}`)) pairs.set(`${t.customerId}\u0000${product}`, { customerId: t.customerId, product });
  }
  for (const p of [...pairs.values()].sort((a, b) => (a.customerId + a.product < b.customerId + b.product ? -1 : 1))) {
    try {
      const s = await evaluateProduct(ctx, p.customerId, p.product, opts);
      if (s) result.statuses.push(s);
    } catch (error) {
      result.failures.push({ ...p, error });
      await enqueueJob(ctx, { kind: LIMITS_EVALUATE_JOB, payload: { customer_id: p.customerId, product: p.product } }).catch(() => undefined);
    }
  }
  return result;
}
