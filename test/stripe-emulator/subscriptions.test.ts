import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { useEmulator } from './helpers.js';

const clock = new ManualClock('2031-01-31T00:00:00Z');
const t = useEmulator({ clock });
const DAY = 86_400_000;
const unix = (iso: string): number => Math.floor(new Date(iso).getTime() / 1000);
const now = (): number => Math.floor(clock.now().getTime() / 1000);

async function recurringPrice(interval: 'month' | 'year' = 'month'): Promise<Stripe.Price> {
  const product = await t.stripe.products.create({ name: `Plan ${interval}` });
  return t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 50_000, recurring: { interval } });
}

describe('subscription schedules', () => {
  it('starts now: active, with a subscription and phase dates from durations (month ends clamp)', async () => {
    const customer = await t.stripe.customers.create({ email: 'ops@acme.test' });
    const monthly = await recurringPrice('month');
    const annual = await recurringPrice('year');
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      end_behavior: 'cancel',
      metadata: { contract: 'C-9' },
      phases: [
        { items: [{ price: monthly.id, quantity: 3 }], duration: { interval: 'month', interval_count: 1 } },
        { items: [{ price: annual.id }], duration: { interval: 'year', interval_count: 2 } },
      ],
    });
    expect(schedule.id).toMatch(/^sub_sched_/);
    expect(schedule).toMatchObject({ object: 'subscription_schedule', status: 'active', end_behavior: 'cancel', metadata: { contract: 'C-9' } });
    expect(schedule.phases.map((p) => [p.start_date, p.end_date])).toEqual([
      [unix('2031-01-31T00:00:00Z'), unix('2031-02-28T00:00:00Z')],
      [unix('2031-02-28T00:00:00Z'), unix('2033-02-28T00:00:00Z')],
    ]);
    expect(schedule.phases[0]?.items[0]).toMatchObject({ price: monthly.id, quantity: 3 });
    expect(schedule.current_phase).toEqual({ start_date: schedule.phases[0]?.start_date, end_date: schedule.phases[0]?.end_date });
    const subscription = await t.stripe.subscriptions.retrieve(schedule.subscription as string);
    expect(subscription).toMatchObject({ status: 'active', customer: customer.id, schedule: schedule.id });
    expect(subscription.items.data[0]).toMatchObject({ object: 'subscription_item', quantity: 3, price: { id: monthly.id } });
    expect((await t.stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([subscription.id]);
  });

  it('starts in the future: not_started until the clock gets there, then follows its phases to the end', async () => {
    const customer = await t.stripe.customers.create({});
    const price = await recurringPrice('month');
    const start = now() + 10 * 86_400;
    const schedule = await t.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: start,
      phases: [
        { items: [{ price: price.id, quantity: 1 }], duration: { interval: 'month' } },
        { items: [{ price: price.id, quantity: 5 }], duration: { interval: 'month' } },
      ],
    });
    expect(schedule).toMatchObject({ status: 'not_started', subscription: null, current_phase: null, end_behavior: 'release' });
    clock.advance(10 * DAY);
    const started = await t.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(started.status).toBe('active');
    const subscriptionId = started.subscription as string;
    expect((await t.stripe.subscriptions.retrieve(subscriptionId)).start_date).toBe(start);
    clock.advance(31 * DAY);
    const second = await t.stripe.subscriptions.retrieve(subscriptionId);
    expect(second.items.data[0]?.quantity).toBe(5);
    clock.advance(31 * DAY);
    const done = await t.stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(done.status).toBe('completed');
    expect((await t.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active'); // released, not canceled
    expect(t.emulator.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['subscription_schedule.created', 'customer.subscription.created', 'customer.subscription.updated', 'subscription_schedule.completed']),
    );
  });

  it('cancels and releases', async () => {
    const customer = await t.stripe.customers.create({});
    const price = await recurringPrice('year');
    const phases: Stripe.SubscriptionScheduleCreateParams.Phase[] = [{ items: [{ price: price.id }], duration: { interval: 'year', interval_count: 3 } }];
    const a = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases });
    const canceled = await t.stripe.subscriptionSchedules.cancel(a.id);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: now() });
    expect((await t.stripe.subscriptions.retrieve(a.subscription as string)).status).toBe('canceled');
    await expect(t.stripe.subscriptionSchedules.cancel(a.id)).rejects.toMatchObject({ code: 'status_transition_invalid' });

    const b = await t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases });
    const released = await t.stripe.subscriptionSchedules.release(b.id);
    expect(released).toMatchObject({ status: 'released', subscription: null, released_subscription: b.subscription, released_at: now() });
    expect((await t.stripe.subscriptions.retrieve(b.subscription as string))).toMatchObject({ status: 'active', schedule: null });
  });

  it('rejects one-time prices and missing phases', async () => {
    const customer = await t.stripe.customers.create({});
    const product = await t.stripe.products.create({ name: 'Setup fee' });
    const oneTime = await t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 100 });
    await expect(
      t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: oneTime.id }] }] }),
    ).rejects.toMatchObject({ param: 'phases[0][items][0][price]' });
    await expect(t.stripe.subscriptionSchedules.create({ customer: customer.id, start_date: 'now' })).rejects.toMatchObject({ param: 'phases' });
    expect(t.emulator.objects.subscriptionSchedules).toHaveLength(0);
  });
});

describe('checkout and portal sessions', () => {
  it('setup mode: returns a URL; completing it creates the customer and attaches a payment method (R16)', async () => {
    const session = await t.stripe.checkout.sessions.create({
      mode: 'setup',
      currency: 'usd',
      customer_email: 'new@startup.test',
      success_url: 'https://tally.test/billing/done',
      cancel_url: 'https://tally.test/billing',
      metadata: { tally_customer_id: 'cus_01' },
      client_reference_id: 'team_7',
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', mode: 'setup', customer: null, payment_status: 'no_payment_required' });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(t.emulator.objects.customers).toHaveLength(0);

    const completed = t.emulator.completeCheckout(session.id, { name: 'Startup Ltd', address: { country: 'GB', line1: '1 Road' } });
    expect(completed).toMatchObject({ status: 'complete', customer: expect.stringMatching(/^cus_/), url: null });
    const customer = (await t.stripe.customers.retrieve(completed.customer as string)) as Stripe.Customer;
    expect(customer).toMatchObject({ email: 'new@startup.test', name: 'Startup Ltd', address: { country: 'GB' } });
    expect(customer.invoice_settings.default_payment_method).toMatch(/^pm_/);
    expect(t.emulator.events.at(-1)).toMatchObject({ type: 'checkout.session.completed', data: { object: { id: session.id, client_reference_id: 'team_7' } } });
    expect(() => t.emulator.completeCheckout(session.id)).toThrow(/not open/);
  });

  it('subscription mode starts a subscription for an existing customer', async () => {
    const customer = await t.stripe.customers.create({ email: 'x@acme.test' });
    const price = await recurringPrice('month');
    const session = await t.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 2 }],
      success_url: 'https://tally.test/ok',
      subscription_data: { metadata: { plan: 'pro' } },
    });
    expect(session).toMatchObject({ amount_total: 100_000, currency: 'usd', payment_status: 'unpaid' });
    const completed = t.emulator.completeCheckout(session.id);
    const subscription = await t.stripe.subscriptions.retrieve(completed.subscription as string);
    expect(subscription).toMatchObject({ customer: customer.id, metadata: { plan: 'pro' }, status: 'active' });
    expect(completed.payment_status).toBe('paid');
  });

  it('validates modes and expires sessions on the clock', async () => {
    await expect(t.stripe.checkout.sessions.create({ mode: 'setup', success_url: 'https://x.test' })).rejects.toMatchObject({ param: 'currency' });
    await expect(t.stripe.checkout.sessions.create({ mode: 'subscription', success_url: 'https://x.test' })).rejects.toMatchObject({ param: 'line_items' });
    const session = await t.stripe.checkout.sessions.create({ mode: 'setup', currency: 'usd', success_url: 'https://x.test' });
    clock.advance(DAY + 1000);
    expect((await t.stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
  });

  it('creates billing portal sessions for existing customers', async () => {
    const customer = await t.stripe.customers.create({});
    const portal = await t.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://tally.test/account' });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'https://tally.test/account' });
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.com\//);
    await expect(t.stripe.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toMatchObject({ statusCode: 404 });
  });
});
