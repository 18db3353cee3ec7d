/**
 * Period invoices, issued in bulk: a period close makes and finalizes one invoice per subscription at
 * once, so it writes them finalized in a few statements for a whole batch of customers instead of a
 * draft-then-finalize round per invoice. The outcome is the one createDraftInvoice + finalizeInvoice give:
 * the same totals, number, balance ledger rows, events and provider push, in the same order per invoice.
 */
import { anyOf } from '../../store/array-params.js';
import { totalInvoice, withoutBalance, type DraftLine, type InvoiceTotals } from '../../core/invoicing/index.js';
import { enqueueJobs } from '../../jobs/enqueue.js';
import { newId } from '../../shared/ids.js';
import { bulkInsert, bulkInsertStatement } from '../../store/bulk-insert.js';
import { instances, invoiceLines, invoices } from '../../store/schema.js';
import { addBalanceTransaction, customerBalances } from '../balance/balance.js';
import type { ServiceContext } from '../context.js';
import type { Customer } from '../customers/customers.js';
import { recordEvents, type EventInput } from '../events/record-event.js';
import { checkDiscount, checkInvoiceSize, collectionSettings, finalizedFields, lineValues, totalsValues } from './internal.js';
import { encodeDiscount, invoiceSnapshot, type InvoiceDiscount, type InvoiceRow } from './model.js';
import { invoicePrefix, takeInvoiceNumbers } from './numbering.js';
import { providerPushJob } from './provider-link.js';

export interface PeriodInvoice {
  /** Locked by the caller for the whole transaction; each customer at most once per call. */
  readonly customer: Customer;
  readonly subscriptionId: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly lines: readonly DraftLine[];
  readonly discount: InvoiceDiscount | null;
  readonly metadata: Record<string, string>;
}

/**
 * Issues each period invoice finalized and charged automatically: totals with the customer's balance at
 * this moment, gapless numbers per instance prefix in input order, `applied_to_invoice` ledger rows, and
 * the events `invoice.created` (as the draft it was), `invoice.finalized` and — when nothing is left to
 * collect — `invoice.paid`. Returns the invoice ids in input order. The caller holds every customer's
 * lock; the unique (subscription, period start) index refuses an invoice made twice.
 */
export async function issuePeriodInvoices(ctx: ServiceContext, list: readonly PeriodInvoice[]): Promise<string[]> {
  if (list.length === 0) return [];
  const customerIds = list.map((p) => p.customer.id);
  if (new Set(customerIds).size !== customerIds.length) throw new Error('issuePeriodInvoices: a customer appears twice in one batch');
  list.forEach((p) => checkDiscount(p.discount));
  const now = ctx.clock.now();
  const collection = collectionSettings({ collectionMethod: 'charge_automatically' }, now);

  const balances = await customerBalances(ctx, customerIds);
  const slugs = new Map(
    (await ctx.db.select({ id: instances.id, slug: instances.slug }).from(instances).where(anyOf(instances.id, [...new Set(list.map((p) => p.customer.instanceId))]))).map((r) => [r.id, r.slug]),
  );
  const planned = list.map((p) => {
    const final = checkInvoiceSize(totalInvoice({ lines: p.lines, discount: p.discount, customerBalance: balances.get(`${p.customer.id}/${p.customer.currency}`) ?? 0n }));
    const slug = slugs.get(p.customer.instanceId);
    if (slug === undefined) throw new Error(`instance ${p.customer.instanceId} of customer ${p.customer.id} not found`);
    const id = newId('invoice', now);
    return { p, final, prefix: invoicePrefix(slug), id, draftRow: baseRow(id, p, collection, withoutBalance(final), now) };
  });

  const event = (type: string, row: InvoiceRow, extra: Record<string, unknown> = {}): EventInput => ({
    type,
    instanceId: row.instanceId,
    customerId: row.customerId,
    objectId: row.id,
    data: { ...invoiceSnapshot(row), ...extra },
  });
  // Everything that needs no invoice number is built (and what can be, written) before the numbers are
  // taken: from then on every other finalization of the prefix waits on its counter until we commit.
  await recordEvents(
    ctx,
    planned.map((x) => event('invoice.created', x.draftRow)),
  );
  const lines = bulkInsertStatement(
    invoiceLines,
    planned.flatMap((x) => x.final.lines.map((l, i) => lineValues(x.id, i, l, now))),
  );

  const numbers = new Map<string, string[]>();
  for (const prefix of new Set(planned.map((x) => x.prefix))) {
    numbers.set(prefix, await takeInvoiceNumbers(ctx.db, prefix, planned.filter((x) => x.prefix === prefix).length));
  }
  const rows = planned.map((x): InvoiceRow => {
    const number = numbers.get(x.prefix)?.shift();
    if (!number) throw new Error('invoice numbers ran out within a batch');
    return { ...x.draftRow, ...finalizedFields(x.final, number, now, 'charge_automatically', null, null) };
  });
  await bulkInsert(ctx.db, invoices, rows);
  if (lines) await ctx.db.execute(lines);

  for (const [i, x] of planned.entries()) {
    if (x.final.appliedBalance === 0n) continue;
    await addBalanceTransaction(ctx, {
      customerId: x.p.customer.id,
      amount: -x.final.appliedBalance,
      currency: x.p.customer.currency,
      type: 'applied_to_invoice',
      invoiceId: x.id,
      description: `Applied to invoice ${(rows[i] as InvoiceRow).number ?? x.id}`,
    });
  }
  await recordEvents(
    ctx,
    rows.flatMap((row) => [event('invoice.finalized', row), ...(row.status === 'paid' ? [event('invoice.paid', row, { paid_out_of_band: false, reason: 'nothing_due' })] : [])]),
  );
  // Customers at the provider (R16) get each new invoice mirrored there, as finalizeInvoice does it.
  await enqueueJobs(
    ctx,
    planned.filter((x) => x.p.customer.providerCustomerId).map((x) => providerPushJob(x.id, 'finalized')),
  );
  return planned.map((x) => x.id);
}

/** The invoice as its draft would have been: totals without the balance, no number, status draft. */
function baseRow(id: string, p: PeriodInvoice, collection: ReturnType<typeof collectionSettings>, draft: InvoiceTotals, now: Date): InvoiceRow {
  return {
    id,
    instanceId: p.customer.instanceId,
    customerId: p.customer.id,
    subscriptionId: p.subscriptionId,
    number: null,
    status: 'draft',
    collectionMethod: collection.collectionMethod,
    paymentMethodTypes: collection.paymentMethodTypes,
    currency: p.customer.currency,
    periodStart: p.periodStart,
    periodEnd: p.periodEnd,
    ...totalsValues(draft),
    amountPaid: 0n,
    couponId: p.discount?.couponId ?? null,
    discount: encodeDiscount(p.discount),
    daysUntilDue: collection.daysUntilDue,
    dueDate: collection.dueDate,
    memo: null,
    footer: null,
    metadata: p.metadata,
    providerInvoiceId: null,
    createdAt: now,
    finalizedAt: null,
    paidAt: null,
    paymentReference: null,
    voidedAt: null,
    markedUncollectibleAt: null,
    sentAt: null,
  };
}
