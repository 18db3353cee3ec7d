/**
 * Stripe as Tally's payment provider. Tally's invoice is mirrored as a Stripe draft — created first (so no
 * stray pending item can join it), then one invoice item per Tally line, then the discount and the applied
 * balance as negative items — and read back for comparison before anything is finalized. Every POST has an
 * idempotency key made of Tally IDs (`tally:<invoice>:item:<line>`), and a rerun looks for what a crashed run
 * already created (the stored ID, or the invoice's and lines' `tally_*` metadata), so nothing is created twice.
 */
import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import type { Clock } from '../../../shared/clock.js';
import type { Address, TaxId } from '../../customers/customers.js';
import type {
  BillingSetupLink,
  InvoiceMirror,
  MirrorLine,
  PaymentProvider,
  ProviderCustomer,
  ProviderCustomerInput,
  ProviderInvoice,
  ProviderInvoiceRef,
  ProviderInvoiceStatus,
  PushHooks,
} from '../types.js';
import { StripeClient, type StripeClientOptions } from './client.js';

const DAY_MS = 86_400_000;
/** Metadata keys Tally puts on Stripe objects, so both sides can find each other. */
export const META = { customer: 'tally_customer_id', instance: 'instance', externalId: 'external_id', invoice: 'tally_invoice_id', number: 'tally_invoice_number', line: 'tally_line' } as const;

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);
const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);

export function customerMetadata(c: ProviderCustomerInput): Record<string, string> {
  return { [META.customer]: c.tallyCustomerId, [META.instance]: c.instanceSlug, [META.externalId]: c.externalId };
}

function toStripeAddress(a: Address | null): Stripe.AddressParam | '' {
  if (!a) return '';
  const out: Stripe.AddressParam = {};
  for (const k of ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const) {
    const v = a[k];
    if (v) out[k] = v;
  }
  return out;
}

export function fromStripeAddress(a: Stripe.Address | null | undefined): Address | null {
  if (!a) return null;
  const out: Address = {};
  for (const k of ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const) {
    const v = a[k];
    if (v) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A short stable digest, for keys of requests whose content (not just their target) makes them distinct. */
const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

const STATUSES: readonly ProviderInvoiceStatus[] = ['draft', 'open', 'paid', 'void', 'uncollectible'];

function toProviderInvoice(inv: Stripe.Invoice, lines: readonly Stripe.InvoiceLineItem[]): ProviderInvoice {
  return {
    id: inv.id,
    status: STATUSES.find((st) => st === inv.status) ?? 'draft',
    total: BigInt(inv.total),
    amountDue: BigInt(inv.amount_due),
    amountPaid: BigInt(inv.amount_paid),
    lines: lines.map((l) => ({ key: l.metadata?.[META.line] ?? null, amount: BigInt(l.amount) })),
    paidAt: inv.status_transitions?.paid_at ? new Date(inv.status_transitions.paid_at * 1000) : null,
    hostedUrl: inv.hosted_invoice_url ?? null,
    metadata: { ...(inv.metadata ?? {}) },
  };
}

/** The item for one Tally line: quantity × unit price when they are whole units, else the line's amount. */
function itemParams(m: InvoiceMirror, invoiceId: string, line: MirrorLine): Stripe.InvoiceItemCreateParams {
  const pricing: Pick<Stripe.InvoiceItemCreateParams, 'amount' | 'quantity' | 'unit_amount_decimal'> =
    line.quantity !== null && line.unitAmountDecimal !== null
      ? { quantity: Number(line.quantity), unit_amount_decimal: Stripe.Decimal.from(line.unitAmountDecimal) }
      : { amount: Number(line.amount) };
  return {
    customer: m.providerCustomerId,
    invoice: invoiceId,
    description: line.description,
    discountable: false,
    ...pricing,
    ...(line.period ? { period: { start: unix(line.period.start), end: unix(line.period.end) } } : {}),
    metadata: { [META.invoice]: m.tallyInvoiceId, [META.line]: line.key },
  };
}

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  readonly client: StripeClient;

  constructor(
    options: StripeClientOptions,
    private readonly clock: Clock,
  ) {
    this.client = new StripeClient(options);
  }

  private get stripe(): Stripe {
    return this.client.stripe;
  }

  // ── customers ───────────────────────────────────────────────────────────────────────────────────────

  async ensureCustomer(c: ProviderCustomerInput): Promise<string> {
    const details = { name: c.name ?? '', email: c.email ?? '', address: toStripeAddress(c.address), metadata: customerMetadata(c) };
    const id = c.providerCustomerId;
    if (id === null) {
      const params: Stripe.CustomerCreateParams = {
        ...details,
        tax_id_data: c.taxIds.map((t) => ({ type: t.type as Stripe.CustomerCreateParams.TaxIdDatum.Type, value: t.value })),
      };
      const created = await this.client.call('POST /v1/customers', `tally:${c.tallyCustomerId}:customer`, (o) => this.stripe.customers.create(params, o));
      return created.id;
    }
    const update: Stripe.CustomerUpdateParams = details;
    await this.client.call('POST /v1/customers/:id', `tally:${c.tallyCustomerId}:customer-update:${digest(update)}`, (o) => this.stripe.customers.update(id, update, o));
    await this.syncTaxIds(c.tallyCustomerId, id, c.taxIds);
    return id;
  }

  /** Makes the customer's tax IDs at Stripe exactly Tally's: creates the missing ones, deletes the rest. */
  private async syncTaxIds(tallyCustomerId: string, customerId: string, wanted: readonly TaxId[]): Promise<void> {
    const present = await this.client.call('GET /v1/customers/:id/tax_ids', null, () => this.stripe.customers.listTaxIds(customerId).autoPagingToArray({ limit: 100 }));
    const key = (t: { type: string; value: string }) => `${t.type}:${t.value}`;
    const wantedKeys = new Set(wanted.map(key));
    for (const t of present) {
      if (!wantedKeys.has(key(t))) await this.client.call('DELETE /v1/customers/:id/tax_ids/:id', null, (o) => this.stripe.customers.deleteTaxId(customerId, t.id, {}, o));
    }
    const presentKeys = new Set(present.map(key));
    for (const t of wanted) {
      if (presentKeys.has(key(t))) continue;
      const params: Stripe.CustomerCreateTaxIdParams = { type: t.type as Stripe.CustomerCreateTaxIdParams.Type, value: t.value };
      await this.client.call('POST /v1/customers/:id/tax_ids', `tally:${tallyCustomerId}:tax_id:${key(t)}`, (o) => this.stripe.customers.createTaxId(customerId, params, o));
    }
  }

  async readCustomer(id: string): Promise<ProviderCustomer> {
    const params: Stripe.CustomerRetrieveParams = { expand: ['tax_ids'] };
    const c = await this.client.call('GET /v1/customers/:id', null, (o) => this.stripe.customers.retrieve(id, params, o));
    if (c.deleted) return { id, deleted: true, name: null, email: null, address: null, taxIds: [], metadata: {}, balance: 0n, hasPaymentMethod: false };
    return {
      id: c.id,
      deleted: false,
      name: c.name ?? null,
      email: c.email,
      address: fromStripeAddress(c.address),
      taxIds: (c.tax_ids?.data ?? []).map((t) => ({ type: t.type, value: t.value })),
      metadata: { ...c.metadata },
      balance: BigInt(c.balance),
      hasPaymentMethod: idOf(c.invoice_settings.default_payment_method) !== null || idOf(c.default_source) !== null,
    };
  }

  /**
   * A customer not yet at Stripe gets a Checkout Session in setup mode that creates the Stripe customer when it
   * completes (R16: not before); `checkout.session.completed` then links it to Tally by `client_reference_id`.
   * A customer already at Stripe gets a billing portal session to change payment methods and billing details.
   */
  async billingSetupLink(c: ProviderCustomerInput, returnUrl: string): Promise<BillingSetupLink> {
    // One session per request moment and content: a retry replays it, a different request gets its own.
    const requestKey = (params: object) => `tally:${c.tallyCustomerId}:billing-setup:${this.clock.now().getTime()}:${digest(params)}`;
    if (c.providerCustomerId !== null) {
      const params: Stripe.BillingPortal.SessionCreateParams = { customer: c.providerCustomerId, return_url: returnUrl };
      const session = await this.client.call('POST /v1/billing_portal/sessions', requestKey(params), (o) => this.stripe.billingPortal.sessions.create(params, o));
      // A portal session has no expiry on the object; Stripe lets its URL be used once, shortly after creation.
      return { url: session.url, provider: 'stripe', expiresAt: null };
    }
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'setup',
      currency: c.currency.toLowerCase(),
      customer_creation: 'always',
      ...(c.email ? { customer_email: c.email } : {}),
      client_reference_id: c.tallyCustomerId,
      metadata: customerMetadata(c),
      setup_intent_data: { metadata: customerMetadata(c) },
      success_url: returnUrl,
      cancel_url: returnUrl,
    };
    const session = await this.client.call('POST /v1/checkout/sessions', requestKey(params), (o) => this.stripe.checkout.sessions.create(params, o));
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
    return { url: session.url, provider: 'stripe', expiresAt: new Date(session.expires_at * 1000) };
  }

  // ── invoices ────────────────────────────────────────────────────────────────────────────────────────

  private async lines(invoiceId: string): Promise<Stripe.InvoiceLineItem[]> {
    return this.client.call('GET /v1/invoices/:id/lines', null, () => this.stripe.invoices.listLineItems(invoiceId, { limit: 100 }).autoPagingToArray({ limit: 10_000 }));
  }

  private async read(invoiceId: string): Promise<ProviderInvoice> {
    const inv = await this.client.call('GET /v1/invoices/:id', null, (o) => this.stripe.invoices.retrieve(invoiceId, {}, o));
    return toProviderInvoice(inv, await this.lines(invoiceId));
  }

  /** The invoice a crashed run created but could not record: found by its `tally_invoice_id` metadata. */
  private async findByMetadata(m: InvoiceMirror): Promise<Stripe.Invoice | null> {
    const params: Stripe.InvoiceListParams = { customer: m.providerCustomerId, limit: 100 };
    const recent = await this.client.call('GET /v1/invoices', null, (o) => this.stripe.invoices.list(params, o));
    return recent.data.find((i) => i.metadata?.[META.invoice] === m.tallyInvoiceId) ?? null;
  }

  /**
   * Net terms as Stripe counts them (from its finalization) when the push follows Tally's finalization;
   * Tally's fixed due date when it is given, or when the push comes later (billing set up days afterwards).
   */
  private dueTerms(m: InvoiceMirror): Pick<Stripe.InvoiceCreateParams, 'days_until_due' | 'due_date'> {
    if (m.collectionMethod !== 'send_invoice') return {};
    const now = this.clock.now().getTime();
    if (m.daysUntilDue !== null && (m.dueDate === null || m.dueDate.getTime() - now > (m.daysUntilDue - 1) * DAY_MS)) return { days_until_due: m.daysUntilDue };
    if (m.dueDate !== null) return { due_date: unix(m.dueDate) };
    return { days_until_due: 30 };
  }

  async pushInvoice(m: InvoiceMirror, hooks: PushHooks): Promise<ProviderInvoice> {
    let invoice = hooks.known !== null ? await this.client.call('GET /v1/invoices/:id', null, (o) => this.stripe.invoices.retrieve(hooks.known as string, {}, o)) : await this.findByMetadata(m);
    if (invoice === null) {
      const params: Stripe.InvoiceCreateParams = {
        customer: m.providerCustomerId,
        currency: m.currency.toLowerCase(),
        collection_method: m.collectionMethod,
        // Tally finalizes it once the totals are checked; Stripe must not do so on its own an hour from now.
        auto_advance: false,
        pending_invoice_items_behavior: 'exclude',
        ...this.dueTerms(m),
        payment_settings: { payment_method_types: [...m.paymentMethodTypes] },
        ...(m.memo ? { description: m.memo } : {}),
        ...(m.footer ? { footer: m.footer } : {}),
        metadata: { ...m.metadata, [META.invoice]: m.tallyInvoiceId, ...(m.number ? { [META.number]: m.number } : {}) },
      };
      invoice = await this.client.call('POST /v1/invoices', `tally:${m.tallyInvoiceId}:invoice`, (o) => this.stripe.invoices.create(params, o));
    }
    const invoiceId = invoice.id;
    if (hooks.known !== invoiceId) await hooks.remember(invoiceId);
    if (invoice.status === 'draft') {
      const present = new Set((await this.lines(invoiceId)).map((l) => l.metadata?.[META.line]));
      for (const line of m.lines) {
        if (present.has(line.key)) continue;
        const params = itemParams(m, invoiceId, line);
        await this.client.call('POST /v1/invoiceitems', `tally:${m.tallyInvoiceId}:item:${line.key}`, (o) => this.stripe.invoiceItems.create(params, o));
      }
    }
    return this.read(invoiceId);
  }

  async finalize(ref: ProviderInvoiceRef, options: { charge: boolean }): Promise<ProviderInvoice> {
    const params: Stripe.InvoiceFinalizeInvoiceParams = { auto_advance: options.charge };
    await this.client.call('POST /v1/invoices/:id/finalize', `tally:${ref.tallyInvoiceId}:finalize`, (o) => this.stripe.invoices.finalizeInvoice(ref.providerInvoiceId, params, o));
    return this.read(ref.providerInvoiceId);
  }

  async send(ref: ProviderInvoiceRef, key: string): Promise<void> {
    await this.client.call('POST /v1/invoices/:id/send', `tally:${ref.tallyInvoiceId}:send:${key}`, (o) => this.stripe.invoices.sendInvoice(ref.providerInvoiceId, {}, o));
  }

  async void(ref: ProviderInvoiceRef): Promise<void> {
    const current = await this.read(ref.providerInvoiceId);
    if (current.status === 'draft') {
      await this.client.call('DELETE /v1/invoices/:id', null, (o) => this.stripe.invoices.del(ref.providerInvoiceId, {}, o));
      return;
    }
    await this.client.call('POST /v1/invoices/:id/void', `tally:${ref.tallyInvoiceId}:void`, (o) => this.stripe.invoices.voidInvoice(ref.providerInvoiceId, {}, o));
  }

  async markPaidOutOfBand(ref: ProviderInvoiceRef): Promise<void> {
    const params: Stripe.InvoicePayParams = { paid_out_of_band: true };
    await this.client.call('POST /v1/invoices/:id/pay', `tally:${ref.tallyInvoiceId}:pay`, (o) => this.stripe.invoices.pay(ref.providerInvoiceId, params, o));
  }

  async markUncollectible(ref: ProviderInvoiceRef): Promise<void> {
    await this.client.call('POST /v1/invoices/:id/mark_uncollectible', `tally:${ref.tallyInvoiceId}:uncollectible`, (o) => this.stripe.invoices.markUncollectible(ref.providerInvoiceId, {}, o));
  }

  async readPaymentStatus(providerInvoiceId: string): Promise<ProviderInvoice> {
    return this.read(providerInvoiceId);
  }

  async listOpenInvoices(providerCustomerId: string): Promise<ProviderInvoice[]> {
    const out: ProviderInvoice[] = [];
    for (const status of ['draft', 'open'] as const) {
      const params: Stripe.InvoiceListParams = { customer: providerCustomerId, status, limit: 100 };
      const page = await this.client.call('GET /v1/invoices', null, () => this.stripe.invoices.list(params).autoPagingToArray({ limit: 1000 }));
      for (const inv of page) out.push(toProviderInvoice(inv, await this.lines(inv.id)));
    }
    return out;
  }
}
