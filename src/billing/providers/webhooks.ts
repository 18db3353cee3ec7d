/**
 * Stripe webhooks in: verified with the SDK (`constructEvent`, 300 s tolerance, on Tally's clock), stored once by
 * Stripe's event ID (a redelivery is acknowledged and dropped), and processed by a job so the HTTP answer is
 * fast and a failure is retried. Processing applies an event's effects and marks it processed in one
 * transaction, so each event takes effect once.
 */
import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { minorToJson } from '../../core/money/index.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { invalid } from '../../shared/errors.js';
import { providerWebhookEvents } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit } from '../audit/record-audit.js';
import { withDb, type ServiceContext } from '../context.js';
import { findCustomerByProviderId, getCustomer, updateCustomer, type Customer, type UpdateCustomerInput } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { findInvoiceByProviderId, getInvoice, invoiceLabel, linkProviderInvoice, listInvoices, markInvoicePaid, type Invoice } from '../invoices/index.js';
import { PROCESS_WEBHOOK_JOB, PUSH_INVOICE_JOB } from './job-kinds.js';
import { MISMATCH_EVENT, providerCustomerInput } from './push.js';
import { META } from './stripe/stripe-provider.js';
import type { PaymentProvider, ProviderCustomer } from './types.js';

export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The verified event, or a 400 that says whether the signature or its age was wrong. */
export function verifyStripeWebhook(rawBody: string | Buffer, signature: string | undefined, secret: string, now: Date): Stripe.Event {
  if (!signature) throw invalid('webhook_signature_missing', 'No Stripe-Signature header: webhooks must be signed by Stripe.', 'Stripe-Signature');
  try {
    return Stripe.webhooks.constructEvent(rawBody, signature, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, now.getTime());
  } catch (e) {
    if (!(e instanceof Stripe.errors.StripeSignatureVerificationError)) {
      throw invalid('webhook_payload_invalid', `The webhook body is not a Stripe event: ${(e as Error).message}`, 'body');
    }
    if (/tolerance/i.test(e.message)) {
      throw invalid('webhook_signature_expired', `The signature's timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s away from now: a stale or replayed delivery.`, 'Stripe-Signature');
    }
    throw invalid('webhook_signature_invalid', 'No signature in Stripe-Signature matches the body with the configured STRIPE_WEBHOOK_SECRET.', 'Stripe-Signature');
  }
}

/** Stores a verified event once; a repeat (same Stripe event ID) changes nothing and says so. */
export async function recordProviderWebhook(ctx: ServiceContext, event: Stripe.Event): Promise<{ duplicate: boolean }> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const inserted = await tx
      .insert(providerWebhookEvents)
      .values({ id: event.id, provider: 'stripe', type: event.type, payload: event as unknown as Record<string, unknown>, receivedAt: c.clock.now() })
      .onConflictDoNothing()
      .returning({ id: providerWebhookEvents.id });
    if (inserted.length === 0) return { duplicate: true };
    await enqueueJob(c, { kind: PROCESS_WEBHOOK_JOB, payload: { event_id: event.id }, dedupeKey: `${PROCESS_WEBHOOK_JOB}:${event.id}` });
    return { duplicate: false };
  });
}

const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);

type Commit = (outcome: string, effects?: (c: ServiceContext) => Promise<string | void>) => Promise<string>;

/** Applies a stored event once. Reads from the provider happen first; the effects and the mark commit together. */
export async function processProviderWebhook(ctx: ServiceContext, provider: PaymentProvider, eventId: string): Promise<string | null> {
  const [row] = await ctx.db.select().from(providerWebhookEvents).where(eq(providerWebhookEvents.id, eventId));
  if (!row || row.processedAt) return row?.outcome ?? null;
  const commit: Commit = (outcome, effects) =>
    inTransaction(ctx.db, async (tx) => {
      const c = withDb(ctx, tx);
      const [locked] = await tx.select().from(providerWebhookEvents).where(eq(providerWebhookEvents.id, eventId)).for('update');
      if (!locked || locked.processedAt) return locked?.outcome ?? outcome;
      const actual = (await effects?.(c)) ?? outcome;
      await tx.update(providerWebhookEvents).set({ processedAt: c.clock.now(), outcome: actual }).where(eq(providerWebhookEvents.id, eventId));
      return actual;
    });
  const event = row.payload as unknown as Stripe.Event;
  switch (event.type) {
    case 'invoice.paid':
      return onInvoicePaid(ctx, event.data.object, commit);
    case 'invoice.payment_failed':
      return onPaymentFailed(ctx, event.data.object, commit);
    case 'invoice.finalized':
      return onInvoiceFinalized(ctx, event.data.object, commit);
    case 'customer.updated':
      return onCustomerChanged(ctx, provider, event.data.object.id, commit);
    case 'customer.tax_id.created':
    case 'customer.tax_id.deleted':
    case 'customer.tax_id.updated':
      return onCustomerChanged(ctx, provider, idOf(event.data.object.customer), commit);
    case 'checkout.session.completed':
      return onCheckoutCompleted(ctx, provider, event.data.object, commit);
    default:
      return commit('ignored');
  }
}

/** The Tally invoice a Stripe invoice mirrors: by the stored ID, else by the metadata the push put on it. */
async function tallyInvoiceOf(ctx: ServiceContext, obj: Stripe.Invoice): Promise<Invoice | null> {
  const linked = await findInvoiceByProviderId(ctx, obj.id);
  if (linked) return linked;
  const tallyId = obj.metadata?.[META.invoice];
  if (!tallyId) return null;
  try {
    const inv = await getInvoice(ctx, tallyId);
    if (inv.providerInvoiceId === null) await linkProviderInvoice(ctx, inv.id, obj.id);
    return inv.providerInvoiceId === null || inv.providerInvoiceId === obj.id ? inv : null;
  } catch {
    return null;
  }
}

async function onInvoicePaid(ctx: ServiceContext, obj: Stripe.Invoice, commit: Commit): Promise<string> {
  const inv = await tallyInvoiceOf(ctx, obj);
  if (!inv) return commit('unknown_invoice');
  return commit('invoice_paid', async (c) => {
    const current = await getInvoice(c, inv.id);
    if (current.status !== 'open' && current.status !== 'uncollectible') return `already_${current.status}`;
    const now = c.clock.now();
    const paidAt = obj.status_transitions?.paid_at ? new Date(Math.min(obj.status_transitions.paid_at * 1000, now.getTime())) : now;
    await markInvoicePaid(c, inv.id, { reference: obj.id, paidAt });
  });
}

async function onPaymentFailed(ctx: ServiceContext, obj: Stripe.Invoice, commit: Commit): Promise<string> {
  const inv = await tallyInvoiceOf(ctx, obj);
  if (!inv) return commit('unknown_invoice');
  return commit('payment_failed', async (c) => {
    await recordEvent(c, {
      type: 'invoice.payment_failed',
      instanceId: inv.instanceId,
      customerId: inv.customerId,
      objectId: inv.id,
      data: {
        number: inv.number,
        provider_invoice_id: obj.id,
        amount_due: obj.amount_due,
        attempt_count: obj.attempt_count,
        next_payment_attempt: obj.next_payment_attempt ? new Date(obj.next_payment_attempt * 1000).toISOString() : null,
      },
    });
  });
}

/** Stripe finalized our draft: a last check that it asks for exactly Tally's amount due. */
async function onInvoiceFinalized(ctx: ServiceContext, obj: Stripe.Invoice, commit: Commit): Promise<string> {
  const inv = await tallyInvoiceOf(ctx, obj);
  if (!inv) return commit('unknown_invoice');
  const agrees = BigInt(obj.amount_due) === inv.amountDue;
  return commit(agrees ? 'finalized' : 'finalized_mismatch', async (c) => {
    const data = { provider_invoice_id: obj.id, hosted_invoice_url: obj.hosted_invoice_url ?? null, amount_due: obj.amount_due, tally_amount_due: minorToJson(inv.amountDue) };
    await recordEvent(c, { type: 'provider.invoice_finalized', instanceId: inv.instanceId, customerId: inv.customerId, objectId: inv.id, data });
    if (agrees) return;
    const reason = `Invoice ${invoiceLabel(inv)} was finalized at the provider asking ${obj.amount_due}, Tally ${inv.amountDue}.`;
    await recordEvent(c, { type: MISMATCH_EVENT, instanceId: inv.instanceId, customerId: inv.customerId, objectId: inv.id, data: { ...data, reasons: [reason] } });
    await recordAudit(c, { action: MISMATCH_EVENT, targetType: 'invoice', targetId: inv.id, customerId: inv.customerId, before: { amount_due: minorToJson(inv.amountDue) }, after: data, reason });
  });
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Billing email, address and tax IDs the customer changed at the provider, as a patch for Tally's customer. */
export function detailsPatch(tally: Customer, remote: ProviderCustomer): UpdateCustomerInput {
  const patch: UpdateCustomerInput = {};
  if ((remote.email ?? null) !== tally.billingEmail) patch.billingEmail = remote.email;
  if (!same(remote.address, tally.address)) patch.address = remote.address;
  if (!same(remote.taxIds, tally.taxIds)) patch.taxIds = [...remote.taxIds];
  return patch;
}

/** customer.updated / tax ID changes: billing email, address and tax IDs flow back into Tally's customer. */
async function onCustomerChanged(ctx: ServiceContext, provider: PaymentProvider, providerCustomerId: string | null, commit: Commit): Promise<string> {
  const customer = providerCustomerId ? await findCustomerByProviderId(ctx, providerCustomerId) : null;
  if (!customer || !providerCustomerId) return commit('unknown_customer');
  // The current state, not the event's snapshot: events may arrive out of order.
  const remote = await provider.readCustomer(providerCustomerId);
  if (!remote || remote.deleted) return commit('customer_deleted_at_provider');
  return commit('customer_updated', async (c) => {
    const patch = detailsPatch(await getCustomer(c, customer.id), remote);
    if (Object.keys(patch).length === 0) return 'customer_unchanged';
    await updateCustomer(c, customer.id, patch);
  });
}

/**
 * A customer finished Checkout in setup mode: the Stripe customer it created becomes the Tally customer's
 * provider customer (R16), Tally's details and metadata go to Stripe (the customer's own entries fill what
 * Tally lacked), and the customer's open invoices are pushed for collection.
 */
async function onCheckoutCompleted(ctx: ServiceContext, provider: PaymentProvider, session: Stripe.Checkout.Session, commit: Commit): Promise<string> {
  if (session.mode !== 'setup') return commit('ignored');
  const tallyId = session.client_reference_id ?? session.metadata?.[META.customer] ?? null;
  const stripeCustomerId = idOf(session.customer);
  if (!tallyId || !stripeCustomerId) return commit('unknown_customer');
  let customer: Customer;
  try {
    customer = await getCustomer(ctx, tallyId);
  } catch {
    return commit('unknown_customer');
  }
  if (customer.providerCustomerId && customer.providerCustomerId !== stripeCustomerId) {
    return commit('customer_conflict', async (c) => {
      const reason = `Checkout created Stripe customer ${stripeCustomerId}, but customer ${customer.id} is already ${customer.providerCustomerId} at Stripe; the new one is not linked.`;
      await recordEvent(c, { type: 'provider.customer_conflict', instanceId: customer.instanceId, customerId: customer.id, objectId: customer.id, data: { provider_customer_id: stripeCustomerId, reason } });
      await recordAudit(c, { action: 'provider.customer_conflict', targetType: 'customer', targetId: customer.id, customerId: customer.id, after: { provider_customer_id: stripeCustomerId }, reason });
    });
  }
  const remote = await provider.readCustomer(stripeCustomerId);
  const fill: UpdateCustomerInput = {};
  if (remote && !remote.deleted) {
    if (!customer.billingEmail && remote.email) fill.billingEmail = remote.email;
    if (!customer.address && remote.address) fill.address = remote.address;
    if (customer.taxIds.length === 0 && remote.taxIds.length > 0) fill.taxIds = [...remote.taxIds];
  }
  const merged: Customer = { ...customer, ...(fill as Partial<Customer>), providerCustomerId: stripeCustomerId };
  await provider.ensureCustomer(await providerCustomerInput(ctx, merged));
  return commit('billing_setup_completed', async (c) => {
    await updateCustomer(c, customer.id, { ...fill, providerCustomerId: stripeCustomerId, billingSetupAt: c.clock.now() });
    await recordEvent(c, { type: 'customer.billing_setup_completed', instanceId: customer.instanceId, customerId: customer.id, objectId: customer.id, data: { provider: 'stripe', provider_customer_id: stripeCustomerId } });
    await enqueueUnpushed(c, customer.id);
  });
}

/** Pushes every open invoice of the customer the provider does not have yet (they waited for billing setup). */
export async function enqueueUnpushed(ctx: ServiceContext, customerId: string): Promise<number> {
  let n = 0;
  for (const status of ['open', 'uncollectible'] as const) {
    const page = await listInvoices(ctx, { customerId, status, limit: 100 });
    for (const inv of page.data) {
      if (inv.providerInvoiceId !== null) continue;
      await enqueueJob(ctx, { kind: PUSH_INVOICE_JOB, payload: { invoice_id: inv.id }, dedupeKey: `${PUSH_INVOICE_JOB}:${inv.id}:finalized` });
      n++;
    }
  }
  return n;
}
