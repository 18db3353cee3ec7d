/**
 * "Sync with the provider" (R22) for chosen customers: compares Tally and the provider, fixes at once what Tally
 * owns — the customer's details and metadata, the invoices the provider is missing or holds as unchecked
 * drafts — and reports everything else as drift for staff to decide (a provider-side balance, an invoice the
 * provider says is paid while Tally has it open, an invoice Tally does not know). Audited per customer.
 */
import { minorToJson } from '../../core/money/index.js';
import { conflict } from '../../shared/errors.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { getInvoice, invoiceLabel, listInvoices, type Invoice } from '../invoices/index.js';
import { providerCustomerInput, pushInvoiceToProvider } from './push.js';
import { META, customerMetadata } from './stripe/stripe-provider.js';
import type { PaymentProvider, ProviderCustomer, ProviderCustomerInput } from './types.js';

type Value = string | number | boolean | null | Record<string, unknown> | unknown[];

export interface DriftItem {
  readonly customer: string;
  readonly field: string;
  readonly tally: Value;
  readonly provider: Value;
}

export interface SyncReport {
  readonly provider: string;
  /** Differences Tally fixed at the provider (Tally owns these). */
  readonly fixed: DriftItem[];
  /** Differences left for staff: the provider owns them, or fixing them would move money. */
  readonly drift: DriftItem[];
}

const norm = (v: unknown): string => JSON.stringify(v ?? null);

function customerFields(input: ProviderCustomerInput, remote: ProviderCustomer): { field: string; tally: Value; provider: Value }[] {
  const wantedMeta = customerMetadata(input);
  const fields: { field: string; tally: Value; provider: Value }[] = [
    { field: 'name', tally: input.name, provider: remote.name },
    { field: 'email', tally: input.email, provider: remote.email },
    { field: 'address', tally: (input.address ?? null) as Value, provider: (remote.address ?? null) as Value },
    { field: 'tax_ids', tally: input.taxIds.map((t) => ({ ...t })), provider: remote.taxIds.map((t) => ({ ...t })) },
    ...Object.entries(wantedMeta).map(([k, v]) => ({ field: `metadata.${k}`, tally: v, provider: remote.metadata[k] ?? null })),
  ];
  return fields.filter((f) => norm(f.tally) !== norm(f.provider));
}

async function openInvoices(ctx: ServiceContext, customerId: string): Promise<Invoice[]> {
  const out: Invoice[] = [];
  for (const status of ['open', 'uncollectible'] as const) out.push(...(await listInvoices(ctx, { customerId, status, limit: 100 })).data);
  return out;
}

async function syncOne(ctx: ServiceContext, provider: PaymentProvider, customerId: string, report: SyncReport): Promise<void> {
  const customer = await getCustomer(ctx, customerId);
  const fixed = (field: string, tally: Value, prov: Value) => report.fixed.push({ customer: customerId, field, tally, provider: prov });
  const drift = (field: string, tally: Value, prov: Value) => report.drift.push({ customer: customerId, field, tally, provider: prov });
  if (!customer.providerCustomerId) {
    // R16: nobody set up billing yet; creating the customer here would be exactly what R16 forbids.
    drift('provider_customer_id', null, null);
    return;
  }
  const remote = await provider.readCustomer(customer.providerCustomerId);
  if (!remote || remote.deleted) {
    drift('provider_customer_id', customer.providerCustomerId, 'deleted');
    return;
  }
  const input = await providerCustomerInput(ctx, customer);
  const differing = customerFields(input, remote);
  if (differing.length > 0) {
    await provider.ensureCustomer(input);
    for (const d of differing) fixed(d.field, d.tally, d.provider);
  }
  if (remote.balance !== 0n) drift('balance', 0, minorToJson(remote.balance));

  const known = new Set<string>();
  for (const inv of await openInvoices(ctx, customerId)) {
    const label = `invoice ${invoiceLabel(inv)}`;
    const before = inv.providerInvoiceId ? await provider.readPaymentStatus(inv.providerInvoiceId) : null;
    if (!before || before.status === 'draft') {
      const outcome = await pushInvoiceToProvider(ctx, provider, inv.id);
      if (outcome.outcome === 'in_step') {
        known.add(outcome.providerInvoiceId);
        fixed(label, { status: inv.status, amount_due: minorToJson(inv.amountDue) }, before ? { status: 'draft', total: minorToJson(before.total) } : null);
      } else if (outcome.outcome === 'mismatch') {
        known.add(outcome.providerInvoiceId);
        drift(label, { amount_due: minorToJson(inv.amountDue) }, { provider_invoice_id: outcome.providerInvoiceId, reasons: outcome.reasons });
      }
      continue;
    }
    known.add(before.id);
    if (before.status !== inv.status) drift(`${label}.status`, inv.status, before.status);
    if (before.amountDue !== inv.amountDue) drift(`${label}.amount_due`, minorToJson(inv.amountDue), minorToJson(before.amountDue));
  }
  for (const theirs of await provider.listOpenInvoices(customer.providerCustomerId)) {
    if (known.has(theirs.id)) continue;
    const tallyId = theirs.metadata[META.invoice] ?? null;
    if (tallyId && (await isClosedInTally(ctx, tallyId, theirs.id))) {
      drift(`invoice ${tallyId}.status`, 'closed in Tally', theirs.status);
      continue;
    }
    drift(`provider invoice ${theirs.id}`, tallyId, { status: theirs.status, total: minorToJson(theirs.total) });
  }
}

async function isClosedInTally(ctx: ServiceContext, tallyId: string, providerId: string): Promise<boolean> {
  try {
    const inv = await getInvoice(ctx, tallyId);
    return inv.providerInvoiceId === providerId;
  } catch {
    return false;
  }
}

export async function syncCustomers(ctx: ServiceContext, provider: PaymentProvider, customerIds: readonly string[], why: Justification = {}): Promise<SyncReport> {
  if (provider.name === 'manual') throw conflict('provider_manual', 'No payment provider is configured (STRIPE_SECRET_KEY): with the manual provider there is nothing to sync.', 'provider');
  const report: SyncReport = { provider: provider.name, fixed: [], drift: [] };
  for (const id of [...new Set(customerIds)]) {
    await getCustomer(ctx, id); // unknown IDs fail before anything is touched for them
    const mark = { fixed: report.fixed.length, drift: report.drift.length };
    await syncOne(ctx, provider, id, report);
    await recordAudit(ctx, {
      action: 'provider.sync',
      targetType: 'customer',
      targetId: id,
      customerId: id,
      after: { fixed: report.fixed.slice(mark.fixed), drift: report.drift.slice(mark.drift) },
      reason: why.reason?.trim() || (why.ticket?.trim() ? null : 'sync with the payment provider'),
      ticket: why.ticket ?? null,
    });
  }
  return report;
}
