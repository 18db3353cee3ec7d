import type { DraftLine, InvoiceDiscountInput } from '../../core/invoicing/index.js';
import { Decimal } from '../../core/money/decimal.js';
import type { Discount } from '../../core/pricing/discount.js';
import type { invoiceLines, invoices } from '../../store/schema.js';
import { minorToJson } from '../../core/money/index.js';

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;
export type CollectionMethod = (typeof COLLECTION_METHODS)[number];

/** What the customer may pay with: card, or ACH bank transfer (R18). */
export const PAYMENT_METHOD_TYPES = ['card', 'us_bank_account'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/** The discount a draft is totalled with; the coupons feature fills it in. */
export interface InvoiceDiscount extends InvoiceDiscountInput {
  /** As the customer knows it (`LAUNCH20 (20% off)`), printed on the document. */
  readonly name: string | null;
}

/** A stored line: a DraftLine plus its identity and its share of the discount. */
export interface InvoiceLine extends DraftLine {
  readonly id: string;
  readonly invoiceId: string;
  readonly position: number;
  readonly discountAmount: bigint;
}

export interface Invoice {
  readonly id: string;
  readonly instanceId: string;
  readonly customerId: string;
  readonly subscriptionId: string | null;
  /** Assigned at finalization (`US-000042`); null on drafts. */
  readonly number: string | null;
  readonly status: InvoiceStatus;
  readonly collectionMethod: CollectionMethod;
  readonly paymentMethodTypes: readonly PaymentMethodType[];
  /** Upper-case ISO code. */
  readonly currency: string;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly subtotal: bigint;
  readonly discountTotal: bigint;
  readonly total: bigint;
  /** The customer balance when the invoice was finalized (0 on drafts: the balance is applied at finalization). */
  readonly startingBalance: bigint;
  /** How much of the balance the invoice consumed: negative = credit used. */
  readonly appliedBalance: bigint;
  /** The balance the invoice left; null until finalized, as at the provider. */
  readonly endingBalance: bigint | null;
  readonly amountDue: bigint;
  readonly amountPaid: bigint;
  readonly amountRemaining: bigint;
  readonly discount: InvoiceDiscount | null;
  readonly daysUntilDue: number | null;
  readonly dueDate: Date | null;
  readonly memo: string | null;
  readonly footer: string | null;
  readonly metadata: Record<string, string>;
  readonly providerInvoiceId: string | null;
  readonly createdAt: Date;
  readonly finalizedAt: Date | null;
  readonly paidAt: Date | null;
  readonly paymentReference: string | null;
  readonly voidedAt: Date | null;
  readonly markedUncollectibleAt: Date | null;
  readonly sentAt: Date | null;
  readonly lines: readonly InvoiceLine[];
}

// ── discount codec (jsonb holds no bigints or Decimals) ───────────────────────────────────────────────

interface StoredDiscount {
  coupon_id: string;
  name: string | null;
  type: 'percent' | 'fixed';
  /** Decimal string for percent, integer string (minor units) for fixed. */
  value: string;
  product_keys: string[] | null;
}

export function encodeDiscount(d: InvoiceDiscount | null): StoredDiscount | null {
  if (!d) return null;
  return {
    coupon_id: d.couponId,
    name: d.name,
    type: d.discount.type,
    value: d.discount.type === 'percent' ? d.discount.percent.toString() : d.discount.amount.toString(),
    product_keys: d.productKeys ? [...d.productKeys] : null,
  };
}

export function decodeDiscount(raw: unknown): InvoiceDiscount | null {
  if (raw === null || raw === undefined) return null;
  const s = raw as StoredDiscount;
  const discount: Discount = s.type === 'percent' ? { type: 'percent', percent: Decimal.parse(s.value) } : { type: 'fixed', amount: BigInt(s.value) };
  return { couponId: s.coupon_id, name: s.name, discount, productKeys: s.product_keys };
}

// ── rows → model ─────────────────────────────────────────────────────────────────────────────────────

const dec = (v: string | null): Decimal | null => (v === null ? null : Decimal.parse(v));

export function toLine(r: InvoiceLineRow): InvoiceLine {
  return {
    id: r.id,
    invoiceId: r.invoiceId,
    position: r.position,
    description: r.description,
    source: r.source,
    productKey: r.productKey,
    priceKey: r.priceKey,
    period: r.periodStart && r.periodEnd ? { start: r.periodStart, end: r.periodEnd } : null,
    quantity: Decimal.parse(r.quantity),
    unitAmount: dec(r.unitAmount),
    flatAmount: dec(r.flatAmount),
    tier: r.tier,
    tierFrom: dec(r.tierFrom),
    tierUpTo: dec(r.tierUpTo),
    amount: r.amount,
    discountAmount: r.discountAmount,
    discountable: r.discountable,
  };
}

export function toInvoice(r: InvoiceRow, lines: readonly InvoiceLineRow[]): Invoice {
  const finalized = r.status !== 'draft';
  return {
    id: r.id,
    instanceId: r.instanceId,
    customerId: r.customerId,
    subscriptionId: r.subscriptionId,
    number: r.number,
    status: r.status,
    collectionMethod: r.collectionMethod,
    paymentMethodTypes: r.paymentMethodTypes as PaymentMethodType[],
    currency: r.currency,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    subtotal: r.subtotal,
    discountTotal: r.discountTotal,
    total: r.total,
    startingBalance: r.startingBalance,
    appliedBalance: r.appliedBalance,
    endingBalance: finalized ? r.startingBalance - r.appliedBalance : null,
    amountDue: r.amountDue,
    amountPaid: r.amountPaid,
    amountRemaining: r.amountDue - r.amountPaid,
    discount: decodeDiscount(r.discount),
    daysUntilDue: r.daysUntilDue,
    dueDate: r.dueDate,
    memo: r.memo,
    footer: r.footer,
    metadata: (r.metadata as Record<string, string>) ?? {},
    providerInvoiceId: r.providerInvoiceId,
    createdAt: r.createdAt,
    finalizedAt: r.finalizedAt,
    paidAt: r.paidAt,
    paymentReference: r.paymentReference,
    voidedAt: r.voidedAt,
    markedUncollectibleAt: r.markedUncollectibleAt,
    sentAt: r.sentAt,
    lines: [...lines].sort((a, b) => a.position - b.position).map(toLine),
  };
}

/** The label an invoice goes by in messages: its number once it has one. */
export const invoiceLabel = (inv: Pick<InvoiceRow, 'id' | 'number'>): string => inv.number ?? inv.id;

/** A compact, JSON-safe picture of an invoice for events and the audit log. */
export function invoiceSnapshot(r: InvoiceRow): Record<string, unknown> {
  return {
    number: r.number,
    status: r.status,
    currency: r.currency.toLowerCase(),
    collection_method: r.collectionMethod,
    total: minorToJson(r.total),
    applied_balance: minorToJson(r.appliedBalance),
    amount_due: minorToJson(r.amountDue),
    amount_paid: minorToJson(r.amountPaid),
    due_date: r.dueDate?.toISOString() ?? null,
    payment_reference: r.paymentReference,
  };
}
