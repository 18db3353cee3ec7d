/**
 * The coupon and billing-limit steps, and the state they leave, through the coupons and limits domains.
 */
import type { ServiceContext } from '../billing/context.js';
import { applyCoupon, createCoupon, getCustomerCoupon } from '../billing/coupons/index.js';
import { evaluateTouched, getBillingLimits, setBillingLimit } from '../billing/limits/index.js';
import type { IngestSummary } from '../billing/usage/ingest-usage.js';
import { quantity } from './json.js';
import type { Action } from './model.js';
import { minorToJson } from '../core/money/money.js';

const WHY = { reason: 'tally simulate' };

type CouponAction = Extract<Action, { kind: 'coupon' }>;
type LimitAction = Extract<Action, { kind: 'billing_limit' }>;

/** Creates the coupon the step describes and applies it to the customer (stacking when asked). */
export async function applyScenarioCoupon(ctx: ServiceContext, customerId: string, currency: string, a: CouponAction): Promise<void> {
  const { coupon } = await createCoupon(
    ctx,
    {
      name: a.name,
      percentOff: a.percentOff,
      amountOff: a.amountOff,
      currency: a.amountOff !== null ? currency : null,
      duration: a.duration,
      durationInMonths: a.durationInMonths,
      productKeys: a.products,
    },
    WHY,
  );
  await applyCoupon(ctx, customerId, coupon.id, { stack: a.stack }, WHY);
}

export async function setScenarioBillingLimit(ctx: ServiceContext, customerId: string, a: LimitAction): Promise<void> {
  await setBillingLimit(ctx, customerId, { product: a.product, amount: a.amount, effective: a.effective, ...WHY });
}

/** What the usage API does after an ingestion: re-evaluate the billing limits of the customers touched. */
export async function afterIngestion(ctx: ServiceContext, summary: IngestSummary, anyLimits: boolean): Promise<void> {
  if (!anyLimits || summary.touched.length === 0) return;
  const r = await evaluateTouched(ctx, summary.touched);
  const f = r.failures[0];
  if (f) throw f.error;
}

export interface CouponState {
  name: string;
  duration: string;
  invoices_applied: number;
}

export async function couponState(ctx: ServiceContext, customerId: string): Promise<CouponState | null> {
  const held = await getCustomerCoupon(ctx, customerId);
  if (!held) return null;
  return { name: held.coupon.name, duration: held.coupon.duration, invoices_applied: held.customerCoupon.invoicesApplied };
}

export interface LimitState {
  product: string;
  amount: number | null;
  /** Units the amount buys after the discount; null when unbounded. */
  unit_limit: number | string | null;
  usage: number | string | null;
  quota_limited: boolean;
}

export async function billingLimitsState(ctx: ServiceContext, customerId: string): Promise<LimitState[]> {
  return (await getBillingLimits(ctx, customerId)).map((l) => ({
    product: l.productKey,
    amount: l.amount === null ? null : minorToJson(l.amount),
    unit_limit: l.unitLimit?.quantity ? quantity(l.unitLimit.quantity) : null,
    usage: l.usage ? quantity(l.usage) : null,
    quota_limited: l.quotaLimited,
  }));
}
