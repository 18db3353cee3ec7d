import { Decimal } from '../../core/money/decimal.js';
import { formatMajor } from '../../core/money/money.js';
import type { Discount } from '../../core/pricing/discount.js';
import type { couponRedemptionAttempts, coupons, customerCoupons } from '../../store/schema.js';

export type CouponRow = typeof coupons.$inferSelect;
export type CustomerCouponRow = typeof customerCoupons.$inferSelect;
export type AttemptRow = typeof couponRedemptionAttempts.$inferSelect;

export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type CouponDuration = (typeof COUPON_DURATIONS)[number];

export type RetireReason = 'used' | 'expired' | 'stacked_into' | 'removed';

export interface Coupon {
  readonly id: string;
  /** Why it was issued. */
  readonly name: string;
  readonly type: 'percent' | 'fixed';
  readonly percentOff: Decimal | null;
  /** Minor units, fixed coupons only. */
  readonly amountOff: bigint | null;
  /** Upper-case ISO code, fixed coupons only. */
  readonly currency: string | null;
  readonly duration: CouponDuration;
  readonly durationInMonths: number | null;
  readonly maxRedemptions: number | null;
  readonly timesRedeemed: number;
  readonly redeemBy: Date | null;
  readonly productKeys: readonly string[] | null;
  /** Whether it has a customer-facing code (the code itself is never stored). */
  readonly hasCode: boolean;
  /** The code's last characters, for lists. */
  readonly codeHint: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
  readonly stackedInto: string | null;
}

/** A coupon applied to a customer. */
export interface CustomerCoupon {
  readonly id: string;
  readonly customerId: string;
  readonly couponId: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly endsAt: Date | null;
  readonly invoicesApplied: number;
  readonly retiredAt: Date | null;
  readonly retireReason: RetireReason | null;
  readonly stackedInto: string | null;
}

export function toCoupon(r: CouponRow): Coupon {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    percentOff: r.percentOff === null ? null : Decimal.parse(r.percentOff),
    amountOff: r.amountOff,
    currency: r.currency,
    duration: r.duration,
    durationInMonths: r.durationInMonths,
    maxRedemptions: r.maxRedemptions,
    timesRedeemed: r.timesRedeemed,
    redeemBy: r.redeemBy,
    productKeys: (r.productKeys as string[] | null) ?? null,
    hasCode: r.codeHash !== null,
    codeHint: r.codeHint,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    retiredAt: r.retiredAt,
    stackedInto: r.stackedInto,
  };
}

export function toCustomerCoupon(r: CustomerCouponRow): CustomerCoupon {
  return {
    id: r.id,
    customerId: r.customerId,
    couponId: r.couponId,
    appliedAt: r.appliedAt,
    appliedBy: r.appliedBy,
    endsAt: r.endsAt,
    invoicesApplied: r.invoicesApplied,
    retiredAt: r.retiredAt,
    retireReason: r.retireReason,
    stackedInto: r.stackedInto,
  };
}

/** The coupon as the pricing core sees it. */
export function discountOf(c: Pick<Coupon, 'type' | 'percentOff' | 'amountOff'>): Discount {
  return c.type === 'percent' ? { type: 'percent', percent: c.percentOff ?? Decimal.fromBigInt(0n) } : { type: 'fixed', amount: c.amountOff ?? 0n };
}

/** `20% off`, `USD 50.00 off` — for names and messages. */
export function describeOff(c: Pick<Coupon, 'type' | 'percentOff' | 'amountOff' | 'currency'>): string {
  if (c.type === 'percent') return `${c.percentOff?.toString() ?? '0'}% off`;
  return c.currency ? `${formatMajor(c.amountOff ?? 0n, c.currency)} ${c.currency} off` : `${c.amountOff ?? 0n} off`;
}

/** JSON-safe snapshot for audit rows and events (jsonb holds no bigint or Decimal). */
export function couponSnapshot(c: Coupon): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    percent_off: c.percentOff?.toString() ?? null,
    amount_off: c.amountOff === null ? null : c.amountOff.toString(),
    currency: c.currency,
    duration: c.duration,
    duration_in_months: c.durationInMonths,
    max_redemptions: c.maxRedemptions,
    times_redeemed: c.timesRedeemed,
    redeem_by: c.redeemBy?.toISOString() ?? null,
    product_keys: c.productKeys,
    has_code: c.hasCode,
    code_hint: c.codeHint,
    retired_at: c.retiredAt?.toISOString() ?? null,
    stacked_into: c.stackedInto,
  };
}

export function customerCouponSnapshot(cc: CustomerCoupon): Record<string, unknown> {
  return {
    id: cc.id,
    coupon: cc.couponId,
    applied_at: cc.appliedAt.toISOString(),
    ends_at: cc.endsAt?.toISOString() ?? null,
    invoices_applied: cc.invoicesApplied,
    retired_at: cc.retiredAt?.toISOString() ?? null,
    retire_reason: cc.retireReason,
    stacked_into: cc.stackedInto,
  };
}
