import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { startReceiver, useEmulator, type ReceivedWebhook } from './helpers.js';

const clock = new ManualClock('2031-09-01T08:00:00Z');
const t = useEmulator({ clock });
const verifier = new Stripe('sk_test_verifier');
const secret = 'whsec_test_secret_for_tally';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let answer = 200;

beforeAll(async () => {
  receiver = await startReceiver(() => answer);
});
afterAll(async () => {
  await receiver.close();
});

function setUp(): void {
  answer = 200;
  receiver.received.length = 0;
  t.emulator.setWebhookTarget(receiver.url, secret);
}

/** Verifies like Tally's endpoint would, against the same (test) clock; the SDK takes `receivedAt` in ms. */
function verify(hook: ReceivedWebhook): Stripe.Event {
  const receivedAt = clock.now().getTime();
  return verifier.webhooks.constructEvent(hook.body, String(hook.headers['stripe-signature']), secret, 300, undefined, receivedAt);
}

describe('signed webhooks', () => {
  it('POSTs Stripe.Event JSON signed so that stripe.webhooks.constructEvent accepts it', async () => {
    setUp();
    const customer = await t.stripe.customers.create({ email: 'hook@x.test' }, { idempotencyKey: 'hook-1' });
    await t.emulator.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0] as ReceivedWebhook;
    expect(hook.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(hook.headers['content-type']).toContain('application/json');
    const event = verify(hook);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.created',
      livemode: false,
      api_version: Stripe.API_VERSION,
      pending_webhooks: 1,
      request: { id: customer.lastResponse.requestId, idempotency_key: 'hook-1' },
      data: { object: { id: customer.id, object: 'customer', email: 'hook@x.test' } },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(t.emulator.deliveries).toMatchObject([{ eventId: event.id, status: 200, ok: true, kind: 'event' }]);
  });

  it('emits the lifecycle events Tally consumes, in order, with previous_attributes on updates', async () => {
    setUp();
    const customer = await t.stripe.customers.create({ email: 'a@x.test' });
    await t.stripe.customers.update(customer.id, { email: 'b@x.test', address: { country: 'FR' } });
    t.emulator.attachPaymentMethod(customer.id);
    const invoice = await t.stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice' });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 5_000, currency: 'usd' });
    await t.stripe.invoices.finalizeInvoice(invoice.id);
    await t.stripe.invoices.sendInvoice(invoice.id);
    t.emulator.simulatePaymentFailure(invoice.id);
    t.emulator.simulatePaymentSuccess(invoice.id);
    const other = await t.stripe.invoices.create({ customer: customer.id });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: other.id, amount: 100, currency: 'usd' });
    await t.stripe.invoices.finalizeInvoice(other.id);
    await t.stripe.invoices.voidInvoice(other.id);
    const session = await t.stripe.checkout.sessions.create({ mode: 'setup', currency: 'usd', customer: customer.id, success_url: 'https://x.test' });
    t.emulator.completeCheckout(session.id);
    await t.emulator.flushWebhooks();

    const events = receiver.received.map(verify);
    const interesting = events.map((e) => e.type).filter((type) => !type.startsWith('invoiceitem.'));
    expect(interesting).toEqual([
      'customer.created',
      'customer.updated',
      'customer.updated',
      'invoice.created',
      'invoice.finalized',
      'invoice.sent',
      'invoice.payment_failed',
      'invoice.payment_succeeded',
      'invoice.paid',
      'invoice.created',
      'invoice.finalized',
      'invoice.voided',
      'customer.updated',
      'checkout.session.completed',
    ]);
    const update = events[1] as Stripe.CustomerUpdatedEvent;
    expect(update.data.previous_attributes).toEqual({ email: 'a@x.test', address: null });
    expect(update.data.object.address?.country).toBe('FR');
    const paid = events.find((e) => e.type === 'invoice.paid') as Stripe.InvoicePaidEvent;
    expect(paid.data.object).toMatchObject({ id: invoice.id, status: 'paid', amount_paid: 5_000 });
    // Each event is a snapshot: the finalized event still shows the invoice as open.
    expect((events.find((e) => e.type === 'invoice.finalized') as Stripe.InvoiceFinalizedEvent).data.object.status).toBe('open');
    expect(events.find((e) => e.type === 'invoice.payment_failed')?.request).toEqual({ id: null, idempotency_key: null });
  });

  it('replays an event with the same id and body (for dedupe tests)', async () => {
    setUp();
    await t.stripe.customers.create({ email: 'dup@x.test' });
    await t.emulator.flushWebhooks();
    const original = t.emulator.events[0] as Stripe.Event;
    const delivery = await t.emulator.replayEvent(original.id);
    expect(delivery).toMatchObject({ kind: 'replay', eventId: original.id, ok: true });
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received.map(verify);
    expect(second?.id).toBe(first?.id);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
  });

  it('forged deliveries fail verification in every flavour', async () => {
    setUp();
    await t.stripe.customers.create({ email: 'forge@x.test' });
    await t.emulator.flushWebhooks();
    const eventId = t.emulator.events[0]?.id as string;
    for (const mode of ['wrong-secret', 'stale', 'tampered', 'unsigned'] as const) {
      await t.emulator.deliverForged({ mode, eventId });
    }
    await t.emulator.deliverForged();
    const forged = receiver.received.slice(1);
    expect(forged).toHaveLength(5);
    for (const hook of forged) {
      expect(() => verify(hook)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    }
    expect(forged[3]?.headers['stripe-signature']).toBeUndefined();
  });

  it('signs with the emulator clock and records failed deliveries, retrying when asked', async () => {
    setUp();
    answer = 500;
    t.emulator.setWebhookTarget(receiver.url, secret, { attempts: 3, retryDelayMs: 1 });
    await t.stripe.customers.create({});
    await t.emulator.flushWebhooks();
    expect(t.emulator.deliveries.map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
    ]);
    const stamp = Number(/t=(\d+)/.exec(String(receiver.received[0]?.headers['stripe-signature']))?.[1]);
    expect(stamp).toBe(Math.floor(clock.now().getTime() / 1000));
    const first = receiver.received[0] as ReceivedWebhook;
    expect(t.emulator.signPayload(first.body, secret)).toBe(first.headers['stripe-signature']);
  });

  it('keeps emitting events without a target, and serves them over the events API', async () => {
    t.emulator.clearWebhookTarget();
    const customer = await t.stripe.customers.create({});
    await t.stripe.customers.update(customer.id, { name: 'Later' });
    expect(t.emulator.events.map((e) => e.pending_webhooks)).toEqual([0, 0]);
    const listed = await t.stripe.events.list({ type: 'customer.*' });
    expect(listed.data.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
    const one = await t.stripe.events.retrieve(listed.data[1]?.id as string);
    expect(one.type).toBe('customer.created');
    expect(t.emulator.deliveries).toHaveLength(0);
  });
});
