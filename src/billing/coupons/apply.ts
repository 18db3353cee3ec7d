/**
 * Coupons on customers (R11): a customer holds at most one; a second is refused unless stacked. Also the
 * two calls invoicing and billing limits make: activeDiscountFor and recordCouponUse.
 */
import { and, asc, count, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import { addInterval } from '../../core/periods/calendar.js';
import type { Discount } from '../../core/pricing/discount.js';
import { conflict, invalid, notFound, TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { couponRedemptionAttempts, couponUses, coupons, customerCoupons } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import type { Customer } from '../customers/customers.js';
import { getCustomerInScope, lockCustomerInScope } from '../customers/scope.js';
import { recordEvent } from '../events/record-event.js';
import { hashCouponCode, sameCodeHash } from './codes.js';
import { insertCoupon } from './coupons.js';
import { couponSnapshot, customerCouponSnapshot, discountOf, toCoupon, toCustomerCoupon, type Coupon, type CouponRow, type CustomerCoupon, type RetireReason } from './model.js';
import { planStack, type StackPlan } from './value.js';

/** Code redemptions allowed per customer within the window (successful or not). */
export const REDEMPTION_ATTEMPTS_LIMIT = 5;
export const REDEMPTION_WINDOW_MS = 15 * 60_000;

export interface HeldCoupon {
  readonly customerCoupon: CustomerCoupon;
  readonly coupon: Coupon;
}

export interface AppliedCoupon extends HeldCoupon {
  /** Set when the coupon was stacked: how the two were merged. */
  readonly stack: StackPlan | null;
  /** The customer coupon that was retired into the merged one, when stacked. */
  readonly replaced: CustomerCoupon | null;
}

/** The one error for every code that cannot be redeemed: nothing tells unknown from used up, expired or retired. */
const invalidCode = () => invalid('coupon_code_invalid', 'This coupon code is not valid.', 'code');

const eventData = (cc: CustomerCoupon, coupon: Coupon) => ({ coupon: coupon.id, customer_coupon: cc.id, ends_at: cc.endsAt?.toISOString() ?? null });

async function couponForUpdate(ctx: ServiceContext, id: string): Promise<CouponRow> {
  const [row] = await ctx.db.select().from(coupons).where(eq(coupons.id, id)).for('update');
  if (!row) throw notFound('coupon', id, 'coupon');
  return row;
}

/** Why a coupon cannot be redeemed now, or null when it can. */
function unredeemable(c: Coupon, now: Date): TallyError | null {
  if (c.retiredAt) return conflict('coupon_retired', `Coupon ${c.id} ('${c.name}') is retired.`, 'coupon');
  if (c.redeemBy && c.redeemBy <= now) return conflict('coupon_expired', `Coupon ${c.id} ('${c.name}') could be redeemed until ${c.redeemBy.toISOString()}.`, 'coupon');
  if (c.maxRedemptions !== null && c.timesRedeemed >= c.maxRedemptions) {
    return conflict('coupon_exhausted', `Coupon ${c.id} ('${c.name}') has been redeemed ${c.timesRedeemed} of ${c.maxRedemptions} times.`, 'coupon');
  }
  return null;
}

function checkCurrency(c: Coupon, customer: Customer): void {
  if (c.type === 'fixed' && c.currency !== customer.currency) {
    throw invalid('coupon_currency_mismatch', `Coupon ${c.id} is in ${c.currency ?? '?'}, but customer ${customer.id} is billed in ${customer.currency}.`, 'coupon');
  }
}

async function retireHeld(ctx: ServiceContext, id: string, reason: RetireReason, stackedInto: string | null = null): Promise<CustomerCoupon> {
  const [row] = await ctx.db.update(customerCoupons).set({ retiredAt: ctx.clock.now(), retireReason: reason, stackedInto }).where(eq(customerCoupons.id, id)).returning();
  if (!row) throw new Error('customer coupon update returned no row');
  return toCustomerCoupon(row);
}

/**
 * The customer's unretired coupon, retiring it first if its `repeating` window has passed. Callers hold
 * the customer lock.
 */
async function currentHeld(ctx: ServiceContext, customer: Customer): Promise<HeldCoupon | null> {
  const [row] = await ctx.db
    .select()
    .from(customerCoupons)
    .where(and(eq(customerCoupons.customerId, customer.id), isNull(customerCoupons.retiredAt)));
  if (!row) return null;
  const cc = toCustomerCoupon(row);
  if (cc.endsAt && cc.endsAt <= ctx.clock.now()) {
    await retireHeld(ctx, cc.id, 'expired');
    await recordEvent(ctx, { type: 'customer.discount.deleted', instanceId: customer.instanceId, customerId: customer.id, objectId: cc.id, data: { reason: 'expired', coupon: cc.couponId } });
    return null;
  }
  const [coupon] = await ctx.db.select().from(coupons).where(eq(coupons.id, cc.couponId));
  if (!coupon) throw new Error(`customer coupon ${cc.id} names a missing coupon`);
  return { customerCoupon: cc, coupon: toCoupon(coupon) };
}

/** Counts one redemption of the (locked) coupon and attaches it to the customer. */
async function attach(ctx: ServiceContext, customer: Customer, coupon: Coupon, bumpRedemptions: boolean): Promise<CustomerCoupon> {
  const now = ctx.clock.now();
  if (bumpRedemptions) await ctx.db.update(coupons).set({ timesRedeemed: sql`${coupons.timesRedeemed} + 1` }).where(eq(coupons.id, coupon.id));
  const [row] = await ctx.db
    .insert(customerCoupons)
    .values({
      id: newId('customerCoupon', now),
      customerId: customer.id,
      couponId: coupon.id,
      appliedAt: now,
      appliedBy: ctx.actor.id,
      endsAt: coupon.duration === 'repeating' ? addInterval(now, 'month', coupon.durationInMonths ?? 1) : null,
    })
    .returning();
  if (!row) throw new Error('customer coupon insert returned no row');
  const cc = toCustomerCoupon(row);
  await recordEvent(ctx, { type: 'customer.discount.created', instanceId: customer.instanceId, customerId: customer.id, objectId: cc.id, data: eventData(cc, coupon) });
  return cc;
}

const holdsAlready = (customerId: string, held: HeldCoupon) =>
  conflict(
    'customer_has_coupon',
    `Customer ${customerId} already holds coupon ${held.coupon.id} ('${held.coupon.name}'): a customer has one coupon at a time. Stack the two (stack: true) or remove the current one first.`,
    'coupon',
  );

/**
 * Applies coupon `couponId` to a customer (staff). A customer holds one coupon (R11): when they already
 * hold one, this fails with `customer_has_coupon` naming it and changes nothing — unless `stack` is set,
 * in which case the two remaining values merge into one new single-use coupon (see planStack for exactly
 * how), the held coupon is retired with reason `stacked_into`, and both steps are audited.
 */
export async function applyCoupon(ctx: ServiceContext, customerId: string, couponId: string, opts: { stack?: boolean } = {}, why: Justification = {}): Promise<AppliedCoupon> {
  if (ctx.actor.type === 'instance') throw new TallyError('permission', 'staff_only', 'An instance redeems coupons by code (POST /v1/customers/:id/coupon).');
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const now = c.clock.now();
    const customer = await lockCustomerInScope(c, customerId);
    const coupon = toCoupon(await couponForUpdate(c, couponId));
    const held = await currentHeld(c, customer);
    if (held?.coupon.id === coupon.id) throw conflict('coupon_already_applied', `Customer ${customerId} already holds coupon ${coupon.id}.`, 'coupon');
    if (held && !opts.stack) throw holdsAlready(customerId, held);
    const blocked = unredeemable(coupon, now);
    if (blocked) throw blocked;
    checkCurrency(coupon, customer);

    if (!held) {
      const cc = await attach(c, customer, coupon, true);
      await recordAudit(c, { action: 'coupon.apply', targetType: 'customer_coupon', targetId: cc.id, customerId, after: { ...customerCouponSnapshot(cc), coupon: couponSnapshot(coupon) }, ...why });
      return { customerCoupon: cc, coupon: await couponById(c, coupon.id), stack: null, replaced: null };
    }

    // Stacking: merge, retire the held coupon (step 1), apply the merged one (step 2).
    const plan = planStack({ coupon: held.coupon, invoicesApplied: held.customerCoupon.invoicesApplied }, { coupon, invoicesApplied: 0 });
    await tx.update(coupons).set({ timesRedeemed: sql`${coupons.timesRedeemed} + 1` }).where(eq(coupons.id, coupon.id));
    const merged = await insertCoupon(
      c,
      {
        name: `Stacked: ${held.coupon.name} + ${coupon.name}`.slice(0, 200),
        type: 'fixed',
        percentOff: null,
        amountOff: plan.amountOff,
        currency: plan.currency,
        duration: plan.duration,
        durationInMonths: plan.durationInMonths,
        maxRedemptions: 1,
        redeemBy: null,
        productKeys: plan.productKeys ? [...plan.productKeys] : null,
        customerFacingCode: false,
      },
      null,
      why,
      { stackedFrom: stackJson(plan), timesRedeemed: 1 },
    );
    const replaced = await retireHeld(c, held.customerCoupon.id, 'stacked_into', merged.id);
    // Single-use coupons are used up by the merge: point them at the coupon that carries their value on.
    for (const source of [held.coupon, coupon]) {
      if (source.maxRedemptions === 1) await tx.update(coupons).set({ stackedInto: merged.id, retiredAt: source.retiredAt ?? now }).where(eq(coupons.id, source.id));
    }
    await recordEvent(c, { type: 'customer.discount.deleted', instanceId: customer.instanceId, customerId, objectId: replaced.id, data: { reason: 'stacked_into', coupon: held.coupon.id, stacked_into: merged.id } });
    await recordAudit(c, {
      action: 'coupon.retire_from_customer',
      targetType: 'customer_coupon',
      targetId: replaced.id,
      customerId,
      before: customerCouponSnapshot(held.customerCoupon),
      after: customerCouponSnapshot(replaced),
      reason: why.reason ? `stacked into ${merged.id}: ${why.reason}` : `stacked into ${merged.id}`,
      ticket: why.ticket,
    });
    const cc = await attach(c, customer, merged, false);
    await recordAudit(c, {
      action: 'coupon.stack',
      targetType: 'customer_coupon',
      targetId: cc.id,
      customerId,
      before: { customer_coupon: customerCouponSnapshot(held.customerCoupon), coupon: couponSnapshot(held.coupon), added: couponSnapshot(coupon) },
      after: { customer_coupon: customerCouponSnapshot(cc), coupon: couponSnapshot(merged), stack: stackJson(plan) },
      ...why,
    });
    return { customerCoupon: cc, coupon: merged, stack: plan, replaced };
  });
}

export function stackJson(plan: StackPlan): Record<string, unknown> {
  return {
    amount_off: plan.amountOff.toString(),
    currency: plan.currency,
    duration: plan.duration,
    duration_in_months: plan.durationInMonths,
    total_value: plan.totalValue?.toString() ?? null,
    parts: plan.parts.map((p) => ({ coupon: p.couponId, amount_off: p.amountOff.toString(), invoices_left: p.invoicesLeft, value: p.value?.toString() ?? null })),
  };
}

async function couponById(ctx: ServiceContext, id: string): Promise<Coupon> {
  const [row] = await ctx.db.select().from(coupons).where(eq(coupons.id, id));
  if (!row) throw notFound('coupon', id, 'coupon');
  return toCoupon(row);
}

/**
 * Counts a redemption attempt against the customer's limit, or refuses with 429 `rate_limited` when the
 * customer already made REDEMPTION_ATTEMPTS_LIMIT attempts within the window. Commits on its own, so a
 * failed redemption still counts. Returns the attempt's ID.
 */
async function countAttempt(ctx: ServiceContext, customerId: string): Promise<string> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    await lockCustomerInScope(c, customerId); // serializes concurrent attempts, so the count is exact
    const now = c.clock.now();
    const since = new Date(now.getTime() - REDEMPTION_WINDOW_MS);
    const recent = await tx
      .select({ at: couponRedemptionAttempts.attemptedAt })
      .from(couponRedemptionAttempts)
      .where(and(eq(couponRedemptionAttempts.customerId, customerId), gt(couponRedemptionAttempts.attemptedAt, since)))
      .orderBy(asc(couponRedemptionAttempts.attemptedAt));
    if (recent.length >= REDEMPTION_ATTEMPTS_LIMIT) {
      const oldest = recent[recent.length - REDEMPTION_ATTEMPTS_LIMIT]?.at ?? now;
      const retryAt = new Date(oldest.getTime() + REDEMPTION_WINDOW_MS);
      throw new TallyError(
        'rate_limited',
        'rate_limited',
        `Too many coupon code attempts for this customer (${REDEMPTION_ATTEMPTS_LIMIT} per ${REDEMPTION_WINDOW_MS / 60_000} minutes); try again after ${retryAt.toISOString()}.`,
        { param: 'code', details: { retry_after: retryAt.toISOString() } },
      );
    }
    // Attempts only matter inside the window; a day's worth is kept for looking into abuse.
    await tx.delete(couponRedemptionAttempts).where(and(eq(couponRedemptionAttempts.customerId, customerId), lt(couponRedemptionAttempts.attemptedAt, new Date(now.getTime() - 86_400_000))));
    const id = newId('couponAttempt', now);
    await tx.insert(couponRedemptionAttempts).values({ id, customerId, attemptedAt: now, succeeded: false });
    return id;
  });
}

/**
 * Redeems a customer-facing code for a customer (checkout, via the instance API). Attempts are
 * rate-limited per customer. A customer who already holds a coupon gets `customer_has_coupon` before the
 * code is even looked at; an unknown, used-up, expired or retired code gets the same `coupon_code_invalid`.
 * The code is looked up by its SHA-256 and the stored hash compared in constant time.
 */
export async function redeemCouponCode(ctx: ServiceContext, customerId: string, code: string): Promise<HeldCoupon> {
  await getCustomerInScope(ctx, customerId);
  const attemptId = await countAttempt(ctx, customerId);
  if (typeof code !== 'string' || code.trim().length === 0 || code.length > 100) throw invalidCode();
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const held = await currentHeld(c, customer);
    if (held) throw holdsAlready(customerId, held);
    const hash = hashCouponCode(code);
    const [row] = await tx.select().from(coupons).where(eq(coupons.codeHash, hash)).for('update');
    if (!row?.codeHash || !sameCodeHash(row.codeHash, hash)) throw invalidCode();
    const coupon = toCoupon(row);
    if (unredeemable(coupon, c.clock.now())) throw invalidCode();
    checkCurrency(coupon, customer);
    const cc = await attach(c, customer, coupon, true);
    await tx.update(couponRedemptionAttempts).set({ succeeded: true }).where(eq(couponRedemptionAttempts.id, attemptId));
    await recordAudit(c, { action: 'coupon.redeem', targetType: 'customer_coupon', targetId: cc.id, customerId, after: { ...customerCouponSnapshot(cc), coupon: couponSnapshot(coupon) }, reason: 'redeemed by code' });
    return { customerCoupon: cc, coupon: await couponById(c, coupon.id) };
  });
}

/** Takes the customer's coupon away now (staff, with a reason). */
export async function removeCustomerCoupon(ctx: ServiceContext, customerId: string, why: Justification): Promise<CustomerCoupon> {
  if (ctx.actor.type === 'instance') throw new TallyError('permission', 'staff_only', 'Only staff remove a customer\'s coupon.');
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const held = await currentHeld(c, customer);
    if (!held) throw notFound('coupon on customer', customerId, 'customer');
    const retired = await retireHeld(c, held.customerCoupon.id, 'removed');
    await recordEvent(c, { type: 'customer.discount.deleted', instanceId: customer.instanceId, customerId, objectId: retired.id, data: { reason: 'removed', coupon: held.coupon.id } });
    await recordAudit(c, { action: 'coupon.remove_from_customer', targetType: 'customer_coupon', targetId: retired.id, customerId, before: customerCouponSnapshot(held.customerCoupon), after: customerCouponSnapshot(retired), ...why });
    return retired;
  });
}

/** The coupon the customer holds now, or null. A read: nothing is retired. */
export async function getCustomerCoupon(ctx: ServiceContext, customerId: string): Promise<HeldCoupon | null> {
  await getCustomerInScope(ctx, customerId);
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .select()
    .from(customerCoupons)
    .where(and(eq(customerCoupons.customerId, customerId), isNull(customerCoupons.retiredAt)));
  if (!row || (row.endsAt && row.endsAt <= now)) return null;
  return { customerCoupon: toCustomerCoupon(row), coupon: await couponById(ctx, row.couponId) };
}

/** Every coupon the customer has held, newest first. */
export async function listCustomerCoupons(ctx: ServiceContext, customerId: string): Promise<CustomerCoupon[]> {
  await getCustomerInScope(ctx, customerId);
  const rows = await ctx.db.select().from(customerCoupons).where(eq(customerCoupons.customerId, customerId)).orderBy(desc(customerCoupons.id));
  return rows.map(toCustomerCoupon);
}

/** Who has held a coupon (its usage, for staff), newest first; at most `limit` customers. */
export async function listCouponHolders(ctx: ServiceContext, couponId: string, limit = 100): Promise<CustomerCoupon[]> {
  await couponById(ctx, couponId);
  const rows = await ctx.db.select().from(customerCoupons).where(eq(customerCoupons.couponId, couponId)).orderBy(desc(customerCoupons.id)).limit(limit);
  return rows.map(toCustomerCoupon);
}

// ── What invoicing and billing limits call ───────────────────────────────────────────────────────────

export interface ActiveDiscount {
  readonly couponId: string;
  readonly customerCouponId: string;
  /** The coupon's name, for the invoice document. */
  readonly name: string;
  readonly discount: Discount;
  /** Only these products' lines are discounted; null = every discountable line. */
  readonly productKeys: readonly string[] | null;
}

/**
 * The discount the customer's next invoice gets, for an invoice whose reference instant is `at` — pass the
 * billing period's start for a period invoice (so a 3-month coupon covers three monthly periods), or the
 * current time for a manual invoice. Null when the customer holds no coupon, or its `repeating` window
 * (applied_at + N months) ends at or before `at`. A coupon applied during a period also covers that period's
 * invoice (coupons attach to the customer and reduce the next invoice, as at the provider). Read-only.
 *
 * Durations: `once` reduces one invoice (recordCouponUse retires it); `repeating` reduces invoices with
 * `at` before ends_at, at most N of them (recordCouponUse retires it at the N-th); `forever` never ends.
 * Billing limits (R12) use the same call: the discount counts before the limit.
 */
export async function activeDiscountFor(ctx: ServiceContext, customerId: string, at: Date): Promise<ActiveDiscount | null> {
  return (await activeDiscountsFor(ctx, [{ customerId, at }])).get(customerId) ?? null;
}

/** activeDiscountFor for many customers in one query (a period close's batch); absent = no discount. */
export async function activeDiscountsFor(ctx: ServiceContext, asks: readonly { customerId: string; at: Date }[]): Promise<Map<string, ActiveDiscount>> {
  const out = new Map<string, ActiveDiscount>();
  if (asks.length === 0) return out;
  const at = new Map(asks.map((a) => [a.customerId, a.at]));
  const rows = await ctx.db
    .select({ cc: customerCoupons, coupon: coupons })
    .from(customerCoupons)
    .innerJoin(coupons, eq(coupons.id, customerCoupons.couponId))
    .where(and(anyOf(customerCoupons.customerId, [...at.keys()]), isNull(customerCoupons.retiredAt)));
  for (const row of rows) {
    const when = at.get(row.cc.customerId);
    if (!when || (row.cc.endsAt && row.cc.endsAt <= when)) continue;
    const coupon = toCoupon(row.coupon);
    out.set(row.cc.customerId, { couponId: coupon.id, customerCouponId: row.cc.id, name: coupon.name, discount: discountOf(coupon), productKeys: coupon.productKeys });
  }
  return out;
}

/**
 * Records that invoice `invoiceId` was reduced by the customer's coupon `couponId` — call it in the
 * transaction that finalizes the invoice. Idempotent per (customer coupon, invoice). A `once` coupon is
 * retired (reason `used`) after its invoice; a `repeating` one after its N-th; `forever` only counts.
 * Returns the customer coupon after the update, or null when the customer no longer holds that coupon
 * (already used up or removed: nothing to record).
 */
export async function recordCouponUse(ctx: ServiceContext, customerId: string, couponId: string, invoiceId: string): Promise<CustomerCoupon | null> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const [row] = await tx
      .select({ cc: customerCoupons, coupon: coupons })
      .from(customerCoupons)
      .innerJoin(coupons, eq(coupons.id, customerCoupons.couponId))
      .where(and(eq(customerCoupons.customerId, customerId), eq(customerCoupons.couponId, couponId), isNull(customerCoupons.retiredAt)));
    if (!row) return null;
    const now = c.clock.now();
    const inserted = await tx.insert(couponUses).values({ customerCouponId: row.cc.id, invoiceId, usedAt: now }).onConflictDoNothing().returning();
    if (inserted.length === 0) return toCustomerCoupon(row.cc);
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(couponUses).where(eq(couponUses.customerCouponId, row.cc.id));
    const coupon = toCoupon(row.coupon);
    const usedUp = coupon.duration === 'once' || (coupon.duration === 'repeating' && n >= (coupon.durationInMonths ?? 1));
    const [updated] = await tx
      .update(customerCoupons)
      .set({ invoicesApplied: n, ...(usedUp ? { retiredAt: now, retireReason: 'used' as const } : {}) })
      .where(eq(customerCoupons.id, row.cc.id))
      .returning();
    if (!updated) throw new Error('customer coupon update returned no row');
    const cc = toCustomerCoupon(updated);
    await recordEvent(c, { type: usedUp ? 'customer.discount.deleted' : 'customer.discount.used', instanceId: customer.instanceId, customerId, objectId: cc.id, data: { ...eventData(cc, coupon), invoice: invoiceId, invoices_applied: n, ...(usedUp ? { reason: 'used' } : {}) } });
    return cc;
  });
}
