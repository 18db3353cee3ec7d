import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

/** The admin endpoints the admin UI reads: catalog, daily usage, credit ledger, staff, plan-change preview. */
describeDb('admin API for the admin UI', (database) => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let viewer: SeededStaff;
  let support: SeededStaff;
  let owner: SeededStaff;
  let customer: string;
  let versionId: string;
  const ctx = () => ({ db: database().db, clock, actor: systemActor('test') });

  beforeAll(async () => {
    versionId = (await activateCatalogConfig(database().db, clock, example, 'billing.yaml')).version.id;
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    viewer = await seedStaff(database(), clock, 'viewer');
    support = await seedStaff(database(), clock, 'support');
    owner = await seedStaff(database(), clock, 'owner');
    customer = (await app.inject({ method: 'POST', url: '/v1/customers', headers: us.headers, payload: { external_id: 'team_ui', currency: 'usd' } })).json().id;
    await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription`, headers: us.headers, payload: { items: [{ product: 'product_analytics', plan: 'paid' }] } });
    clock.set('2026-06-10T08:00:00Z');
    const events = [
      { id: 'may', customer, metric: 'events', value: 5, timestamp: '2026-05-20T10:00:00Z' },
      ...[1, 2, 3].map((i) => ({ id: `jun${i}`, customer, metric: 'events', value: 800_000, timestamp: `2026-06-0${i + 1}T10:00:00Z` })),
      { id: 'jun1b', customer, metric: 'events', value: 7, timestamp: '2026-06-02T23:00:00Z' },
    ];
    const ingest = await app.inject({ method: 'POST', url: '/v1/usage', headers: us.headers, payload: { events } });
    expect(ingest.json().accepted).toBe(5);
  });
  afterAll(async () => app.close());

  it('shows the catalog in force with its version, plans, features and price tiers', async () => {
    const res = await app.inject({ url: '/admin/v1/catalog', headers: viewer.headers });
    expect(res.statusCode).toBe(200);
    const c = res.json();
    expect(c.version).toMatchObject({ id: versionId, source_name: 'billing.yaml', activated: '2026-06-01T08:00:00.000Z' });
    expect(c.versions.map((v: { id: string }) => v.id)).toEqual([versionId]);
    const analytics = c.products.find((p: { key: string }) => p.key === 'product_analytics');
    expect(analytics).toMatchObject({ metric: 'events', unit: 'event', default_plan: 'free', default_paid_plan: 'paid' });
    const paid = analytics.plans.find((p: { key: string }) => p.key === 'paid');
    expect(paid.premium).toBe(true);
    expect(paid.features.find((f: { key: string }) => f.key === 'projects')).toEqual({ key: 'projects', name: 'Projects', limit: 6 });
    const usd = paid.prices.find((p: { key: string }) => p.key === 'product_analytics.paid.usd.month');
    expect(usd).toMatchObject({ currency: 'usd', interval: 'month', type: 'tiered', tiers_mode: 'graduated', metric: 'events', aggregation: 'sum' });
    expect(usd.tiers.slice(0, 2)).toEqual([
      { up_to: '1000000', unit_amount: '0', flat_amount: '0' },
      { up_to: '2000000', unit_amount: '0.005', flat_amount: '0' },
    ]);
    expect(usd.tiers.at(-1).up_to).toBeNull();
    expect((await app.inject({ url: '/admin/v1/catalog', headers: us.headers })).statusCode).toBe(403);
  });

  it('gives daily usage per metered product for the current and the previous period', async () => {
    const res = await app.inject({ url: `/admin/v1/customers/${customer}/usage/daily`, headers: viewer.headers });
    expect(res.statusCode).toBe(200);
    const u = res.json();
    expect(u.subscribed).toBe(true);
    expect(u.current_period).toEqual({ start: '2026-06-01', end: '2026-07-01' });
    expect(u.previous_period).toEqual({ start: '2026-05-01', end: '2026-06-01' });
    const events = u.products.find((p: { product: string }) => p.product === 'product_analytics');
    expect(events).toMatchObject({ metric: 'events', aggregation: 'sum' });
    // Two events on June 2 (800,000 + 7) make one point.
    expect(events.current).toEqual([
      { day: '2026-06-02', value: '800007' },
      { day: '2026-06-03', value: '800000' },
      { day: '2026-06-04', value: '800000' },
    ]);
    expect(events.previous).toEqual([{ day: '2026-05-20', value: '5' }]);
    expect((await app.inject({ url: '/admin/v1/customers/cus_nope/usage/daily', headers: viewer.headers })).statusCode).toBe(404);
  });

  it('lists the credit ledger newest first with the balance', async () => {
    await addBalanceTransaction(ctx(), { customerId: customer, amount: -2_500n, currency: 'USD', type: 'credit', description: 'goodwill' });
    await addBalanceTransaction(ctx(), { customerId: customer, amount: 400n, currency: 'USD', type: 'adjustment', description: 'correction' });
    const res = await app.inject({ url: `/admin/v1/customers/${customer}/balance-transactions`, headers: viewer.headers });
    expect(res.statusCode).toBe(200);
    const l = res.json();
    expect(l).toMatchObject({ balance: -2_100, currency: 'usd', has_more: false });
    expect(l.data.map((t: { amount: number; ending_balance: number; type: string }) => [t.type, t.amount, t.ending_balance])).toEqual([
      ['adjustment', 400, -2_100],
      ['credit', -2_500, -2_500],
    ]);
  });

  it('previews the next invoice as it would be after a plan change, writing nothing', async () => {
    const url = `/admin/v1/customers/${customer}/upcoming-invoice`;
    const now = (await app.inject({ url, headers: viewer.headers })).json();
    // 2,400,007 events on paid: 1M free, 1M × 0.005¢ = 5000¢, 400,007 × 0.00343¢ = 1372.02…¢ → 1372¢; 6372¢.
    expect(now.total).toBe(6_372);
    const toFree = await app.inject({ url: `${url}?product=product_analytics&plan=free`, headers: viewer.headers });
    expect(toFree.statusCode).toBe(200);
    // No proration: the whole period's usage at the free plan's $0.
    expect(toFree.json().lines.map((l: { quantity: string; amount: number }) => [l.quantity, l.amount])).toEqual([['2400007', 0]]);
    expect(toFree.json().total).toBe(0);
    const bad = await app.inject({ url: `${url}?plan=free`, headers: viewer.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('product');
    const unknownPlan = await app.inject({ url: `${url}?product=product_analytics&plan=nope`, headers: viewer.headers });
    expect(unknownPlan.statusCode).toBe(404);
    const sub = (await app.inject({ url: `/admin/v1/customers/${customer}/subscription`, headers: viewer.headers })).json();
    expect(sub.items.map((i: { plan: string }) => i.plan)).toEqual(['paid']);
  });

  it('lets an owner create staff who can sign in; others can list but not create', async () => {
    const body = { email: 'Finance.Lead@example.com', name: 'Fay Finance', role: 'approver', password: 'a good long password', reason: 'new finance lead' };
    expect((await app.inject({ method: 'POST', url: '/admin/v1/staff', headers: support.headers, payload: body })).statusCode).toBe(403);
    const created = await app.inject({ method: 'POST', url: '/admin/v1/staff', headers: owner.headers, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ object: 'staff', email: 'finance.lead@example.com', role: 'approver' });
    expect(JSON.stringify(created.json())).not.toContain('a good long password');
    const dup = await app.inject({ method: 'POST', url: '/admin/v1/staff', headers: owner.headers, payload: body });
    expect(dup.statusCode).toBe(409);
    const session = await app.inject({ method: 'POST', url: '/admin/v1/sessions', payload: { email: 'finance.lead@example.com', password: 'a good long password' } });
    expect(session.statusCode).toBe(201);
    const list = await app.inject({ url: '/admin/v1/staff', headers: { authorization: `Bearer ${session.json().token}` } });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((s: { email: string }) => s.email)).toContain('finance.lead@example.com');
    const audit = await app.inject({ url: `/admin/v1/audit?action=staff.create&target=${created.json().id}`, headers: viewer.headers });
    expect(audit.json().data[0]).toMatchObject({ actor_id: owner.staff.id, reason: 'new finance lead' });
  });

  it("lists a coupon's holders (its usage)", async () => {
    const created = await app.inject({ method: 'POST', url: '/admin/v1/coupons', headers: support.headers, payload: { name: 'Ten off', amount_off: 1_000, currency: 'usd', duration: 'once', reason: 'test' } });
    expect(created.statusCode).toBe(201);
    const coupon = created.json().id;
    expect((await app.inject({ url: `/admin/v1/coupons/${coupon}/holders`, headers: viewer.headers })).json().data).toEqual([]);
    const applied = await app.inject({ method: 'POST', url: `/admin/v1/customers/${customer}/coupon`, headers: support.headers, payload: { coupon, ticket: 'SUP-1' } });
    expect(applied.statusCode).toBe(200);
    const holders = (await app.inject({ url: `/admin/v1/coupons/${coupon}/holders`, headers: viewer.headers })).json().data;
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatchObject({ customer, coupon, invoices_applied: 0, retired: null });
    expect((await app.inject({ url: '/admin/v1/coupons/coupon_nope/holders', headers: viewer.headers })).statusCode).toBe(404);
  });

  it('lets staff change their own password with the current one', async () => {
    await app.inject({ method: 'POST', url: '/admin/v1/staff', headers: owner.headers, payload: { email: 'pat@example.com', name: 'Pat', role: 'viewer', password: 'first password 1', reason: 'test' } });
    const token = (await app.inject({ method: 'POST', url: '/admin/v1/sessions', payload: { email: 'pat@example.com', password: 'first password 1' } })).json().token;
    const headers = { authorization: `Bearer ${token}` };
    const wrong = await app.inject({ method: 'POST', url: '/admin/v1/staff/me/password', headers, payload: { current_password: 'not it at all', new_password: 'second password 2' } });
    expect([wrong.statusCode, wrong.json().error.param]).toEqual([400, 'current_password']);
    const short = await app.inject({ method: 'POST', url: '/admin/v1/staff/me/password', headers, payload: { current_password: 'first password 1', new_password: 'short' } });
    expect([short.statusCode, short.json().error.param]).toEqual([400, 'new_password']);
    const ok = await app.inject({ method: 'POST', url: '/admin/v1/staff/me/password', headers, payload: { current_password: 'first password 1', new_password: 'second password 2' } });
    expect(ok.json()).toEqual({ changed: true });
    const signIn = (password: string) => app.inject({ method: 'POST', url: '/admin/v1/sessions', payload: { email: 'pat@example.com', password } });
    expect((await signIn('first password 1')).statusCode).toBe(401);
    expect((await signIn('second password 2')).statusCode).toBe(201);
  });
});
