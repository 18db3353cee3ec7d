import { z } from 'zod';
import type { Invoice, InvoiceLine } from '../billing/invoices/model.js';
import { COLLECTION_METHODS, INVOICE_STATUSES, PAYMENT_METHOD_TYPES } from '../billing/invoices/model.js';
import type { DraftLine } from '../core/invoicing/index.js';
import { minorToJson } from '../core/money/index.js';

/**
 * Invoices on the wire, shaped like the provider's: amounts are integers in minor units, quantities and
 * unit amounts decimal strings (up to 12 places, minor units), currencies lower-case, times ISO 8601 UTC.
 */

const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
const ts = (d: Date | null): string | null => (d ? d.toISOString() : null);
/** Amounts are capped well inside JSON's safe integers by the services, so this conversion is exact. */
const int = minorToJson;
const Amount = z.number().int().describe('Minor units (cents; yen for JPY)');

/** What every invoice line shows, whether it is stored or only previewed (the upcoming invoice). */
export const LineBodyJson = z.object({
  description: z.string(),
  source: z.enum(['recurring', 'usage', 'up_front', 'manual']),
  product: z.string().nullable(),
  price: z.string().nullable().describe('The catalog price key, for lines at a catalog price'),
  period: z.object({ start: Timestamp, end: Timestamp }).nullable(),
  quantity: z.string().describe('Decimal string: $0 lines keep their quantity (R4)'),
  unit_amount_decimal: z.string().nullable().describe('Minor units per unit, up to 12 decimal places'),
  flat_amount_decimal: z.string().nullable(),
  tier: z
    .object({ index: z.number().int().describe('0-based'), from: z.string().nullable().describe('Exclusive lower bound'), up_to: z.string().nullable().describe('Inclusive; null = open') })
    .nullable(),
  amount: Amount.describe('quantity × unit amount (+ flat), rounded once; before discounts'),
  discount_amount: Amount,
  discountable: z.boolean(),
});

export const InvoiceLineJson = LineBodyJson.extend({
  id: z.string().describe('il_…'),
  object: z.literal('line_item'),
  invoice: z.string(),
}).meta({ id: 'InvoiceLine' });

export const InvoiceJson = z
  .object({
    id: z.string().describe('inv_…'),
    object: z.literal('invoice'),
    instance: z.string(),
    customer: z.string(),
    subscription: z.string().nullable(),
    number: z.string().nullable().describe('Assigned at finalization: the instance prefix and a gapless sequence (US-000042)'),
    status: z.enum(INVOICE_STATUSES),
    collection_method: z.enum(COLLECTION_METHODS),
    payment_settings: z.object({ payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)) }),
    currency: z.string(),
    period_start: Timestamp.nullable(),
    period_end: Timestamp.nullable(),
    subtotal: Amount,
    total_discount_amounts: z.array(z.object({ amount: Amount, coupon: z.string() })),
    total: Amount.describe('subtotal − discounts; the credit balance does not reduce it'),
    starting_balance: Amount.describe('Customer balance when finalized (negative = credit); 0 on drafts'),
    ending_balance: Amount.nullable().describe('Customer balance left after this invoice; null until finalized'),
    amount_due: Amount.describe('total after the balance applied'),
    amount_paid: Amount,
    amount_remaining: Amount,
    discount: z
      .object({
        coupon: z.string(),
        name: z.string().nullable(),
        percent_off: z.string().nullable(),
        amount_off: Amount.nullable(),
        products: z.array(z.string()).nullable(),
      })
      .nullable(),
    days_until_due: z.number().int().nullable(),
    due_date: Timestamp.nullable(),
    memo: z.string().nullable(),
    footer: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    payment_reference: z.string().nullable().describe('The reference of a payment recorded by staff'),
    status_transitions: z.object({
      finalized_at: Timestamp.nullable(),
      paid_at: Timestamp.nullable(),
      voided_at: Timestamp.nullable(),
      marked_uncollectible_at: Timestamp.nullable(),
    }),
    last_sent_at: Timestamp.nullable(),
    created: Timestamp,
    lines: z.object({ object: z.literal('list'), data: z.array(InvoiceLineJson), has_more: z.boolean(), total_count: z.number().int() }),
  })
  .meta({ id: 'Invoice' });

export function lineBodyJson(l: DraftLine & { discountAmount: bigint }): z.infer<typeof LineBodyJson> {
  return {
    description: l.description,
    source: l.source,
    product: l.productKey,
    price: l.priceKey,
    period: l.period ? { start: l.period.start.toISOString(), end: l.period.end.toISOString() } : null,
    quantity: l.quantity.toString(),
    unit_amount_decimal: l.unitAmount?.toString() ?? null,
    flat_amount_decimal: l.flatAmount?.toString() ?? null,
    tier: l.tier === null ? null : { index: l.tier, from: l.tierFrom?.toString() ?? null, up_to: l.tierUpTo?.toString() ?? null },
    amount: int(l.amount),
    discount_amount: int(l.discountAmount),
    discountable: l.discountable,
  };
}

export function invoiceLineJson(l: InvoiceLine): z.infer<typeof InvoiceLineJson> {
  return { id: l.id, object: 'line_item', invoice: l.invoiceId, ...lineBodyJson(l) };
}

export function invoiceJson(inv: Invoice): z.infer<typeof InvoiceJson> {
  const d = inv.discount;
  return {
    id: inv.id,
    object: 'invoice',
    instance: inv.instanceId,
    customer: inv.customerId,
    subscription: inv.subscriptionId,
    number: inv.number,
    status: inv.status,
    collection_method: inv.collectionMethod,
    payment_settings: { payment_method_types: [...inv.paymentMethodTypes] },
    currency: inv.currency.toLowerCase(),
    period_start: ts(inv.periodStart),
    period_end: ts(inv.periodEnd),
    subtotal: int(inv.subtotal),
    total_discount_amounts: d && inv.discountTotal !== 0n ? [{ amount: int(inv.discountTotal), coupon: d.couponId }] : [],
    total: int(inv.total),
    starting_balance: int(inv.startingBalance),
    ending_balance: inv.endingBalance === null ? null : int(inv.endingBalance),
    amount_due: int(inv.amountDue),
    amount_paid: int(inv.amountPaid),
    amount_remaining: int(inv.amountRemaining),
    discount: d
      ? {
          coupon: d.couponId,
          name: d.name,
          percent_off: d.discount.type === 'percent' ? d.discount.percent.toString() : null,
          amount_off: d.discount.type === 'fixed' ? int(d.discount.amount) : null,
          products: d.productKeys ? [...d.productKeys] : null,
        }
      : null,
    days_until_due: inv.daysUntilDue,
    due_date: ts(inv.dueDate),
    memo: inv.memo,
    footer: inv.footer,
    metadata: inv.metadata,
    payment_reference: inv.paymentReference,
    status_transitions: {
      finalized_at: ts(inv.finalizedAt),
      paid_at: ts(inv.paidAt),
      voided_at: ts(inv.voidedAt),
      marked_uncollectible_at: ts(inv.markedUncollectibleAt),
    },
    last_sent_at: ts(inv.sentAt),
    created: inv.createdAt.toISOString(),
    lines: { object: 'list', data: inv.lines.map(invoiceLineJson), has_more: false, total_count: inv.lines.length },
  };
}
