/** Pieces the invoice services share; not part of the domain's public API. */
import { asc, eq, inArray } from 'drizzle-orm';
import { totalInvoice, type DraftLine, type InvoiceTotals, type TotaledLine } from '../../core/invoicing/index.js';
import { dueDate as netDueDate } from '../../core/periods/index.js';
import { validateDiscount } from '../../core/pricing/discount.js';
import { invalid, isTallyError, notFound, TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { invoiceLines, invoices } from '../../store/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import {
  COLLECTION_METHODS,
  PAYMENT_METHOD_TYPES,
  invoiceLabel,
  toInvoice,
  toLine,
  type CollectionMethod,
  type Invoice,
  type InvoiceDiscount,
  type InvoiceLineRow,
  type InvoiceRow,
  type InvoiceStatus,
  type PaymentMethodType,
} from './model.js';

/** Invoice totals above this are refused: JSON carries amounts as safe integers. */
const MAX_INVOICE_AMOUNT = 10n ** 15n;

/** The invoice row, locked for the rest of the transaction: every change to one invoice goes through here. */
export async function lockInvoiceRow(db: Db, id: string): Promise<InvoiceRow> {
  const [row] = await db.select().from(invoices).where(eq(invoices.id, id)).for('update');
  if (!row) throw notFound('invoice', id, 'invoice');
  return row;
}

export async function lineRowsOf(db: Db, invoiceIds: readonly string[]): Promise<InvoiceLineRow[]> {
  if (invoiceIds.length === 0) return [];
  return db
    .select()
    .from(invoiceLines)
    .where(invoiceIds.length === 1 ? eq(invoiceLines.invoiceId, invoiceIds[0] as string) : inArray(invoiceLines.invoiceId, [...invoiceIds]))
    .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position));
}

export async function loadInvoice(db: Db, row: InvoiceRow): Promise<Invoice> {
  return toInvoice(row, await lineRowsOf(db, [row.id]));
}

/** What a transition is called in messages: `finalize` → "finalized". */
const PAST: Record<string, string> = {
  finalize: 'finalized',
  edit: 'edited',
  pay: 'marked paid',
  void: 'voided',
  mark_uncollectible: 'marked uncollectible',
  send: 'sent',
};

const FINAL_NOTE: Partial<Record<InvoiceStatus, string>> = {
  paid: 'a paid invoice is final',
  void: 'a void invoice is final',
};

/** Refuses an illegal transition with a 409 that names the invoice's current status. */
export function requireStatus(row: InvoiceRow, allowed: readonly InvoiceStatus[], action: keyof typeof PAST & string): void {
  if (allowed.includes(row.status)) return;
  const why = FINAL_NOTE[row.status] ?? `only ${allowed.map((s) => `a${s === 'open' || s === 'uncollectible' ? 'n' : ''} ${s}`).join(' or ')} invoice can be ${PAST[action]}`;
  throw new TallyError('conflict', 'invoice_status_invalid', `Invoice ${invoiceLabel(row)} is ${row.status}; it cannot be ${PAST[action]} (${why}).`, {
    param: 'status',
    details: { status: row.status, action },
  });
}

export interface CollectionInput {
  readonly collectionMethod: CollectionMethod;
  readonly daysUntilDue?: number | null | undefined;
  readonly dueDate?: Date | null | undefined;
  readonly paymentMethodTypes?: readonly PaymentMethodType[] | null | undefined;
}

export interface CollectionSettings {
  readonly collectionMethod: CollectionMethod;
  readonly daysUntilDue: number | null;
  readonly dueDate: Date | null;
  readonly paymentMethodTypes: PaymentMethodType[];
}

/** Net 30 unless told otherwise (R23). */
export const DEFAULT_DAYS_UNTIL_DUE = 30;

/** Card for charged invoices; card and ACH bank transfer for sent ones (R18). */
export const defaultPaymentMethodTypes = (m: CollectionMethod): PaymentMethodType[] => (m === 'send_invoice' ? ['card', 'us_bank_account'] : ['card']);

/**
 * Checks and completes how an invoice is collected: `send_invoice` gets net 30 unless a due date or other
 * term is given; due terms on `charge_automatically` are refused, as at the provider.
 */
export function collectionSettings(input: CollectionInput, now: Date): CollectionSettings {
  const method = input.collectionMethod;
  if (!COLLECTION_METHODS.includes(method)) {
    throw invalid('collection_method_invalid', `collection_method must be one of ${COLLECTION_METHODS.join(', ')}; got '${String(method)}'.`, 'collection_method');
  }
  const days = input.daysUntilDue ?? null;
  const due = input.dueDate ?? null;
  if (method === 'charge_automatically') {
    if (days !== null) throw invalid('days_until_due_not_allowed', 'days_until_due applies only to send_invoice invoices.', 'days_until_due');
    if (due !== null) throw invalid('due_date_not_allowed', 'due_date applies only to send_invoice invoices.', 'due_date');
  }
  if (days !== null && due !== null) throw invalid('due_terms_conflict', 'Give either due_date or days_until_due, not both.', 'due_date');
  if (days !== null && (!Number.isInteger(days) || days < 0 || days > 3650)) {
    throw invalid('days_until_due_invalid', `days_until_due must be a whole number of days from 0 to 3650; got ${days}.`, 'days_until_due');
  }
  if (due !== null) {
    if (!(due instanceof Date) || Number.isNaN(due.getTime())) throw invalid('due_date_invalid', 'due_date is not a valid date.', 'due_date');
    if (due <= now) throw invalid('due_date_past', `due_date ${due.toISOString()} is not in the future.`, 'due_date');
  }
  const types = input.paymentMethodTypes ?? defaultPaymentMethodTypes(method);
  if (types.length === 0) throw invalid('payment_method_types_empty', 'payment_method_types needs at least one type.', 'payment_method_types');
  types.forEach((t, i) => {
    if (!PAYMENT_METHOD_TYPES.includes(t)) {
      throw invalid('payment_method_type_invalid', `Payment method type '${String(t)}' is not one of ${PAYMENT_METHOD_TYPES.join(', ')}.`, `payment_method_types.${i}`);
    }
  });
  return {
    collectionMethod: method,
    daysUntilDue: method === 'send_invoice' && due === null ? (days ?? DEFAULT_DAYS_UNTIL_DUE) : null,
    dueDate: method === 'send_invoice' ? due : null,
    paymentMethodTypes: [...new Set(types)],
  };
}

export function checkDiscount(d: InvoiceDiscount | null | undefined): void {
  if (!d) return;
  if (!d.couponId) throw invalid('coupon_required', 'A discount names its coupon.', 'discount.coupon');
  try {
    validateDiscount(d.discount);
  } catch (e) {
    if (!isTallyError(e)) throw e;
    throw new TallyError(e.type, e.code, e.message, { param: e.param ? `discount.${e.param}` : 'discount' });
  }
}

/** The totals of a draft: the balance is applied only at finalization, so drafts are totalled without it. */
export function draftTotals(lines: readonly DraftLine[], discount: InvoiceDiscount | null): InvoiceTotals {
  return checkInvoiceSize(totalInvoice({ lines, discount, customerBalance: 0n }));
}

/** Refuses an invoice whose subtotal is beyond what any invoice may hold. */
export function checkInvoiceSize(totals: InvoiceTotals): InvoiceTotals {
  if (totals.subtotal > MAX_INVOICE_AMOUNT) throw invalid('invoice_too_large', `The invoice subtotal ${totals.subtotal} is too large.`, 'lines');
  return totals;
}

export function lineValues(invoiceId: string, position: number, l: TotaledLine, now: Date): typeof invoiceLines.$inferInsert {
  return {
    id: newId('invoiceLine', now),
    invoiceId,
    position,
    description: l.description,
    source: l.source,
    productKey: l.productKey,
    priceKey: l.priceKey,
    periodStart: l.period?.start ?? null,
    periodEnd: l.period?.end ?? null,
    quantity: l.quantity.toString(),
    unitAmount: l.unitAmount?.toString() ?? null,
    flatAmount: l.flatAmount?.toString() ?? null,
    tier: l.tier,
    tierFrom: l.tierFrom?.toString() ?? null,
    tierUpTo: l.tierUpTo?.toString() ?? null,
    amount: l.amount,
    discountAmount: l.discountAmount,
    discountable: l.discountable,
  };
}

export const totalsValues = (t: InvoiceTotals) => ({
  subtotal: t.subtotal,
  discountTotal: t.discountTotal,
  total: t.total,
  startingBalance: t.startingBalance,
  appliedBalance: t.appliedBalance,
  amountDue: t.amountDue,
});

/**
 * What finalizing sets on an invoice: the totals with the balance, its number, `paid` at once when
 * nothing is left to collect (else `open`), and a send_invoice invoice's due date (net 30 by default, R23).
 */
export function finalizedFields(totals: InvoiceTotals, number: string, now: Date, method: CollectionMethod, dueDate: Date | null, daysUntilDue: number | null) {
  const settled = totals.amountDue === 0n;
  return {
    ...totalsValues(totals),
    number,
    status: settled ? ('paid' as const) : ('open' as const),
    finalizedAt: now,
    paidAt: settled ? now : null,
    dueDate: method === 'send_invoice' ? (dueDate ?? netDueDate(now, daysUntilDue ?? DEFAULT_DAYS_UNTIL_DUE)) : null,
  };
}

/**
 * Recomputes a draft after its lines or discount changed: `totalInvoice` over the stored lines, then the
 * lines whose discount share moved and the invoice's totals are written back.
 */
export async function retotalDraft(db: Db, row: InvoiceRow, discount: InvoiceDiscount | null): Promise<void> {
  const rows = await lineRowsOf(db, [row.id]);
  const lines = rows.map(toLine);
  const totals = draftTotals(lines, discount);
  for (const [i, l] of totals.lines.entries()) {
    const stored = rows[i] as InvoiceLineRow;
    if (stored.discountAmount !== l.discountAmount) await db.update(invoiceLines).set({ discountAmount: l.discountAmount }).where(eq(invoiceLines.id, stored.id));
  }
  await db.update(invoices).set(totalsValues(totals)).where(eq(invoices.id, row.id));
}

/** Staff actions leave an audit row with their reason (R15); other actors' changes are in the events. */
export async function auditIfStaff(
  ctx: ServiceContext,
  action: string,
  row: Pick<InvoiceRow, 'id' | 'customerId'>,
  before: unknown,
  after: unknown,
  why: Justification,
  defaultReason: string,
): Promise<void> {
  if (ctx.actor.type !== 'staff') return;
  const reason = why.reason?.trim() ? why.reason : why.ticket?.trim() ? null : defaultReason;
  await recordAudit(ctx, { action, targetType: 'invoice', targetId: row.id, customerId: row.customerId, before, after, reason, ticket: why.ticket ?? null });
}
