import { activeDiscountFor, recordCouponUse } from '../coupons/index.js';
import type { ServiceContext } from '../context.js';
import type { InvoiceDiscount } from '../invoices/index.js';

/**
 * Which coupon a customer's invoice gets (R11: coupons attach to the customer), and what to record once
 * an invoice used it. The coupons domain answers both; the seam stays replaceable for tests.
 */
export interface CouponHooks {
  discountFor(ctx: ServiceContext, customerId: string, at: Date): Promise<InvoiceDiscount | null>;
  recordUse(ctx: ServiceContext, customerId: string, couponId: string, invoiceId: string): Promise<void>;
}

const fromCoupons: CouponHooks = {
  async discountFor(ctx, customerId, at) {
    const d = await activeDiscountFor(ctx, customerId, at);
    return d ? { couponId: d.couponId, name: d.name, discount: d.discount, productKeys: d.productKeys } : null;
  },
  async recordUse(ctx, customerId, couponId, invoiceId) {
    await recordCouponUse(ctx, customerId, couponId, invoiceId);
  },
};

let hooks: CouponHooks = fromCoupons;

/** Replace the coupon source (tests); null restores the coupons domain. */
export function setCouponHooks(h: CouponHooks | null): void {
  hooks = h ?? fromCoupons;
}

export function couponHooks(): CouponHooks {
  return hooks;
}
