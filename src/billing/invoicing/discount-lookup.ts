import { activeDiscountFor, recordCouponUse } from '../coupons/index.js';
import type { ServiceContext } from '../context.js';
import type { InvoiceDiscount } from '../invoices/index.js';

/** The coupon an invoice of the period starting `at` gets (R11: coupons attach to the customer). */
export async function invoiceDiscountFor(ctx: ServiceContext, customerId: string, at: Date): Promise<InvoiceDiscount | null> {
  const d = await activeDiscountFor(ctx, customerId, at);
  return d ? { couponId: d.couponId, name: d.name, discount: d.discount, productKeys: d.productKeys } : null;
}

/** Counts a finalized invoice against the coupon's duration (once, N months, forever). */
export async function recordInvoiceCouponUse(ctx: ServiceContext, customerId: string, couponId: string, invoiceId: string): Promise<void> {
  await recordCouponUse(ctx, customerId, couponId, invoiceId);
}
