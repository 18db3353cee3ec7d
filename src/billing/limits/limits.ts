/**
 * Billing limits (R12): a customer's spending cap per product, in the customer's currency. Discounts count
 * first — a $200 limit with 20% off buys $250 of list-price usage — and Tally turns the limit into a unit
 * limit through the tiers of the product's metered price in force (`unitLimitForBudget`). A limit can be
 * set for the next period instead: it waits in `next_amount`/`next_from` and is in force from the period
 * roll-over (read lazily as soon as `next_from` has passed; written by the roll-over job or the next
 * evaluation).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Decimal } from '../../core/money/index.js';
import type { UnitLimit } from '../../core/pricing/limit.js';
import { conflict, invalid } from '../../shared/errors.js';
import { billingLimits } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { getCustomerInScope, lockCustomerInScope } from '../customers/scope.js';
import { recordEvent } from '../events/record-event.js';
import { ratedSubscription } from './rated-subscription.js';
import { effectiveRow, periodInForce, productFor, type LimitRow } from './common.js';
import { discountLookupOf, type LimitOptions } from './discount-lookup.js';
import { computeQuota, evaluateLockedRow } from './quota.js';
import { minorToJson } from '../../core/money/index.js';

export type LimitEffective = 'now' | 'next_period';

export interface SetBillingLimitInput extends Justification {
  /** Product key from the billing config (a metered product). */
  product: string;
  /** Minor units of the customer's currency; null = no limit. */
  amount: bigint | number | null;
  /** `now` (default) or `next_period`: from the start of the next billing period. */
  effective?: LimitEffective;
}

/** A billing limit as an instance sees it, with what it buys now. */
export interface BillingLimit {
  customerId: string;
  productKey: string;
  /** In force now; null = no limit (a pending one may follow). */
  amount: bigint | null;
  currency: string;
  /** A change waiting for the next period: `nextAmount` (null = remove) from `nextFrom`. */
  nextAmount: bigint | null;
  nextFrom: Date | null;
  /** The unit limit the amount buys through the metered price in force, discount first; null without one. */
  unitLimit: UnitLimit | null;
  usage: Decimal | null;
  /** Usage has reached the unit limit (computed now). */
  quotaLimited: boolean;
  updatedAt: Date;
}

const EFFECTIVE: readonly string[] = ['now', 'next_period'];

function checkAmount(amount: unknown): bigint | null {
  if (amount === null) return null;
  if (typeof amount === 'bigint') {
    if (amount < 0n) throw invalid('amount_invalid', 'amount must not be negative.', 'amount');
    return amount;
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw invalid('amount_invalid', 'amount must be a whole number of minor units (cents), at least 0, or null for no limit.', 'amount');
  }
  return BigInt(amount);
}

async function viewOf(ctx: ServiceContext, stored: LimitRow, opts: LimitOptions, sub?: Awaited<ReturnType<typeof ratedSubscription>>): Promise<BillingLimit> {
  const now = ctx.clock.now();
  const row = effectiveRow(stored, now);
  const subscription = sub === undefined ? await ratedSubscription(ctx, row.customerId) : sub;
  const q = await computeQuota(ctx, row.customerId, subscription, row.productKey, row, now, discountLookupOf(opts));
  return {
    customerId: row.customerId,
    productKey: row.productKey,
    amount: row.amount,
    currency: row.currency,
    nextAmount: row.nextAmount,
    nextFrom: row.nextFrom,
    unitLimit: q.unitLimit,
    usage: q.usage,
    quotaLimited: q.limited,
    updatedAt: row.updatedAt,
  };
}

/**
 * Sets (or, with `amount: null`, removes) a customer's billing limit on a product, now or from the next
 * period. Setting one "now" also drops a pending next-period change. The quota is re-evaluated in the same
 * transaction: lowering the limit under the usage records `customer.quota_limited`, raising or removing it
 * records `customer.quota_restored` — once. Every check runs before anything is written, each error naming
 * its field.
 */
export async function setBillingLimit(ctx: ServiceContext, customerId: string, input: SetBillingLimitInput, opts: LimitOptions = {}): Promise<BillingLimit> {
  requireJustification(ctx, input);
  const effective = input.effective ?? 'now';
  if (!EFFECTIVE.includes(effective)) throw invalid('effective_invalid', `effective must be 'now' or 'next_period'; got '${String(effective)}'.`, 'effective');
  if (typeof input.product !== 'string' || !input.product) throw invalid('product_required', 'product is required.', 'product');
  const amount = checkAmount(input.amount);
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  const product = catalog.products.get(input.product);
  if (!product) throw invalid('product_unknown', `No product '${input.product}' in the billing config; products: ${[...catalog.products.keys()].join(', ')}.`, 'product');
  if (!product.metric) throw invalid('product_not_metered', `'${product.key}' meters no usage, so there is nothing for a billing limit to cap.`, 'product');

  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const now = c.clock.now();
    const sub = await ratedSubscription(c, customerId);
    const period = periodInForce(sub, now);
    if (effective === 'next_period' && !period) {
      throw conflict('no_billing_period', `Customer '${customerId}' has no live subscription, so there is no next period; set the limit with effective 'now'.`, 'effective');
    }
    await tx
      .insert(billingLimits)
      .values({ customerId, productKey: product.key, amount: null, currency: customer.currency, updatedAt: now })
      .onConflictDoNothing();
    const [locked] = await tx
      .select()
      .from(billingLimits)
      .where(and(eq(billingLimits.customerId, customerId), eq(billingLimits.productKey, product.key)))
      .for('update');
    if (!locked) throw new Error('billing limit row vanished under its lock');
    const before = effectiveRow(locked, now);
    const next: LimitRow =
      effective === 'now'
        ? { ...locked, amount, currency: customer.currency, nextAmount: null, nextFrom: null, updatedAt: now }
        : { ...before, currency: customer.currency, nextAmount: amount, nextFrom: period!.end, updatedAt: now };
    await tx
      .update(billingLimits)
      .set({ amount: next.amount, currency: next.currency, nextAmount: next.nextAmount, nextFrom: next.nextFrom, updatedAt: now })
      .where(and(eq(billingLimits.customerId, customerId), eq(billingLimits.productKey, product.key)));
    const unchanged = before.amount === next.amount && before.nextAmount === next.nextAmount && before.nextFrom?.getTime() === next.nextFrom?.getTime();
    const data = {
      product: product.key,
      effective,
      amount: next.amount === null ? null : minorToJson(next.amount),
      next_amount: next.nextAmount === null ? null : minorToJson(next.nextAmount),
      next_from: next.nextFrom?.toISOString() ?? null,
      currency: customer.currency.toLowerCase(),
      previous: before.amount === null ? null : minorToJson(before.amount),
    };
    // Setting what is already set records nothing (clients retry; the quota is still re-evaluated below).
    if (!unchanged) await recordEvent(c, { type: 'customer.billing_limit_updated', instanceId: customer.instanceId, customerId, objectId: customerId, data });
    if (!unchanged && c.actor.type === 'staff') {
      await recordAudit(c, {
        action: 'customer.billing_limit',
        targetType: 'customer',
        targetId: customerId,
        customerId,
        before: { product: product.key, amount: before.amount?.toString() ?? null },
        after: { ...data, amount: data.amount },
        reason: input.reason,
        ticket: input.ticket,
      });
    }
    // `limited` still holds what the instance was last told, so the evaluation reports a crossing once.
    await evaluateLockedRow(c, { ...next, limited: locked.limited }, 'limit_changed', discountLookupOf(opts), sub);
    const [after] = await tx.select().from(billingLimits).where(and(eq(billingLimits.customerId, customerId), eq(billingLimits.productKey, product.key)));
    if (after) return viewOf(c, after, opts, sub);
    // Removed: the row is gone; report "no limit".
    return { customerId, productKey: product.key, amount: null, currency: customer.currency, nextAmount: null, nextFrom: null, unitLimit: null, usage: null, quotaLimited: false, updatedAt: now };
  });
}

/** Removes a customer's billing limit on a product (now, or from the next period). */
export function removeBillingLimit(ctx: ServiceContext, customerId: string, product: string, opts: LimitOptions & Justification & { effective?: LimitEffective } = {}): Promise<BillingLimit> {
  return setBillingLimit(ctx, customerId, { product, amount: null, effective: opts.effective ?? 'now', reason: opts.reason, ticket: opts.ticket }, opts);
}

/** A customer's billing limits (with pending next-period ones), by product, each with its unit limit now. */
export async function getBillingLimits(ctx: ServiceContext, customerId: string, opts: LimitOptions = {}): Promise<BillingLimit[]> {
  await getCustomerInScope(ctx, customerId);
  const rows = await ctx.db.select().from(billingLimits).where(eq(billingLimits.customerId, customerId)).orderBy(asc(billingLimits.productKey));
  const now = ctx.clock.now();
  const live = rows.filter((r) => {
    const e = effectiveRow(r, now);
    return e.amount !== null || e.nextFrom !== null;
  });
  if (live.length === 0) return [];
  const sub = await ratedSubscription(ctx, customerId);
  const out: BillingLimit[] = [];
  for (const r of live) out.push(await viewOf(ctx, r, opts, sub));
  return out;
}

/** The limit in force on one product (null when none), as `getBillingLimits` reports it. */
export async function getBillingLimit(ctx: ServiceContext, customerId: string, productOrMetric: string, opts: LimitOptions = {}): Promise<BillingLimit | null> {
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  const product = productFor(catalog, productOrMetric);
  return (await getBillingLimits(ctx, customerId, opts)).find((l) => l.productKey === product.key) ?? null;
}
