import { z } from 'zod';
import type { AppliedCoupon, Coupon, CustomerCoupon, HeldCoupon, StackPlan } from '../billing/coupons/index.js';
import { COUPON_DURATIONS } from '../billing/coupons/index.js';
import { minorToJson } from '../core/money/index.js';

/** Coupons on the wire, shaped like the provider's: amounts in minor units, currencies lower-case. */

const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
const ts = (d: Date | null): string | null => (d ? d.toISOString() : null);
/** Amounts are capped well inside JSON's safe integers by the services, so this conversion is exact. */
const int = minorToJson;
const Amount = z.number().int().describe('Minor units');

export const CouponJson = z
  .object({
    id: z.string().describe('coupon_…'),
    object: z.literal('coupon'),
    name: z.string().describe('Why it was issued'),
    percent_off: z.string().nullable().describe('Decimal string, percent coupons'),
    amount_off: Amount.nullable(),
    currency: z.string().nullable(),
    duration: z.enum(COUPON_DURATIONS),
    duration_in_months: z.number().int().nullable(),
    max_redemptions: z.number().int().nullable(),
    times_redeemed: z.number().int(),
    redeem_by: Timestamp.nullable(),
    products: z.array(z.string()).nullable().describe('Only these products are discounted; null = all'),
    has_code: z.boolean().describe('Has a customer-facing code (shown once at creation, never stored)'),
    code_hint: z.string().nullable().describe("The code's last characters"),
    created_by: z.string(),
    created: Timestamp,
    retired: Timestamp.nullable(),
    stacked_into: z.string().nullable().describe('The coupon its value was merged into'),
  })
  .meta({ id: 'Coupon' });

export function couponJson(c: Coupon): z.infer<typeof CouponJson> {
  return {
    id: c.id,
    object: 'coupon',
    name: c.name,
    percent_off: c.percentOff?.toString() ?? null,
    amount_off: c.amountOff === null ? null : int(c.amountOff),
    currency: c.currency?.toLowerCase() ?? null,
    duration: c.duration,
    duration_in_months: c.durationInMonths,
    max_redemptions: c.maxRedemptions,
    times_redeemed: c.timesRedeemed,
    redeem_by: ts(c.redeemBy),
    products: c.productKeys ? [...c.productKeys] : null,
    has_code: c.hasCode,
    code_hint: c.codeHint,
    created_by: c.createdBy,
    created: c.createdAt.toISOString(),
    retired: ts(c.retiredAt),
    stacked_into: c.stackedInto,
  };
}

export const CouponWithCodeJson = CouponJson.extend({
  code: z.string().nullable().describe('The customer-facing code: in this response only (null without one, and on an idempotent replay)'),
}).meta({ id: 'CouponWithCode' });

const RETIRE_REASONS = ['used', 'expired', 'stacked_into', 'removed'] as const;

/** A coupon on a customer (the provider's "discount"). */
export const DiscountJson = z
  .object({
    id: z.string().describe('di_…'),
    object: z.literal('discount'),
    customer: z.string(),
    coupon: CouponJson,
    start: Timestamp,
    end: Timestamp.nullable().describe('Repeating coupons: start + N months'),
    invoices_applied: z.number().int(),
    applied_by: z.string(),
  })
  .meta({ id: 'Discount' });

export function discountJson(h: HeldCoupon): z.infer<typeof DiscountJson> {
  const cc = h.customerCoupon;
  return { id: cc.id, object: 'discount', customer: cc.customerId, coupon: couponJson(h.coupon), start: cc.appliedAt.toISOString(), end: ts(cc.endsAt), invoices_applied: cc.invoicesApplied, applied_by: cc.appliedBy };
}

export const CustomerCouponHistoryJson = z
  .object({
    id: z.string(),
    object: z.literal('customer_coupon'),
    coupon: z.string(),
    start: Timestamp,
    end: Timestamp.nullable(),
    invoices_applied: z.number().int(),
    retired: Timestamp.nullable(),
    retire_reason: z.enum(RETIRE_REASONS).nullable(),
    stacked_into: z.string().nullable(),
  })
  .meta({ id: 'CustomerCoupon' });

export function customerCouponJson(cc: CustomerCoupon): z.infer<typeof CustomerCouponHistoryJson> {
  return {
    id: cc.id,
    object: 'customer_coupon',
    coupon: cc.couponId,
    start: cc.appliedAt.toISOString(),
    end: ts(cc.endsAt),
    invoices_applied: cc.invoicesApplied,
    retired: ts(cc.retiredAt),
    retire_reason: cc.retireReason,
    stacked_into: cc.stackedInto,
  };
}

export const StackJson = z
  .object({
    amount_off: Amount,
    currency: z.string(),
    duration: z.enum(COUPON_DURATIONS),
    duration_in_months: z.number().int().nullable(),
    total_value: Amount.nullable().describe('The remaining value merged; null for two forever coupons'),
    parts: z.array(z.object({ coupon: z.string(), amount_off: Amount, invoices_left: z.number().int().nullable(), value: Amount.nullable() })),
  })
  .meta({ id: 'CouponStack' });

function stackJson(p: StackPlan): z.infer<typeof StackJson> {
  return {
    amount_off: int(p.amountOff),
    currency: p.currency.toLowerCase(),
    duration: p.duration,
    duration_in_months: p.durationInMonths,
    total_value: p.totalValue === null ? null : int(p.totalValue),
    parts: p.parts.map((x) => ({ coupon: x.couponId, amount_off: int(x.amountOff), invoices_left: x.invoicesLeft, value: x.value === null ? null : int(x.value) })),
  };
}

export const AppliedCouponJson = z
  .object({
    discount: DiscountJson,
    stack: StackJson.nullable().describe('How the held and the added coupon were merged, when stacked'),
    replaced: CustomerCouponHistoryJson.nullable().describe('The customer coupon retired into the merged one, when stacked'),
  })
  .meta({ id: 'AppliedCoupon' });

export function appliedCouponJson(a: AppliedCoupon): z.infer<typeof AppliedCouponJson> {
  return { discount: discountJson(a), stack: a.stack ? stackJson(a.stack) : null, replaced: a.replaced ? customerCouponJson(a.replaced) : null };
}

export const CustomerDiscountJson = z.object({ customer: z.string(), discount: DiscountJson.nullable() }).meta({ id: 'CustomerDiscount' });
