import { activeDiscountsFor, recordCouponUse, type ActiveDiscount } from '../coupons/index.js';
import type { ServiceContext } from '../context.js';
import type { InvoiceDiscount } from '../invoices/index.js';

const asInvoiceDiscount = (d: ActiveDiscount): InvoiceDiscount => ({ couponId: d.couponId, name: d.name, discount: d.discount, productKeys: d.productKeys });

/** The coupon an invoice of the period starting `at` gets (R11: coupons attach to the customer). */
export async function invoiceDiscountFor(ctx: ServiceContext, customerId: string, at: Date): Promise<InvoiceDiscount | null> {
  return (await invoiceDiscountsFor(ctx, [{ customerId, at }])).get(customerId) ?? null;
}

/** invoiceDiscountFor for a batch of customers, each with its own period start; absent = none. */
export async function invoiceDiscountsFor(ctx: ServiceContext, asks: readonly { customerId: string; at: Date }[]): Promise<Map<string, InvoiceDiscount>> {
  const found = await activeDiscountsFor(ctx, asks);
  return new Map([...found].map(([id, d]) => [id, asInvoiceDiscount(d)]));
}

/** Counts a finalized invoice against the coupon's duration (once, N months, forever). */
export async function recordInvoiceCouponUse(ctx: ServiceContext, customerId: string, couponId: string, invoiceId: string): Promise<void> {
  await recordCouponUse(ctx, customerId, couponId, invoiceId);
}
