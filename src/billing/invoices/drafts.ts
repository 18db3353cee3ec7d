import { and, eq, max } from 'drizzle-orm';
import type { Catalog } from '../../core/catalog/index.js';
import type { DateRange } from '../../core/invoicing/index.js';
import { invalid, conflict, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { invoiceLines, invoices } from '../../store/schema.js';
import { inTransaction, isUniqueViolation } from '../../store/transaction.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import {
  auditIfStaff,
  checkDiscount,
  collectionSettings,
  draftTotals,
  lineValues,
  loadInvoice,
  lockInvoiceRow,
  requireStatus,
  retotalDraft,
  totalsValues,
  type CollectionInput,
} from './internal.js';
import { isDraftLine, isPriceLine, resolveLines, type LineInput } from './manual-lines.js';
import { decodeDiscount, encodeDiscount, invoiceSnapshot, type CollectionMethod, type Invoice, type InvoiceDiscount, type InvoiceRow, type PaymentMethodType } from './model.js';

export interface CreateDraftInvoiceInput {
  readonly customerId: string;
  /** Set by period close; with `periodStart` it is unique, so a period is invoiced once. */
  readonly subscriptionId?: string | null;
  readonly periodStart?: Date | null;
  readonly periodEnd?: Date | null;
  /** Default `charge_automatically`, as at the provider; manual invoices pass `send_invoice`. */
  readonly collectionMethod?: CollectionMethod;
  /** send_invoice only; default 30 (R23) unless `dueDate` is given. */
  readonly daysUntilDue?: number | null;
  readonly dueDate?: Date | null;
  /** Default ['card'] for charge_automatically, ['card', 'us_bank_account'] for send_invoice (R18). */
  readonly paymentMethodTypes?: readonly PaymentMethodType[] | null;
  readonly memo?: string | null;
  readonly footer?: string | null;
  readonly metadata?: Record<string, string>;
  readonly lines: readonly LineInput[];
  /** The coupon to total with (the coupons feature supplies it); `couponId` is kept on the invoice. */
  readonly discount?: InvoiceDiscount | null;
}

function checkText(value: string | null | undefined, param: string, maxLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid('invalid_text', `${param} must be a string.`, param);
  if (value.length > maxLength) throw invalid('text_too_long', `${param} may be at most ${maxLength} characters.`, param);
  return value.trim() === '' ? null : value;
}

function invoicePeriod(start: Date | null | undefined, end: Date | null | undefined): DateRange | null {
  if (!start && !end) return null;
  if (!start || !end) throw invalid('invalid_period', 'Give both period_start and period_end, or neither.', start ? 'period_end' : 'period_start');
  if (Number.isNaN(start.getTime())) throw invalid('invalid_period', 'period_start is not a valid date.', 'period_start');
  if (Number.isNaN(end.getTime()) || end <= start) throw invalid('invalid_period', 'period_end must be a valid date after period_start.', 'period_end');
  return { start, end };
}

const decodeStored = (row: InvoiceRow): InvoiceDiscount | null => decodeDiscount(row.discount);

/** The catalog in force, read only when a line names a catalog price (custom lines need none). */
async function catalogFor(db: Db, lines: readonly LineInput[]): Promise<Catalog | null> {
  return lines.some((l) => !isDraftLine(l) && isPriceLine(l)) ? (await currentCatalogVersion(db)).catalog : null;
}

/**
 * Creates a draft for a customer, in the customer's currency: lines computed elsewhere (period close) or
 * manual ones (R18: catalog prices rated from the current catalog version, or custom amounts), totalled
 * with `totalInvoice` — without the credit balance, which is applied at finalization. Every check runs
 * before anything is written; each error names its field (`lines.1.unit_amount`).
 */
export async function createDraftInvoice(ctx: ServiceContext, input: CreateDraftInvoiceInput, why: Justification = {}): Promise<Invoice> {
  const now = ctx.clock.now();
  const collection = collectionSettings(
    {
      collectionMethod: input.collectionMethod ?? 'charge_automatically',
      daysUntilDue: input.daysUntilDue,
      dueDate: input.dueDate,
      paymentMethodTypes: input.paymentMethodTypes,
    },
    now,
  );
  const period = invoicePeriod(input.periodStart, input.periodEnd);
  const memo = checkText(input.memo, 'memo', 5000);
  const footer = checkText(input.footer, 'footer', 5000);
  checkDiscount(input.discount);
  if (!Array.isArray(input.lines)) throw invalid('lines_required', 'lines must be a list (it may be empty).', 'lines');
  if (input.subscriptionId && !period) throw invalid('period_required', 'A subscription invoice covers a period: give period_start and period_end.', 'period_start');

  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await getCustomer(c, input.customerId);
    const currency = customer.currency;
    const catalog = await catalogFor(tx, input.lines);
    const lines = resolveLines(input.lines, { catalog, currency, invoicePeriod: period, now }, (i) => `lines.${i}.`);
    const discount = input.discount ?? null;
    const totals = draftTotals(lines, discount);
    const id = newId('invoice', now);
    let row: InvoiceRow | undefined;
    try {
      [row] = await tx
        .insert(invoices)
        .values({
          id,
          instanceId: customer.instanceId,
          customerId: customer.id,
          subscriptionId: input.subscriptionId ?? null,
          status: 'draft',
          collectionMethod: collection.collectionMethod,
          paymentMethodTypes: collection.paymentMethodTypes,
          currency,
          periodStart: period?.start ?? null,
          periodEnd: period?.end ?? null,
          ...totalsValues(totals),
          amountPaid: 0n,
          couponId: discount?.couponId ?? null,
          discount: encodeDiscount(discount),
          daysUntilDue: collection.daysUntilDue,
          dueDate: collection.dueDate,
          memo,
          footer,
          metadata: input.metadata ?? {},
          createdAt: now,
        })
        .returning();
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw conflict('invoice_exists', `Subscription ${input.subscriptionId ?? ''} already has an invoice for the period starting ${period?.start.toISOString() ?? ''}.`, 'subscription');
      }
      throw e;
    }
    if (!row) throw new Error('invoice insert returned no row');
    if (totals.lines.length > 0) await tx.insert(invoiceLines).values(totals.lines.map((l, i) => lineValues(id, i, l, now)));
    await recordEvent(c, {
      type: 'invoice.created',
      instanceId: customer.instanceId,
      customerId: customer.id,
      objectId: id,
      data: invoiceSnapshot(row),
    });
    await auditIfStaff(c, 'invoice.create', row, null, invoiceSnapshot(row), why, 'manual invoice drafted');
    return loadInvoice(tx, row);
  });
}

/** Runs `change` on a locked draft, then re-totals it and records `invoice.updated`. */
async function editDraft(
  ctx: ServiceContext,
  invoiceId: string,
  why: Justification,
  action: string,
  change: (c: ServiceContext, row: InvoiceRow) => Promise<{ discount: InvoiceDiscount | null; changed: string[] }>,
): Promise<Invoice> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockInvoiceRow(tx, invoiceId);
    requireStatus(before, ['draft'], 'edit');
    const { discount, changed } = await change(c, before);
    await retotalDraft(tx, before, discount);
    const after = await lockInvoiceRow(tx, invoiceId);
    await recordEvent(c, { type: 'invoice.updated', instanceId: after.instanceId, customerId: after.customerId, objectId: after.id, data: { ...invoiceSnapshot(after), changed } });
    await auditIfStaff(c, action, after, invoiceSnapshot(before), invoiceSnapshot(after), why, 'manual invoice edited');
    return loadInvoice(tx, after);
  });
}

/** Adds a line (or, for a graduated catalog price, one line per tier) at the end of a draft. */
export async function addInvoiceLine(ctx: ServiceContext, invoiceId: string, line: LineInput, why: Justification = {}): Promise<Invoice> {
  return editDraft(ctx, invoiceId, why, 'invoice.add_line', async (c, row) => {
    const catalog = await catalogFor(c.db, [line]);
    const period = row.periodStart && row.periodEnd ? { start: row.periodStart, end: row.periodEnd } : null;
    const lines = resolveLines([line], { catalog, currency: row.currency, invoicePeriod: period, now: c.clock.now() }, () => '');
    const [last] = await c.db.select({ position: max(invoiceLines.position) }).from(invoiceLines).where(eq(invoiceLines.invoiceId, row.id));
    const start = (last?.position ?? -1) + 1;
    const now = c.clock.now();
    // Discount shares are placeholders here: the re-total that follows sets them.
    await c.db.insert(invoiceLines).values(lines.map((l, i) => lineValues(row.id, start + i, { ...l, discountAmount: 0n, amountAfterDiscount: l.amount }, now)));
    return { discount: decodeStored(row), changed: ['lines'] };
  });
}

/** Removes one line from a draft. */
export async function removeInvoiceLine(ctx: ServiceContext, invoiceId: string, lineId: string, why: Justification = {}): Promise<Invoice> {
  return editDraft(ctx, invoiceId, why, 'invoice.remove_line', async (c, row) => {
    const deleted = await c.db
      .delete(invoiceLines)
      .where(and(eq(invoiceLines.id, lineId), eq(invoiceLines.invoiceId, row.id)))
      .returning({ id: invoiceLines.id });
    if (deleted.length === 0) throw notFound(`line on invoice ${row.id}`, lineId, 'line');
    return { discount: decodeStored(row), changed: ['lines'] };
  });
}

export interface UpdateDraftInvoiceInput {
  readonly collectionMethod?: CollectionMethod;
  readonly daysUntilDue?: number | null;
  readonly dueDate?: Date | null;
  readonly paymentMethodTypes?: readonly PaymentMethodType[];
  readonly memo?: string | null;
  readonly footer?: string | null;
  readonly metadata?: Record<string, string>;
  readonly discount?: InvoiceDiscount | null;
}

/**
 * Changes a draft's terms; only the fields given change. Switching the collection method resets the due
 * terms and payment method types to the new method's defaults unless they are given too.
 */
export async function updateDraftInvoice(ctx: ServiceContext, invoiceId: string, patch: UpdateDraftInvoiceInput, why: Justification = {}): Promise<Invoice> {
  const memo = patch.memo === undefined ? undefined : checkText(patch.memo, 'memo', 5000);
  const footer = patch.footer === undefined ? undefined : checkText(patch.footer, 'footer', 5000);
  checkDiscount(patch.discount);
  return editDraft(ctx, invoiceId, why, 'invoice.update', async (c, row) => {
    const methodChanges = patch.collectionMethod !== undefined && patch.collectionMethod !== row.collectionMethod;
    const dueGiven = patch.daysUntilDue !== undefined || patch.dueDate !== undefined;
    const collectionInput: CollectionInput = {
      collectionMethod: patch.collectionMethod ?? row.collectionMethod,
      daysUntilDue: dueGiven ? (patch.daysUntilDue ?? null) : methodChanges ? null : row.daysUntilDue,
      dueDate: dueGiven ? (patch.dueDate ?? null) : methodChanges ? null : row.dueDate,
      paymentMethodTypes: patch.paymentMethodTypes ?? (methodChanges ? null : (row.paymentMethodTypes as PaymentMethodType[])),
    };
    const collection = collectionSettings(collectionInput, c.clock.now());
    const discount = patch.discount === undefined ? decodeStored(row) : patch.discount;
    const set: Partial<typeof invoices.$inferInsert> = { ...collection };
    if (memo !== undefined) set.memo = memo;
    if (footer !== undefined) set.footer = footer;
    if (patch.metadata !== undefined) set.metadata = patch.metadata;
    if (patch.discount !== undefined) {
      set.discount = encodeDiscount(discount);
      set.couponId = discount?.couponId ?? null;
    }
    await c.db.update(invoices).set(set).where(eq(invoices.id, row.id));
    return { discount, changed: Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined) };
  });
}
