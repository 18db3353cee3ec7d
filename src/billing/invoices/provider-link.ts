import { and, eq, isNull, or } from 'drizzle-orm';
import { conflict } from '../../shared/errors.js';
import { enqueueJob, type NewJob } from '../../jobs/enqueue.js';
import { invoices } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { PUSH_INVOICE_JOB, SEND_INVOICE_JOB } from '../providers/job-kinds.js';
import { toInvoice, type Invoice, type InvoiceRow } from './model.js';
import { lineRowsOf } from './internal.js';

/**
 * Records which provider invoice mirrors a Tally invoice. Set once: a second, different ID means two provider
 * invoices for one Tally invoice, which the push is built never to create.
 */
export async function linkProviderInvoice(ctx: ServiceContext, invoiceId: string, providerInvoiceId: string): Promise<void> {
  const updated = await ctx.db
    .update(invoices)
    .set({ providerInvoiceId })
    .where(and(eq(invoices.id, invoiceId), or(isNull(invoices.providerInvoiceId), eq(invoices.providerInvoiceId, providerInvoiceId))))
    .returning({ id: invoices.id });
  if (updated.length === 0) throw conflict('provider_invoice_linked', `Invoice ${invoiceId} is already linked to another provider invoice than ${providerInvoiceId}.`, 'provider_invoice_id');
}

/** The Tally invoice a provider invoice mirrors, if any. */
export async function findInvoiceByProviderId(ctx: ServiceContext, providerInvoiceId: string): Promise<Invoice | null> {
  const [row] = await ctx.db.select().from(invoices).where(eq(invoices.providerInvoiceId, providerInvoiceId));
  return row ? toInvoice(row, await lineRowsOf(ctx.db, [row.id])) : null;
}

/**
 * After a transition, in its transaction: when the customer is at the provider (R16), a job makes the provider's
 * copy follow (`what` names the transition, so each one is enqueued once). Customers without a provider
 * customer get nothing; their finalized invoices are pushed when billing is set up.
 */
export async function followAtProvider(ctx: ServiceContext, row: InvoiceRow, what: 'finalized' | 'paid' | 'void' | 'uncollectible' | 'sent'): Promise<void> {
  const customer = await getCustomer(ctx, row.customerId);
  if (!customer.providerCustomerId) return;
  if (what === 'sent') {
    const at = row.sentAt?.toISOString() ?? '';
    await enqueueJob(ctx, { kind: SEND_INVOICE_JOB, payload: { invoice_id: row.id, sent_at: at }, dedupeKey: `${SEND_INVOICE_JOB}:${row.id}:${at}` });
    return;
  }
  await enqueueJob(ctx, providerPushJob(row.id, what));
}

/** The job that makes the provider's copy of an invoice follow one transition (once per transition). */
export function providerPushJob(invoiceId: string, what: 'finalized' | 'paid' | 'void' | 'uncollectible'): NewJob {
  return { kind: PUSH_INVOICE_JOB, payload: { invoice_id: invoiceId }, dedupeKey: `${PUSH_INVOICE_JOB}:${invoiceId}:${what}` };
}
