/**
 * How billing limits (R12) and the billing state learn a customer's current discount.
 *
 * The discount is the customer's coupon (src/billing/coupons), through `defaultDiscountLookup` below: the
 * one place every caller (quota evaluation after ingestion, limit changes, the roll-over job, the billing
 * state, the HTTP routes, the CLI import) gets it from. Services also accept a lookup in their options,
 * which tests use to pin a discount.
 */
import type { Discount } from '../../core/pricing/discount.js';
import { activeDiscountFor } from '../coupons/index.js';
import type { ServiceContext } from '../context.js';

/**
 * The customer's discount for the invoice of the period starting `at` (callers pass the period's start,
 * as invoicing does), or null. `productKey` is passed so a coupon restricted to
 * some products can answer per product; a lookup may ignore it (a 3-argument function fits this type).
 */
export type DiscountLookup = (ctx: ServiceContext, customerId: string, at: Date, productKey?: string) => Promise<Discount | null>;

/** What a coupon service answers: the discount and the products it is restricted to (null = all). */
export interface CouponDiscount {
  readonly discount: Discount;
  readonly productKeys: readonly string[] | null;
}

/**
 * Adapts a coupon lookup (`activeDiscountFor(ctx, customerId, at)`) to a DiscountLookup: a coupon
 * restricted to some products gives no discount on the others.
 */
export function fromCouponLookup(find: (ctx: ServiceContext, customerId: string, at: Date) => Promise<CouponDiscount | null>): DiscountLookup {
  return async (ctx, customerId, at, productKey) => {
    const found = await find(ctx, customerId, at);
    if (!found) return null;
    if (productKey !== undefined && found.productKeys !== null && !found.productKeys.includes(productKey)) return null;
    return found.discount;
  };
}

/** What billing limits use unless a caller passes another lookup: the customer's active coupon (R12). */
export const defaultDiscountLookup: DiscountLookup = fromCouponLookup(activeDiscountFor);

/** Options shared by the limit and billing-state services. */
export interface LimitOptions {
  /** Where the customer's discount comes from; `defaultDiscountLookup` when omitted. */
  discountFor?: DiscountLookup;
}

export const discountLookupOf = (opts: LimitOptions | undefined): DiscountLookup => opts?.discountFor ?? defaultDiscountLookup;
