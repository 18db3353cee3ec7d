/**
 * Pushing a finalized Tally invoice to the provider and keeping the provider's copy in step with it. Tally
 * computes; the provider collects exactly Tally's amount due or nothing: the draft is compared line for line
 * and in total with Tally's before it is finalized, and a mismatch stops the push with an alert for staff
 * (event `provider.invoice_mismatch` and an audit row) — never a silent charge of another amount.
 */
import { and, eq, sql } from 'drizzle-orm';
import { minorToJson } from '../../core/money/index.js';
import { TallyError } from '../../shared/errors.js';
import { events } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit } from '../audit/record-audit.js';
import { withDb, type ServiceContext } from '../context.js';
import { getCustomer, type Customer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { getInstance } from '../instances/instances.js';
import { getInvoice, invoiceLabel, linkProviderInvoice, type Invoice, type InvoiceLine } from '../invoices/index.js';
import type { InvoiceMirror, MirrorLine, PaymentProvider, ProviderCustomerInput, ProviderInvoice, ProviderInvoiceRef } from './types.js';

export const MISMATCH_EVENT = 'provider.invoice_mismatch';

/** The customer as the provider is told about it. */
export async function providerCustomerInput(ctx: ServiceContext, c: Customer): Promise<ProviderCustomerInput> {
  const instance = await getInstance(ctx, c.instanceId);
  return {
    tallyCustomerId: c.id,
    instanceSlug: instance.slug,
    externalId: c.externalId,
    providerCustomerId: c.providerCustomerId,
    name: c.name,
    email: c.billingEmail,
    address: c.address,
    taxIds: c.taxIds,
    currency: c.currency,
  };
}

/** Whole units × unit price shows the line as the customer reads it; anything else goes as its amount. */
function mirrorLine(l: InvoiceLine): MirrorLine {
  const simple = l.unitAmount !== null && (l.flatAmount === null || l.flatAmount.isZero()) && l.quantity.isInteger() && !l.quantity.isNegative();
  return {
    key: l.id,
    description: l.description,
    amount: l.amount,
    quantity: simple ? l.quantity.toInteger() : null,
    unitAmountDecimal: simple && l.unitAmount ? l.unitAmount.toString() : null,
    period: l.period,
  };
}

/** Tally's invoice as the provider should hold it: its lines, then the discount and the applied balance as lines. */
export function invoiceMirror(inv: Invoice, providerCustomerId: string): InvoiceMirror {
  const lines = inv.lines.map(mirrorLine);
  if (inv.discountTotal !== 0n) {
    lines.push({ key: 'discount', description: inv.discount?.name ? `Discount: ${inv.discount.name}` : 'Discount', amount: -inv.discountTotal, quantity: null, unitAmountDecimal: null, period: null });
  }
  if (inv.appliedBalance !== 0n) {
    const description = inv.appliedBalance < 0n ? 'Credit applied from account balance' : 'Balance carried from earlier invoices';
    lines.push({ key: 'balance', description, amount: inv.appliedBalance, quantity: null, unitAmountDecimal: null, period: null });
  }
  return {
    tallyInvoiceId: inv.id,
    number: inv.number,
    providerCustomerId,
    currency: inv.currency,
    lines,
    expectedTotal: inv.amountDue,
    collectionMethod: inv.collectionMethod,
    daysUntilDue: inv.daysUntilDue,
    dueDate: inv.dueDate,
    paymentMethodTypes: inv.paymentMethodTypes,
    memo: inv.memo,
    footer: inv.footer,
    metadata: inv.metadata,
  };
}

/** Every way the provider's draft differs from what Tally would have it charge; empty when they agree. */
export function mismatchOf(m: InvoiceMirror, remote: ProviderInvoice, providerBalance: bigint): string[] {
  const out: string[] = [];
  const byKey = new Map(remote.lines.map((l) => [l.key, l.amount]));
  if (remote.lines.length !== m.lines.length) out.push(`the provider has ${remote.lines.length} line(s), Tally ${m.lines.length}`);
  for (const l of m.lines) {
    const theirs = byKey.get(l.key);
    if (theirs === undefined) out.push(`line ${l.key} (${l.description}) is missing at the provider`);
    else if (theirs !== l.amount) out.push(`line ${l.key} (${l.description}): provider ${theirs}, Tally ${l.amount}`);
  }
  if (remote.total !== m.expectedTotal) out.push(`total: provider ${remote.total}, Tally ${m.expectedTotal}`);
  // Tally keeps the only balance; a provider-side one would be applied on top at finalization.
  if (providerBalance !== 0n) out.push(`the provider customer has a balance of ${providerBalance}, which it would apply on top of Tally's`);
  return out;
}

/** Records the mismatch once per distinct provider total, as an event and as an audit row staff see. */
async function raiseMismatch(ctx: ServiceContext, inv: Invoice, m: InvoiceMirror, remote: ProviderInvoice, reasons: string[]): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const [seen] = await tx
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.type, MISMATCH_EVENT), eq(events.objectId, inv.id), sql`${events.data}->>'reasons_digest' = ${reasons.join('|')}`));
    if (seen) return;
    const data = {
      provider_invoice_id: remote.id,
      tally_amount_due: minorToJson(m.expectedTotal),
      provider_total: minorToJson(remote.total),
      reasons,
      reasons_digest: reasons.join('|'),
    };
    await recordEvent(c, { type: MISMATCH_EVENT, instanceId: inv.instanceId, customerId: inv.customerId, objectId: inv.id, data });
    await recordAudit(c, {
      action: MISMATCH_EVENT,
      targetType: 'invoice',
      targetId: inv.id,
      customerId: inv.customerId,
      before: { amount_due: minorToJson(m.expectedTotal), lines: m.lines.map((l) => ({ key: l.key, amount: minorToJson(l.amount) })) },
      after: { provider_invoice_id: remote.id, total: minorToJson(remote.total), lines: remote.lines.map((l) => ({ key: l.key, amount: minorToJson(l.amount) })) },
      reason: `Invoice ${invoiceLabel(inv)} was not finalized at the provider: ${reasons.join('; ')}.`,
    });
  });
}

export type PushOutcome =
  | { outcome: 'skipped'; why: 'draft' | 'no_provider_customer' | 'manual_provider' | 'void_never_pushed' }
  | { outcome: 'mismatch'; providerInvoiceId: string; reasons: string[] }
  | { outcome: 'in_step'; providerInvoiceId: string; providerStatus: ProviderInvoice['status'] };

/**
 * Makes the provider's copy of a finalized invoice match Tally's: mirror it (idempotent), compare, finalize,
 * then follow Tally's own transitions (void, paid outside the provider, uncollectible, sent). Safe to rerun at
 * any point: every call finds what earlier ones created.
 */
export async function pushInvoiceToProvider(ctx: ServiceContext, provider: PaymentProvider, invoiceId: string): Promise<PushOutcome> {
  const inv = await getInvoice(ctx, invoiceId);
  if (inv.status === 'draft') return { outcome: 'skipped', why: 'draft' };
  const customer = await getCustomer(ctx, inv.customerId);
  if (!customer.providerCustomerId) return { outcome: 'skipped', why: 'no_provider_customer' };
  if (inv.status === 'void' && inv.providerInvoiceId === null) return { outcome: 'skipped', why: 'void_never_pushed' };

  const mirror = invoiceMirror(inv, customer.providerCustomerId);
  let remote = await provider.pushInvoice(mirror, { known: inv.providerInvoiceId, remember: (id) => linkProviderInvoice(ctx, inv.id, id) });
  if (remote === null) return { outcome: 'skipped', why: 'manual_provider' };
  const ref: ProviderInvoiceRef = { tallyInvoiceId: inv.id, providerInvoiceId: remote.id };

  if (remote.status === 'draft') {
    const balance = (await provider.readCustomer(customer.providerCustomerId))?.balance ?? 0n;
    const reasons = mismatchOf(mirror, remote, balance);
    if (reasons.length > 0) {
      await raiseMismatch(ctx, inv, mirror, remote, reasons);
      // Voiding in Tally is how staff settle a mismatch; the never-issued draft goes away with it.
      if (inv.status === 'void') await provider.void(ref);
      return { outcome: 'mismatch', providerInvoiceId: remote.id, reasons };
    }
    if (inv.status === 'void') {
      await provider.void(ref);
      return { outcome: 'in_step', providerInvoiceId: remote.id, providerStatus: 'void' };
    }
    remote = await provider.finalize(ref, { charge: inv.collectionMethod === 'charge_automatically' && inv.status === 'open' });
  }

  const live = remote.status === 'open' || remote.status === 'uncollectible';
  let status = remote.status;
  if (inv.status === 'void' && live) {
    await provider.void(ref);
    status = 'void';
  } else if (inv.status === 'paid' && live) {
    await provider.markPaidOutOfBand(ref);
    status = 'paid';
  } else if (inv.status === 'uncollectible' && remote.status === 'open') {
    await provider.markUncollectible(ref);
    status = 'uncollectible';
  } else if (inv.status === 'open' && inv.collectionMethod === 'send_invoice' && inv.sentAt && remote.status === 'open') {
    await provider.send(ref, String(inv.sentAt.getTime()));
  }
  return { outcome: 'in_step', providerInvoiceId: remote.id, providerStatus: status };
}

/**
 * Emails a sent send_invoice invoice through the provider. Until the invoice is open there, the push has not
 * finished: this fails so the job retries (the push sends it too when it sees `sentAt`; the shared key makes
 * the two sends one).
 */
export async function sendInvoiceAtProvider(ctx: ServiceContext, provider: PaymentProvider, invoiceId: string, sentAt: string): Promise<void> {
  const inv = await getInvoice(ctx, invoiceId);
  const customer = await getCustomer(ctx, inv.customerId);
  if (!customer.providerCustomerId || provider.name === 'manual' || inv.status !== 'open') return;
  const remote = inv.providerInvoiceId ? await provider.readPaymentStatus(inv.providerInvoiceId) : null;
  if (!remote || remote.status === 'draft') {
    throw new TallyError('unavailable', 'provider_invoice_not_ready', `Invoice ${invoiceLabel(inv)} is not open at the provider yet; sending it once the push has finished.`);
  }
  if (remote.status !== 'open') return;
  await provider.send({ tallyInvoiceId: inv.id, providerInvoiceId: remote.id }, String(new Date(sentAt).getTime()));
}
