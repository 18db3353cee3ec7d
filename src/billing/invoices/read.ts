import { and, desc, eq, lt } from 'drizzle-orm';
import { invalid, notFound } from '../../shared/errors.js';
import { invoices } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';
import { lineRowsOf } from './internal.js';
import { INVOICE_STATUSES, toInvoice, type Invoice, type InvoiceLineRow, type InvoiceStatus } from './model.js';

/**
 * An invoice with its lines. With `instanceId`, another instance's invoice is reported as not found, so an
 * instance cannot learn that it exists (R1).
 */
export async function getInvoice(ctx: ServiceContext, id: string, instanceId?: string): Promise<Invoice> {
  const where = instanceId ? and(eq(invoices.id, id), eq(invoices.instanceId, instanceId)) : eq(invoices.id, id);
  const [row] = await ctx.db.select().from(invoices).where(where);
  if (!row) throw notFound('invoice', id, 'invoice');
  return toInvoice(row, await lineRowsOf(ctx.db, [row.id]));
}

export interface InvoiceQuery extends PageRequest {
  readonly customerId?: string | undefined;
  readonly status?: InvoiceStatus | undefined;
  /** Only this instance's invoices (the instance API always sets it). */
  readonly instanceId?: string | undefined;
}

/** Invoices with their lines, newest first (as at the provider); the next page starts after the last ID. */
export async function listInvoices(ctx: ServiceContext, q: InvoiceQuery): Promise<Page<Invoice>> {
  if (q.status !== undefined && !INVOICE_STATUSES.includes(q.status)) {
    throw invalid('status_invalid', `status must be one of ${INVOICE_STATUSES.join(', ')}; got '${String(q.status)}'.`, 'status');
  }
  const limit = clampLimit(q.limit);
  const rows = await ctx.db
    .select()
    .from(invoices)
    .where(
      and(
        q.customerId ? eq(invoices.customerId, q.customerId) : undefined,
        q.status ? eq(invoices.status, q.status) : undefined,
        q.instanceId ? eq(invoices.instanceId, q.instanceId) : undefined,
        q.startingAfter ? lt(invoices.id, q.startingAfter) : undefined,
      ),
    )
    .orderBy(desc(invoices.id))
    .limit(limit + 1);
  const page = toPage(rows, limit);
  const lines = await lineRowsOf(ctx.db, page.data.map((r) => r.id));
  const byInvoice = new Map<string, InvoiceLineRow[]>();
  for (const l of lines) byInvoice.set(l.invoiceId, [...(byInvoice.get(l.invoiceId) ?? []), l]);
  return { data: page.data.map((r) => toInvoice(r, byInvoice.get(r.id) ?? [])), hasMore: page.hasMore };
}
