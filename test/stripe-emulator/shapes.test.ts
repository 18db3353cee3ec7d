/**
 * The emulator's objects have the same fields as Stripe's own example objects (fixtures3.json), at the top level
 * and in every nested object both sides have. Differences are listed here, each with its reason; anything else
 * fails the test.
 */
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, useEmulator } from './helpers.js';

const t = useEmulator();

/**
 * Fields the fixture (OpenAPI snapshot 2026-08-21) has and the emulator leaves out. The SDK pinned by the project
 * (2026-10-28.endive) has no such field on the type, so the compiler would reject it.
 */
const OMITTED: Record<string, string[]> = {
  // Moved to `parent.subscription_details.subscription` in current API versions.
  invoice: ['subscription'],
};

/** Fields the emulator has and the fixture lacks: required by the newer SDK types, or Stripe's real output. */
const ADDED: Record<string, string[]> = {
  product: ['tax_details'], // required by the SDK type (added after the fixture snapshot)
  subscription_schedule: ['pause_schedules'], // required by the SDK type since 23.1.0
  subscription: [
    'cancellation_details.feedback_option',
    'items.data[0].current_trial',
    'trial_settings.end_behavior.billing_cycle_anchor',
  ],
  subscription_item: ['current_trial'],
  'checkout.session': ['allowed_payment_method_types'],
  // Items priced by a Price carry `pricing.price_details`; the fixture's example item has no price.
  invoiceitem: ['pricing.price_details'],
  line_item: ['pricing.price_details'],
  invoice: ['lines.data[0].pricing.price_details'],
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `-path` for fixture-only keys, `+path` for emulator-only keys, recursing into objects both sides have. */
function keyDiff(ours: unknown, theirs: unknown, path = ''): string[] {
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    return ours.length > 0 && theirs.length > 0 ? keyDiff(ours[0], theirs[0], `${path}[0]`) : [];
  }
  if (!isObject(ours) || !isObject(theirs)) return [];
  const mine = Object.keys(ours).filter((k) => k !== 'lastResponse');
  const fixture = Object.keys(theirs);
  const at = (k: string): string => (path === '' ? k : `${path}.${k}`);
  return [
    ...fixture.filter((k) => !mine.includes(k)).map((k) => `-${at(k)}`),
    ...mine.filter((k) => !fixture.includes(k)).map((k) => `+${at(k)}`),
    ...mine.filter((k) => fixture.includes(k)).flatMap((k) => keyDiff(ours[k], theirs[k], at(k))),
  ].sort();
}

function expected(kind: string): string[] {
  return [...(OMITTED[kind] ?? []).map((k) => `-${k}`), ...(ADDED[kind] ?? []).map((k) => `+${k}`)].sort();
}

describe('object shapes match Stripe fixtures', () => {
  const fixtures = loadFixtures();
  const samples: Record<string, unknown> = {};

  beforeAll(async () => {
    const s = t.emulator.client();
    const customer = await s.customers.create({ email: 'shape@x.test', tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }] });
    const product = await s.products.create({ name: 'Shape' });
    const monthly = await s.prices.create({ currency: 'usd', product: product.id, unit_amount: 2000, recurring: { interval: 'month' } });
    const oneTime = await s.prices.create({ currency: 'usd', product: product.id, unit_amount: 1000 });
    const invoice = await s.invoices.create({ customer: customer.id });
    const item = await s.invoiceItems.create({ customer: customer.id, invoice: invoice.id, pricing: { price: oneTime.id } });
    const schedule = await s.subscriptionSchedules.create({ customer: customer.id, start_date: 'now', phases: [{ items: [{ price: monthly.id }] }] });
    const subscription = await s.subscriptions.retrieve(schedule.subscription as string);
    const finalized = await s.invoices.finalizeInvoice(invoice.id);
    Object.assign(samples, {
      customer,
      customer_balance_transaction: await s.customers.createBalanceTransaction(customer.id, { amount: -500, currency: 'usd' }),
      tax_id: (await s.customers.listTaxIds(customer.id)).data[0],
      product,
      price: monthly,
      coupon: await s.coupons.create({ percent_off: 25.5, duration: 'repeating', duration_in_months: 3 }),
      invoiceitem: item,
      invoice: finalized,
      line_item: finalized.lines.data[0],
      subscription_schedule: schedule,
      subscription,
      subscription_item: subscription.items.data[0],
      'checkout.session': await s.checkout.sessions.create({ mode: 'setup', currency: 'usd', customer: customer.id, success_url: 'https://x.test' }),
      'billing_portal.session': await s.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://x.test' }),
      event: t.emulator.events[0],
    });
  });

  const fixtureFor = (kind: string): unknown => {
    const resources = fixtures;
    if (kind === 'subscription_item') return (resources.subscription?.items as { data: unknown[] }).data[0];
    return resources[kind];
  };

  it.each([
    'customer',
    'customer_balance_transaction',
    'tax_id',
    'product',
    'price',
    'coupon',
    'invoiceitem',
    'invoice',
    'line_item',
    'subscription_schedule',
    'subscription',
    'subscription_item',
    'checkout.session',
    'billing_portal.session',
  ])('%s', (kind) => {
    const ours = JSON.parse(JSON.stringify(samples[kind])) as Record<string, unknown>;
    expect(keyDiff(ours, fixtureFor(kind))).toEqual(expected(kind));
    if ('livemode' in ours) expect(ours.livemode).toBe(false);
    expect(ours.object).toBe((fixtureFor(kind) as { object: string }).object);
  });

  it('event (envelope; data.object is the resource the event is about)', () => {
    const ours = JSON.parse(JSON.stringify(samples.event)) as Stripe.Event;
    const envelope = { ...ours, data: {} };
    expect(keyDiff(envelope, { ...(fixtures.event as object), data: {} })).toEqual([]);
    expect(ours.data.object).toMatchObject({ object: 'customer' });
  });

  it('uses Stripe id prefixes', () => {
    const prefixes: Record<string, RegExp> = {
      customer: /^cus_/,
      customer_balance_transaction: /^cbtxn_/,
      tax_id: /^txi_/,
      product: /^prod_/,
      price: /^price_/,
      coupon: /^[A-Z0-9]{8}$/,
      invoiceitem: /^ii_/,
      invoice: /^in_/,
      line_item: /^il_/,
      subscription_schedule: /^sub_sched_/,
      subscription: /^sub_(?!sched_)/,
      subscription_item: /^si_/,
      'checkout.session': /^cs_test_/,
      'billing_portal.session': /^bps_/,
      event: /^evt_/,
    };
    for (const [kind, pattern] of Object.entries(prefixes)) {
      expect((samples[kind] as { id: string }).id, kind).toMatch(pattern);
    }
    expect(t.emulator.setWebhookTarget('http://127.0.0.1:9/hooks')).toMatch(/^whsec_/);
    t.emulator.clearWebhookTarget();
  });
});
