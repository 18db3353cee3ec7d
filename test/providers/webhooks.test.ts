import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { getCustomer } from '../../src/billing/customers/customers.js';
import { createDraftInvoice, finalizeInvoice, getInvoice } from '../../src/billing/invoices/index.js';
import { setUpProviderCustomer } from '../../src/billing/providers/setup.js';
import { events, providerWebhookEvents } from '../../src/store/schema.js';
import { seedInstance } from '../support/accounts.js';
import { describeDb } from '../support/db.js';
import { custom, useStripeWorld, WEBHOOK_SECRET, type StripeWorld } from './helpers.js';

describeDb('Stripe webhooks in', (database) => {
  const world = useStripeWorld(database);

  const post = (w: StripeWorld, body: string, signature?: string) =>
    w.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) }, payload: body });

  function eventBody(w: StripeWorld, id: string): string {
    const now = Math.floor(w.clock.now().getTime() / 1000);
    return JSON.stringify({ id, object: 'event', type: 'ping.test', api_version: null, created: now, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object: { id: 'x' } } });
  }

  async function pushedInvoice(w: StripeWorld) {
    const c = await w.customer();
    const linked = await setUpProviderCustomer(w.staff, w.provider, c.id, { reason: 'test' });
    w.emulator.attachPaymentMethod(linked.providerCustomerId as string);
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '4')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    await w.settle();
    const pushed = await getInvoice(w.system, inv.id);
    return { customer: linked, invoice: pushed, stripeId: pushed.providerInvoiceId as string };
  }

  it('accepts a good signature and refuses a wrong, a stale or a missing one with a 400 that says which', async () => {
    const w = world();
    const body = eventBody(w, 'evt_sig_good');
    const good = await post(w, body, w.emulator.signPayload(body, WEBHOOK_SECRET));
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ received: true, duplicate: false });

    const wrong = await post(w, eventBody(w, 'evt_sig_wrong'), w.emulator.signPayload(eventBody(w, 'evt_sig_wrong'), 'whsec_someone_else'));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatchObject({ code: 'webhook_signature_invalid', param: 'Stripe-Signature' });

    const staleAt = Math.floor(w.clock.now().getTime() / 1000) - 301;
    const stale = await post(w, eventBody(w, 'evt_sig_stale'), w.emulator.signPayload(eventBody(w, 'evt_sig_stale'), WEBHOOK_SECRET, staleAt));
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error).toMatchObject({ code: 'webhook_signature_expired' });

    const tampered = await post(w, body.replace('ping.test', 'invoice.paid'), w.emulator.signPayload(body, WEBHOOK_SECRET));
    expect(tampered.json().error.code).toBe('webhook_signature_invalid');

    const missing = await post(w, body);
    expect(missing.json().error.code).toBe('webhook_signature_missing');

    const stored = await database().db.select({ id: providerWebhookEvents.id }).from(providerWebhookEvents);
    expect(stored.map((s) => s.id)).toContain('evt_sig_good');
    expect(stored.map((s) => s.id)).not.toContain('evt_sig_wrong');
    expect(stored.map((s) => s.id)).not.toContain('evt_sig_stale');
  });

  it("marks the Tally invoice paid when Stripe's invoice.paid arrives, once however often it is delivered", async () => {
    const w = world();
    const { invoice, stripeId } = await pushedInvoice(w);
    expect(invoice.status).toBe('open');
    w.clock.advance(60_000);
    w.emulator.simulatePaymentSuccess(stripeId);
    await w.settle();

    const paid = await getInvoice(w.system, invoice.id);
    expect(paid).toMatchObject({ status: 'paid', paymentReference: stripeId, amountPaid: 6_000n });
    expect(paid.paidAt?.toISOString()).toBe(w.clock.now().toISOString());

    const paidEvent = w.emulator.events.find((e) => e.type === 'invoice.paid');
    if (!paidEvent) throw new Error('no invoice.paid');
    const again = await w.emulator.replayEvent(paidEvent.id);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.responseBody ?? '{}')).toEqual({ received: true, duplicate: true });
    await w.settle();
    const tallyPaid = (await database().db.select().from(events).where(eq(events.objectId, invoice.id))).filter((e) => e.type === 'invoice.paid');
    expect(tallyPaid).toHaveLength(1);
    // Tally's follow-up found Stripe already paid: nothing was paid out of band there.
    expect(w.emulator.requests.filter((r) => r.path.endsWith('/pay'))).toHaveLength(0);
  });

  it('records a failed payment as an event on the Tally invoice, which stays open', async () => {
    const w = world();
    const { invoice, stripeId } = await pushedInvoice(w);
    w.emulator.simulatePaymentFailure(stripeId, { declineCode: 'insufficient_funds' });
    await w.settle();
    expect((await getInvoice(w.system, invoice.id)).status).toBe('open');
    expect(await w.eventTypes(invoice.id)).toContain('invoice.payment_failed');
  });

  it('lets billing email, address and tax IDs changed at Stripe flow back into the Tally customer', async () => {
    const w = world();
    const c = await w.customer();
    const linked = await setUpProviderCustomer(w.staff, w.provider, c.id, { reason: 'test' });
    await w.settle();
    const sid = linked.providerCustomerId as string;
    await w.stripe.customers.update(sid, { email: 'finance@acme.test', address: { line1: '9 Dock Rd', city: 'Hamburg', country: 'DE', postal_code: '20457' } });
    await w.stripe.customers.createTaxId(sid, { type: 'eu_vat', value: 'DE123456789' });
    await w.settle();
    const after = await getCustomer(w.system, c.id);
    expect(after.billingEmail).toBe('finance@acme.test');
    expect(after.address).toEqual({ line1: '9 Dock Rd', city: 'Hamburg', country: 'DE', postal_code: '20457' });
    expect(after.taxIds).toEqual([{ type: 'eu_vat', value: 'DE123456789' }]);
  });

  it('completes billing setup through Checkout: links the Stripe customer it created, sends it Tally metadata, pushes open invoices', async () => {
    const w = world();
    const us = await seedInstance(database(), w.clock, `co${Math.random().toString(36).slice(2, 6)}`);
    const c = await w.customer({ instanceId: us.instance.id, billingEmail: null });
    // An invoice from before billing was set up waits for it.
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '2')] });
    const inv = await finalizeInvoice(w.system, draft.id);

    const res = await w.app.inject({ method: 'POST', url: `/v1/customers/${c.id}/billing-setup`, headers: us.headers, payload: { return_url: 'https://app.example/billing' } });
    expect(res.statusCode).toBe(200);
    const link = res.json();
    expect(link).toMatchObject({ provider: 'stripe', url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//) });
    expect(new Date(link.expires_at).getTime()).toBe(w.clock.now().getTime() + 24 * 3600 * 1000);
    expect(w.emulator.objects.customers).toHaveLength(0); // R16: not before setup completes
    const session = w.emulator.objects.checkoutSessions[0];
    expect(session).toMatchObject({ mode: 'setup', client_reference_id: c.id, success_url: 'https://app.example/billing' });

    w.emulator.completeCheckout(session?.id as string, { email: 'pay@acme.test' });
    await w.settle();
    const after = await getCustomer(w.system, c.id);
    expect(after.providerCustomerId).toMatch(/^cus_/);
    expect(after.billingSetupAt?.toISOString()).toBe(w.clock.now().toISOString());
    expect(after.billingEmail).toBe('pay@acme.test'); // Tally had none: the customer's entry fills it
    const sc = await w.stripe.customers.retrieve(after.providerCustomerId as string);
    expect(sc.deleted ? null : sc.metadata).toEqual({ tally_customer_id: c.id, instance: us.instance.slug, external_id: c.externalId });
    const pushed = await getInvoice(w.system, inv.id);
    expect(pushed.providerInvoiceId).toMatch(/^in_/);
    expect((await w.stripe.invoices.retrieve(pushed.providerInvoiceId as string)).amount_due).toBe(3_000);

    // Once at Stripe, the link is the billing portal.
    const portal = await w.app.inject({ method: 'POST', url: `/v1/customers/${c.id}/billing-setup`, headers: us.headers, payload: { return_url: 'https://app.example/billing' } });
    expect(portal.json()).toMatchObject({ provider: 'stripe', url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//), expires_at: null });
  });
});
