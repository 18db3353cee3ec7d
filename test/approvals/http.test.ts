import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { parseApprovalPolicy } from '../../src/billing/approvals/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { buildServer } from '../../src/http/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { describeDb } from '../support/db.js';
import { example } from '../coupons/helpers.js';

describeDb('HTTP: coupons, credits and approvals', (database) => {
  const clock = new ManualClock('2026-05-01T09:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let viewer: SeededStaff;
  let support: SeededStaff;
  let admin: SeededStaff;
  let approver: SeededStaff;
  let owner: SeededStaff;
  let approver2: SeededStaff;
  let seq = 0;

  type Who = { headers: { authorization: string } };
  const post = (who: Who, url: string, payload: unknown = {}, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, headers: { ...who.headers, ...headers }, payload: payload as Record<string, unknown> });
  const get = (who: Who, url: string) => app.inject({ url, headers: who.headers });
  const newCustomer = async () => (await post(us, '/v1/customers', { external_id: `team_${++seq}`, currency: 'usd' })).json().id as string;

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    app = await buildServer({ database: database(), clock, logger: createLogger({ level: 'silent', pretty: false }), version: 'test', approvals: parseApprovalPolicy('subscription_change,coupon_above:100000') });
    await app.ready();
    us = await seedInstance(database(), clock, 'us');
    viewer = await seedStaff(database(), clock, 'viewer');
    support = await seedStaff(database(), clock, 'support');
    admin = await seedStaff(database(), clock, 'billing_admin');
    approver = await seedStaff(database(), clock, 'approver');
    owner = await seedStaff(database(), clock, 'owner');
    approver2 = await seedStaff(database(), clock, 'approver');
  });
  afterAll(async () => app.close());

  it('creates a coupon with a code shown once (never replayed), checks roles and reasons, and lists it', async () => {
    const body = { name: 'Two months of Team, prepaid', amount_from_plan: { product: 'session_replay', plan: 'team', months: 2 }, currency: 'usd', duration: 'once', customer_facing_code: true, ticket: 'ZD-42' };
    expect((await post(viewer, '/admin/v1/coupons', body)).statusCode).toBe(403);
    const noWhy = await post(support, '/admin/v1/coupons', { ...body, ticket: undefined });
    expect(noWhy.json().error).toMatchObject({ code: 'reason_required', param: 'reason' });

    const res = await post(support, '/admin/v1/coupons', body, { 'idempotency-key': 'coupon-1' });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ object: 'coupon', amount_off: 9000, currency: 'usd', duration: 'once', max_redemptions: 1, has_code: true });
    expect(c.code).toMatch(/^[A-HJ-NP-Za-km-np-z2-9]{12}$/);
    expect(c.code_hint).toBe(`…${c.code.slice(-4)}`);
    const replay = await post(support, '/admin/v1/coupons', body, { 'idempotency-key': 'coupon-1' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toMatchObject({ id: c.id, code: null });

    expect((await get(viewer, `/admin/v1/coupons/${c.id}`)).json()).not.toHaveProperty('code');
    expect((await get(viewer, '/admin/v1/coupons')).json().data.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await get(viewer, '/admin/v1/coupon-value?product=product_analytics&plan=enterprise&currency=usd&months=3')).json()).toMatchObject({ amount: 750_000, currency: 'usd' });

    // The instance redeems it at checkout.
    const cus = await newCustomer();
    const redeemed = await post(us, `/v1/customers/${cus}/coupon`, { code: c.code });
    expect(redeemed.statusCode).toBe(200);
    expect(redeemed.json()).toMatchObject({ object: 'discount', customer: cus, coupon: { id: c.id, times_redeemed: 1 } });
    expect((await get(us, `/v1/customers/${cus}/coupon`)).json()).toMatchObject({ customer: cus, discount: { coupon: { id: c.id } } });

    // Retiring needs billing_admin.
    expect((await post(support, `/admin/v1/coupons/${c.id}/retire`, { reason: 'done' })).statusCode).toBe(403);
    expect((await post(admin, `/admin/v1/coupons/${c.id}/retire`, { reason: 'done' })).json()).toMatchObject({ retired: '2026-05-01T09:00:00.000Z' });
    const audit = (await get(viewer, `/admin/v1/audit?target=${c.id}`)).json();
    expect(audit.data.map((a: { action: string }) => a.action)).toEqual(['coupon.retire', 'coupon.create']);
  });

  it('a coupon above the policy threshold is 202 with the pending approval; an approver creates it', async () => {
    const res = await post(support, '/admin/v1/coupons', { name: 'Big prepaid', amount_off: 150_000, currency: 'usd', duration: 'once', reason: 'annual deal' });
    expect(res.statusCode).toBe(202);
    const a = res.json();
    expect(a).toMatchObject({ object: 'approval_request', kind: 'coupon_create', status: 'pending', code: null });
    const ok = await post(approver, `/admin/v1/approvals/${a.id}/approve`, { note: 'signed order form' });
    expect(ok.statusCode).toBe(200);
    const couponId = ok.json().approval_request.result.coupon;
    expect((await get(viewer, `/admin/v1/coupons/${couponId}`)).json()).toMatchObject({ name: 'Big prepaid', amount_off: 150_000 });
  });

  it('applies one coupon per customer: a second is a 409 naming the first; stack merges; the code route rate-limits', async () => {
    const cus = await newCustomer();
    const mk = async (amount_off: number, name: string) => (await post(support, '/admin/v1/coupons', { name, amount_off, currency: 'usd', duration: 'once', reason: 'goodwill' })).json().id as string;
    const a = await mk(1000, 'Outage A');
    const b = await mk(500, 'Outage B');
    expect((await post(support, `/admin/v1/customers/${cus}/coupon`, { coupon: a, reason: 'outage' })).json()).toMatchObject({ discount: { coupon: { id: a } }, stack: null });
    const second = await post(support, `/admin/v1/customers/${cus}/coupon`, { coupon: b, reason: 'outage' });
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatchObject({ code: 'customer_has_coupon', param: 'coupon' });
    expect(second.json().error.message).toContain(a);
    const stacked = await post(support, `/admin/v1/customers/${cus}/coupon/stack`, { coupon: b, reason: 'second outage' });
    expect(stacked.statusCode).toBe(200);
    expect(stacked.json()).toMatchObject({ discount: { coupon: { amount_off: 1500, duration: 'once', name: 'Stacked: Outage A + Outage B' } }, stack: { total_value: 1500 }, replaced: { coupon: a, retire_reason: 'stacked_into' } });
    expect((await get(viewer, `/admin/v1/customers/${cus}/coupons`)).json().data).toHaveLength(2);

    const other = await newCustomer();
    for (let i = 0; i < 5; i++) expect((await post(us, `/v1/customers/${other}/coupon`, { code: `Nope${i}Nope22` })).json().error.code).toBe('coupon_code_invalid');
    const limited = await post(us, `/v1/customers/${other}/coupon`, { code: 'Nope9Nope22x' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ type: 'rate_limited', code: 'rate_limited' });
    expect((await post(support, `/admin/v1/customers/${cus}/coupon/remove`, { reason: 'ended' })).json()).toMatchObject({ retire_reason: 'removed' });
  });

  it('credits: support requests, the approver sees earlier credits first, the requester cannot approve, approval is final', async () => {
    const cus = await newCustomer();
    const first = await post(owner, '/admin/v1/credit-requests', { customer: cus, amount: 1200, reason: 'March outage', ticket: 'ZD-1' });
    expect(first.statusCode).toBe(201);
    const firstId = first.json().credit_request.id;
    expect((await post(owner, `/admin/v1/credit-requests/${firstId}/approve`, {})).json().error).toMatchObject({ type: 'permission', code: 'self_approval' });
    expect((await post(support, `/admin/v1/credit-requests/${firstId}/approve`, {})).json().error).toMatchObject({ code: 'role_required' });
    expect((await post(approver, '/admin/v1/credit-requests', { customer: cus, amount: 1, reason: 'x' })).statusCode).toBe(403);
    clock.advance(86_400_000);
    expect((await post(approver, `/admin/v1/credit-requests/${firstId}/approve`, { note: 'ok' })).json()).toMatchObject({ credit_request: { status: 'approved', decided_by: approver.staff.id } });
    const twice = await post(approver2, `/admin/v1/credit-requests/${firstId}/approve`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('approval_decided');

    const second = (await post(support, '/admin/v1/credit-requests', { customer: cus, amount: 3000, reason: 'Wrong invoice' })).json();
    expect(Object.keys(second)).toEqual(['object', 'earlier_credits', 'credit_request']);
    expect(second.earlier_credits).toEqual([
      expect.objectContaining({ credit_request: firstId, amount: 1200, currency: 'usd', reason: 'March outage', ticket: 'ZD-1', approved_by: approver.staff.id, approved: '2026-05-02T09:00:00.000Z' }),
    ]);
    const queue = (await get(viewer, `/admin/v1/approvals?kind=credit&customer=${cus}`)).json();
    expect(queue.data).toHaveLength(1);
    expect(queue.data[0]).toMatchObject({ credit_request: { id: second.credit_request.id }, earlier_credits: [{ credit_request: firstId }], approval_request: { kind: 'credit', status: 'pending' } });
    expect(Object.keys(queue.data[0])[0]).toBe('earlier_credits');
    const rejected = await post(approver, `/admin/v1/credit-requests/${second.credit_request.id}/reject`, { note: 'invoice was right' });
    expect(rejected.json().credit_request).toMatchObject({ status: 'rejected', decision_note: 'invoice was right' });
    expect((await get(viewer, `/admin/v1/credit-requests?customer=${cus}`)).json().data.map((r: { status: string }) => r.status)).toEqual(['rejected', 'approved']);
    const ledger = (await get(viewer, `/admin/v1/credit-requests/${firstId}`)).json();
    expect(ledger.credit_request.balance_transaction).toMatch(/^cbtxn_/);
  });

  it('a staff plan change under the policy is 202 pending; an approver carries it out once', async () => {
    const cus = await newCustomer();
    expect((await post(us, `/v1/customers/${cus}/subscription`, { items: [{ product: 'product_analytics' }] })).statusCode).toBe(201);
    const res = await post(support, `/admin/v1/customers/${cus}/subscription/change`, { product: 'product_analytics', plan: 'paid', reason: 'upgrade' });
    expect(res.statusCode).toBe(202);
    const a = res.json();
    expect(a).toMatchObject({ object: 'approval_request', kind: 'subscription_change', customer: cus, payload: { product: 'product_analytics', plan: 'paid' } });
    expect((await get(us, `/v1/customers/${cus}/subscription`)).json().items.map((i: { plan: string }) => i.plan)).toEqual(['free']);
    const ok = await post(approver, `/admin/v1/approvals/${a.id}/approve`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().approval_request).toMatchObject({ status: 'approved', executed: expect.any(String) });
    expect((await get(us, `/v1/customers/${cus}/subscription`)).json().items.map((i: { plan: string }) => i.plan)).toEqual(['paid']);
    expect((await post(owner, `/admin/v1/approvals/${a.id}/approve`)).statusCode).toBe(409);
    // The same request through the generic route, then rejected.
    const b = (await post(support, '/admin/v1/approvals', { kind: 'subscription_change', customer: cus, payload: { product: 'product_analytics', plan: 'free' }, ticket: 'ZD-9' })).json();
    expect((await post(approver, `/admin/v1/approvals/${b.approval_request.id}/reject`, { note: 'no' })).json().approval_request.status).toBe('rejected');
    expect((await get(viewer, '/admin/v1/approval-policy')).json()).toEqual({ policy: 'credit,subscription_change,coupon_above:100000', credit: true, subscription_change: true, coupon_above: 100000, custom_price: false });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/coupons', '/admin/v1/customers/{id}/coupon/stack', '/v1/customers/{id}/coupon', '/admin/v1/credit-requests/{id}/approve', '/admin/v1/approvals/{id}/approve']),
    );
  });
});
