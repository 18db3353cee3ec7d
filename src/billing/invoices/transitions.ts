import { eq } from 'drizzle-orm';
import { totalInvoice } from '../../core/invoicing/index.js';
import { conflict, invalid } from '../../shared/errors.js';
import { invoiceLines, invoices } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { requireJustification } from '../audit/record-audit.js';
import { addBalanceTransaction, customerBalance } from '../balance/balance.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { getCustomer, lockCustomer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { getInstance } from '../instances/instances.js';
import { auditIfStaff, finalizedFields, lineRowsOf, loadInvoice, lockInvoiceRow, requireStatus } from './internal.js';
import { decodeDiscount, invoiceLabel, invoiceSnapshot, toLine, type Invoice, type InvoiceRow } from './model.js';
import { invoicePrefix, takeInvoiceNumber } from './numbering.js';
import { followAtProvider } from './provider-link.js';

/**
 * The invoice lifecycle: draft → open → paid | void | uncollectible, and uncollectible → paid | void.
 * Paid and void are final. Each transition locks the invoice row, refuses an illegal move with a 409 that
 * names the current status, records an event, and — for staff — an audit row with the reason (R15).
 */

async function updateRow(ctx: ServiceContext, id: string, set: Partial<typeof invoices.$inferInsert>): Promise<InvoiceRow> {
  const [row] = await ctx.db.update(invoices).set(set).where(eq(invoices.id, id)).returning();
  if (!row) throw new Error(`invoice ${id} vanished during an update`);
  return row;
}

async function event(ctx: ServiceContext, type: string, row: InvoiceRow, extra: Record<string, unknown> = {}): Promise<void> {
  await recordEvent(ctx, { type, instanceId: row.instanceId, customerId: row.customerId, objectId: row.id, data: { ...invoiceSnapshot(row), ...extra } });
}

/**
 * Finalizes a draft: totals it once more with the customer's balance at this moment (a credit lowers
 * `amount_due`, never `total`, and what it does not use stays for later), records the balance consumed
 * as an `applied_to_invoice` ledger row, takes the next gapless number of the instance's prefix, sets the
 * due date of a send_invoice invoice (net 30 by default, R23), and opens it — or marks it paid at once when
 * nothing is left to collect. One transaction: a finalization that fails consumes no number and no credit,
 * and one that succeeded cannot run again (the invoice is no longer a draft).
 */
export async function finalizeInvoice(ctx: ServiceContext, invoiceId: string, why: Justification = {}): Promise<Invoice> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockInvoiceRow(tx, invoiceId);
    requireStatus(row, ['draft'], 'finalize');
    const lineRows = await lineRowsOf(tx, [row.id]);
    if (lineRows.length === 0) throw invalid('invoice_empty', `Invoice ${row.id} has no lines; add at least one before finalizing.`, 'lines');
    const now = c.clock.now();
    if (row.dueDate && row.dueDate <= now) {
      throw invalid('due_date_past', `The due date ${row.dueDate.toISOString()} has passed; set a new one before finalizing.`, 'due_date');
    }
    // Customer before the number: every writer of a balance locks the customer, and numbers are taken last.
    await lockCustomer(c, row.customerId);
    const balance = await customerBalance(c, row.customerId, row.currency);
    const totals = totalInvoice({ lines: lineRows.map(toLine), discount: decodeDiscount(row.discount), customerBalance: balance });
    for (const [i, l] of totals.lines.entries()) {
      const stored = lineRows[i];
      if (stored && stored.discountAmount !== l.discountAmount) await tx.update(invoiceLines).set({ discountAmount: l.discountAmount }).where(eq(invoiceLines.id, stored.id));
    }
    const instance = await getInstance(c, row.instanceId);
    const number = await takeInvoiceNumber(tx, invoicePrefix(instance.slug));
    if (totals.appliedBalance !== 0n) {
      await addBalanceTransaction(c, {
        customerId: row.customerId,
        amount: -totals.appliedBalance,
        currency: row.currency,
        type: 'applied_to_invoice',
        invoiceId: row.id,
        description: `Applied to invoice ${number}`,
      });
    }
    const after = await updateRow(c, row.id, finalizedFields(totals, number, now, row.collectionMethod, row.dueDate, row.daysUntilDue));
    await event(c, 'invoice.finalized', after);
    if (after.status === 'paid') await event(c, 'invoice.paid', after, { paid_out_of_band: false, reason: 'nothing_due' });
    await followAtProvider(c, after, 'finalized');
    await auditIfStaff(c, 'invoice.finalize', after, invoiceSnapshot(row), invoiceSnapshot(after), why, 'finalized after review');
    return loadInvoice(tx, after);
  });
}

export interface RecordPaymentInput {
  /** What identifies the payment: a bank transfer reference, a check number, a provider charge ID. */
  readonly reference: string;
  /** When the money arrived (default now); not in the future. */
  readonly paidAt?: Date | null;
}

/**
 * Records that an open or uncollectible invoice was paid in full outside Tally (the manual provider:
 * staff enter the bank transfer's reference). Audited for staff, with the reference in the default reason.
 */
export async function markInvoicePaid(ctx: ServiceContext, invoiceId: string, payment: RecordPaymentInput, why: Justification = {}): Promise<Invoice> {
  const reference = typeof payment.reference === 'string' ? payment.reference.trim() : '';
  if (!reference) throw invalid('reference_required', 'Say which payment this is: give its reference (bank transfer reference, check number, …).', 'reference');
  if (reference.length > 200) throw invalid('reference_too_long', 'reference may be at most 200 characters.', 'reference');
  const now = ctx.clock.now();
  const paidAt = payment.paidAt ?? now;
  if (!(paidAt instanceof Date) || Number.isNaN(paidAt.getTime())) throw invalid('paid_at_invalid', 'paid_at is not a valid date.', 'paid_at');
  if (paidAt > now) throw invalid('paid_at_future', 'paid_at must not be in the future.', 'paid_at');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockInvoiceRow(tx, invoiceId);
    requireStatus(row, ['open', 'uncollectible'], 'pay');
    const after = await updateRow(c, row.id, { status: 'paid', amountPaid: row.amountDue, paidAt, paymentReference: reference });
    await event(c, 'invoice.paid', after, { paid_out_of_band: true });
    await followAtProvider(c, after, 'paid');
    await auditIfStaff(c, 'invoice.pay', after, invoiceSnapshot(row), invoiceSnapshot(after), why, `payment recorded (reference ${reference})`);
    return loadInvoice(tx, after);
  });
}

/**
 * Voids an open or uncollectible invoice: it is no longer owed, and whatever customer balance it consumed
 * goes back to the ledger (`invoice_voided`), so the credit applies to the next invoice instead.
 * Staff must give a reason or ticket.
 */
export async function voidInvoice(ctx: ServiceContext, invoiceId: string, why: Justification = {}): Promise<Invoice> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockInvoiceRow(tx, invoiceId);
    requireStatus(row, ['open', 'uncollectible'], 'void');
    if (row.appliedBalance !== 0n) {
      await addBalanceTransaction(c, {
        customerId: row.customerId,
        amount: row.appliedBalance,
        currency: row.currency,
        type: 'invoice_voided',
        invoiceId: row.id,
        description: `Returned from voided invoice ${invoiceLabel(row)}`,
      });
    }
    const after = await updateRow(c, row.id, { status: 'void', voidedAt: c.clock.now() });
    await event(c, 'invoice.voided', after);
    await followAtProvider(c, after, 'void');
    await auditIfStaff(c, 'invoice.void', after, invoiceSnapshot(row), invoiceSnapshot(after), why, 'voided');
    return loadInvoice(tx, after);
  });
}

/** Writes off an open invoice as not collectible; it may still be paid or voided later. Staff must give a reason. */
export async function markUncollectible(ctx: ServiceContext, invoiceId: string, why: Justification = {}): Promise<Invoice> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockInvoiceRow(tx, invoiceId);
    requireStatus(row, ['open'], 'mark_uncollectible');
    const after = await updateRow(c, row.id, { status: 'uncollectible', markedUncollectibleAt: c.clock.now() });
    await event(c, 'invoice.marked_uncollectible', after);
    await followAtProvider(c, after, 'uncollectible');
    await auditIfStaff(c, 'invoice.mark_uncollectible', after, invoiceSnapshot(row), invoiceSnapshot(after), why, 'marked uncollectible');
    return loadInvoice(tx, after);
  });
}

/**
 * Sends an open send_invoice invoice to the customer's billing email: records `invoice.sent` (the
 * payment provider delivers the email). May be repeated, e.g. as a reminder; `sentAt` is the last time.
 */
export async function sendInvoice(ctx: ServiceContext, invoiceId: string, why: Justification = {}): Promise<Invoice> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const row = await lockInvoiceRow(tx, invoiceId);
    requireStatus(row, ['open'], 'send');
    if (row.collectionMethod !== 'send_invoice') {
      throw conflict('invoice_charged_automatically', `Invoice ${invoiceLabel(row)} is charged automatically; only send_invoice invoices are sent.`, 'collection_method');
    }
    const customer = await getCustomer(c, row.customerId);
    if (!customer.billingEmail) {
      throw conflict('billing_email_missing', `Customer ${customer.id} has no billing email to send invoice ${invoiceLabel(row)} to; set one first.`, 'billing_email');
    }
    const after = await updateRow(c, row.id, { sentAt: c.clock.now() });
    await event(c, 'invoice.sent', after, { to: customer.billingEmail });
    await followAtProvider(c, after, 'sent');
    await auditIfStaff(c, 'invoice.send', after, null, { ...invoiceSnapshot(after), to: customer.billingEmail }, why, 'sent to the customer');
    return loadInvoice(tx, after);
  });
}
