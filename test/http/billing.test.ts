import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { ManualClock } from '../../src/shared/clock.js';
import { billingLimits, events } from '../../src/store/schema.js';
import { seedInstance, seedStaff, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('HTTP: billing state, billing limits and current usage', (database) => {
  // Subscribed on Mar 10 (period Mar 10 – Apr 10, 31 days); read on Mar 20 00:00, 10 days in.
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let viewer: SeededStaff;
  let customer: string;
  let bare: string;

  const get = (url: string, who: { authorization: string } = us.headers) => app.inject({ url, headers: who });
  const post = (url: string, payload: object, who: { authorization: string } = us.headers) => app.inject({ method: 'POST', url, headers: who, payload });

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    viewer = await seedStaff(database(), clock, 'viewer');
    customer = (await post('/v1/customers', { external_id: 'team_bill', currency: 'usd' })).json().id;
    bare = (await post('/v1/customers', { external_id: 'team_bare', currency: 'usd' })).json().id;
    const sub = await post(`/v1/customers/${customer}/subscription`, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay' }] });
    expect(sub.statusCode).toBe(201);
    const ingest = await post('/v1/usage', {
      events: [
        { id: 'e1', customer: 'team_bill', metric: 'events', value: 2_000_000, timestamp: '2026-03-10T08:00:00Z' },
        { id: 'e2', customer: 'team_bill', metric: 'events', value: 500_000, timestamp: '2026-03-10T09:00:00Z' },
        { id: 'r1', customer: 'team_bill', metric: 'recordings', value: 40, timestamp: '2026-03-10T09:00:00Z' },
      ],
    });
    expect(ingest.json().accepted).toBe(3);
    clock.set('2026-03-20T00:00:00Z');
  });
  afterAll(async () => app.close());

  it('computes the billing state by hand for a graduated price: 2,500,000 events → $67.15', async () => {
    const res = await get(`/v1/customers/${customer}/billing`);
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({
      object: 'billing_state',
      customer,
      currency: 'usd',
      period_start: '2026-03-10T00:00:00.000Z',
      period_end: '2026-04-10T00:00:00.000Z',
      discount: null,
      trial: { free_trial_until: null, active: false },
    });
    expect(s.period_elapsed).toBeCloseTo(10 / 31, 10);
    const pa = s.products.find((p: { product: string }) => p.product === 'product_analytics');
    expect(pa).toMatchObject({
      plan: 'paid',
      price: 'product_analytics.paid.usd.month',
      pricing_type: 'tiered',
      tiers_mode: 'graduated',
      metric: 'events',
      aggregation: 'sum',
      usage: '2500000',
      // 1,000,000 free + 1,000,000 × 0.005¢ (5,000¢) + 500,000 × 0.00343¢ (1,715¢) = 6,715¢
      amount: 6715,
      // 2,500,000 × 31/10 = 7,750,000 → 5,000¢ + 5,750,000 × 0.00343¢ (19,722.5 → 19,723¢) = 24,723¢
      projected_usage: '7750000',
      projected_amount: 24723,
      free_allocation: '1000000',
      billing_limit: null,
      unit_limit: null,
      quota_limited: false,
    });
    expect(pa.tiers).toHaveLength(7);
    expect(pa.tiers[1]).toEqual({ up_to: '2000000', unit_amount: '0.005', flat_amount: '0' });
    expect(pa.tiers[6].up_to).toBeNull();
    const sr = s.products.find((p: { product: string }) => p.product === 'session_replay');
    expect(sr).toMatchObject({ plan: 'free', usage: '40', amount: 0, projected_usage: '124', free_allocation: null });
    expect(s.totals).toEqual({ amount: 6715, discount_amount: 0, amount_after_discount: 6715, projected_amount: 24723, projected_discount_amount: 0, projected_amount_after_discount: 24723 });
    expect(s.available_features.map((f: { key: string }) => f.key)).toContain('correlation_analysis');

    const admin = await get(`/admin/v1/customers/${customer}/billing`, viewer.headers);
    expect(admin.statusCode).toBe(200);
    expect(admin.json().totals.amount).toBe(6715);
    expect((await get(`/admin/v1/customers/${customer}/billing`, us.headers)).statusCode).toBe(403);
  });

  it('sets a limit, reports the unit limit, and flags the quota once usage reaches it', async () => {
    const set = await post(`/v1/customers/${customer}/billing-limits`, { product: 'product_analytics', amount: 10_000 });
    expect(set.statusCode).toBe(200);
    // 10,000¢ − 5,000¢ of tier 2 = 5,000¢ at 0.00343¢, rounded half-up once: 1,457,871 events past 2M
    // (× 0.00343 = 5,000.4975 → 5,000¢; one more is 5,000.501 → 5,001¢).
    expect(set.json()).toMatchObject({ object: 'billing_limit', product: 'product_analytics', amount: 10_000, currency: 'usd', unit_limit: '3457871', list_amount_allowed: 10_000, usage: '2500000', quota_limited: false, next_amount: null });
    const list = await get(`/v1/customers/${customer}/billing-limits`);
    expect(list.json().data).toHaveLength(1);

    const more = await post('/v1/usage', { events: [{ id: 'e3', customer: 'team_bill', metric: 'events', value: 957_871, timestamp: '2026-03-19T23:00:00Z' }] });
    expect(more.json().accepted).toBe(1);
    const state = (await get(`/v1/customers/${customer}/billing`)).json();
    expect(state.products[0]).toMatchObject({ product: 'product_analytics', usage: '3457871', unit_limit: '3457871', quota_limited: true, billing_limit: { amount: 10_000, currency: 'usd', next_amount: null, next_from: null } });
    const limited = await database().db.select().from(events).where(eq(events.type, 'customer.quota_limited'));
    expect(limited.map((e) => e.customerId)).toEqual([customer]);

    const next = await post(`/v1/customers/${customer}/billing-limits`, { product: 'product_analytics', amount: null, effective: 'next_period' });
    expect(next.json()).toMatchObject({ amount: 10_000, next_amount: null, next_from: '2026-04-10T00:00:00.000Z', quota_limited: true });
  });

  it('serves current-period usage per aggregation', async () => {
    const res = await get(`/v1/customers/${customer}/usage?metric=events`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      object: 'list',
      customer,
      period_start: '2026-03-10T00:00:00.000Z',
      period_end: '2026-04-10T00:00:00.000Z',
      subscribed: true,
      data: [{ metric: 'events', product: 'product_analytics', sum: '3457871', count: '3', max: '2000000', last: '957871', unique: null, billed_aggregation: 'sum' }],
    });
    const all = (await get(`/v1/customers/${customer}/usage`)).json();
    expect(all.data.map((m: { metric: string }) => m.metric)).toEqual(['events', 'grouped_events', 'recordings', 'feature_flag_requests']);
    // Without a subscription: the calendar month, still metered.
    const none = (await get(`/v1/customers/${bare}/usage?metric=recordings`)).json();
    expect(none).toMatchObject({ subscribed: false, period_start: '2026-03-01T00:00:00.000Z', period_end: '2026-04-01T00:00:00.000Z' });
    const bareState = (await get(`/v1/customers/${bare}/billing`)).json();
    expect(bareState).toMatchObject({ subscription: null, period_start: null, products: [], totals: { amount: 0 } });
  });

  it('keeps every route to the customer’s own instance (R1)', async () => {
    for (const url of [`/v1/customers/${customer}/billing`, `/v1/customers/${customer}/billing-limits`, `/v1/customers/${customer}/usage`, `/v1/customers/${customer}/usage?metric=events`]) {
      const res = await get(url, eu.headers);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.type).toBe('not_found');
    }
    const before = await database().db.select().from(billingLimits).where(eq(billingLimits.customerId, customer));
    const res = await post(`/v1/customers/${customer}/billing-limits`, { product: 'product_analytics', amount: 1 }, eu.headers);
    expect(res.statusCode).toBe(404);
    expect(await database().db.select().from(billingLimits).where(eq(billingLimits.customerId, customer))).toEqual(before);
    for (const url of [`/v1/customers/${customer}/billing`, `/v1/customers/${customer}/billing-limits`]) expect((await app.inject({ url })).statusCode).toBe(401);
  });

  it('refuses bad input with 400 naming the field, writing nothing', async () => {
    const rowsBefore = await database().db.select().from(billingLimits);
    const eventsBefore = (await database().db.select().from(events).where(eq(events.customerId, customer))).length;
    const url = `/v1/customers/${customer}/billing-limits`;
    const bad: [object, string][] = [
      [{ product: 'nope', amount: 100 }, 'product'],
      [{ product: 'product_analytics', amount: -5 }, 'amount'],
      [{ product: 'product_analytics', amount: 12.5 }, 'amount'],
      [{ product: 'product_analytics', amount: '100' }, 'amount'],
      [{ product: 'product_analytics' }, 'amount'],
      [{ product: 'product_analytics', amount: 100, effective: 'tomorrow' }, 'effective'],
      [{ product: 'product_analytics', amount: 100, currency: 'eur' }, 'currency'],
      [{ amount: 100 }, 'product'],
    ];
    for (const [payload, param] of bad) {
      const res = await post(url, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.param, JSON.stringify(payload)).toBe(param);
    }
    const noSub = await post(`/v1/customers/${bare}/billing-limits`, { product: 'product_analytics', amount: 100, effective: 'next_period' });
    expect(noSub.statusCode).toBe(409);
    expect(noSub.json().error.param).toBe('effective');
    const metric = await get(`/v1/customers/${customer}/usage?metric=bogus`);
    expect(metric.statusCode).toBe(400);
    expect(metric.json().error).toMatchObject({ code: 'metric_unknown', param: 'metric' });
    expect(await database().db.select().from(billingLimits)).toEqual(rowsBefore);
    expect((await database().db.select().from(events).where(eq(events.customerId, customer))).length).toBe(eventsBefore);
  });
});
