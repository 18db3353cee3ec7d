import { totalInvoice, type InvoiceTotals } from '../../core/invoicing/index.js';
import { periodAt } from '../../core/periods/index.js';
import type { ServiceContext } from '../context.js';
import { customerBalance } from '../balance/index.js';
import { getCustomerInScope } from '../customers/scope.js';
import type { InvoiceDiscount } from '../invoices/index.js';
import { getSubscription, itemsInForce } from '../subscriptions/index.js';
import { feeLines, usageLines } from './close-period.js';
import { invoiceDiscountFor } from './discount-lookup.js';

export interface UpcomingInvoice {
  customerId: string;
  subscriptionId: string;
  currency: string;
  /** The usage period so far: from the period start to now. */
  periodStart: Date;
  periodEnd: Date;
  /** When the period actually closes and the invoice is made. */
  closesAt: Date;
  discount: InvoiceDiscount | null;
  totals: InvoiceTotals;
}

/**
 * What would be billed if the current period closed now: usage so far at the items in force now, the next
 * period's fees in advance, the coupon and the credit balance — the same computation as the period close,
 * written nowhere. Null when the customer has no live subscription.
 */
export async function previewUpcomingInvoice(ctx: ServiceContext, customerId: string): Promise<UpcomingInvoice | null> {
  const customer = await getCustomerInScope(ctx, customerId);
  const sub = await getSubscription(ctx, customer.id);
  if (!sub || sub.status === 'canceled') return null;
  const now = ctx.clock.now();
  const items = await itemsInForce(ctx, sub.id, now);
  const lines = await usageLines(ctx, customer.id, sub.currency, items, sub.currentPeriodStart, now);
  if (!sub.cancelAtPeriodEnd) {
    const next = periodAt(sub.billingAnchor, sub.interval, sub.currentPeriodEnd);
    lines.push(...(await feeLines(ctx, sub.currency, items, next.start, next.end)));
  }
  const discount = await invoiceDiscountFor(ctx, customer.id, now);
  const balance = await customerBalance(ctx, customer.id, sub.currency);
  return {
    customerId: customer.id,
    subscriptionId: sub.id,
    currency: sub.currency,
    periodStart: sub.currentPeriodStart,
    periodEnd: now,
    closesAt: sub.currentPeriodEnd,
    discount,
    totals: totalInvoice({ lines, discount, customerBalance: balance }),
  };
}
