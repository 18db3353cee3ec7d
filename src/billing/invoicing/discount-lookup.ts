import type { ServiceContext } from '../context.js';
import type { InvoiceDiscount } from '../invoices/index.js';

/**
 * Which coupon a customer's next invoice gets, and what to record once it has been used. The coupons
 * domain installs its implementation at start-up (`setCouponHooks`); until then invoices carry no
 * discount. Kept as an injected hook so invoicing does not depend on the coupon tables.
 */
export interface CouponHooks {
  discountFor(ctx: ServiceContext, customerId: string, at: Date): Promise<InvoiceDiscount | null>;
  recordUse(ctx: ServiceContext, customerId: string, couponId: string, invoiceId: string): Promise<void>;
}

const none: CouponHooks = {
  discountFor: async () => null,
  recordUse: async () => {},
};

let hooks: CouponHooks = none;

export function setCouponHooks(h: CouponHooks | null): void {
  hooks = h ?? none;
}

export function couponHooks(): CouponHooks {
  return hooks;
}
