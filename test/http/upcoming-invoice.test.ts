import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { listInvoices } from '../../src/billing/invoices/index.js';
import { runDueJobs } from '../../src/jobs/index.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('upcoming invoice preview', (database) => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let viewer: SeededStaff;
  let customer: string;
  const ctx = () => ({ db: database().db, clock, actor: systemActor('test') });
  const preview = (headers = us.headers) => app.inject({ url: `/v1/customers/${customer}/upcoming-invoice`, headers });

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    viewer = await seedStaff(database(), clock, 'viewer');
    customer = (await app.inject({ method: 'POST', url: '/v1/customers', headers: us.headers, payload: { external_id: 'team_prev', currency: 'usd' } })).json().id;
    await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription`, headers: us.headers, payload: { items: [{ product: 'product_analytics', plan: 'paid' }] } });
  });
  afterAll(async () => app.close());

  it('prices usage so far per tier, applies the credit, and writes nothing', async () => {
    clock.set('2026-06-10T08:00:00Z');
    await app.inject({
      method: 'POST',
      url: '/v1/usage',
      headers: us.headers,
      payload: { events: [1, 2, 3].map((i) => ({ id: `p${i}`, customer, metric: 'events', value: 800_000, timestamp: `2026-06-0${i + 1}T10:00:00Z` })) },
    });
    await addBalanceTransaction(ctx(), { customerId: customer, amount: -1_000n, currency: 'USD', type: 'credit', description: 'goodwill' });
    const res = await preview();
    expect(res.statusCode).toBe(200);
    const p = res.json();
    // 2,400,000 events: 1M free, 1M × 0.005¢ = 5000¢, 0.4M × 0.00343¢ = 1372¢ → 6372¢; credit 1000¢ → 5372¢ due.
    expect(p.lines.map((l: { quantity: string; amount: number }) => [l.quantity, l.amount])).toEqual([
      ['1000000', 0],
      ['1000000', 5000],
      ['400000', 1372],
    ]);
    expect([p.subtotal, p.total, p.applied_balance, p.amount_due]).toEqual([6372, 6372, -1000, 5372]);
    expect(p.closes_at).toBe('2026-07-01T00:00:00.000Z');
    expect((await listInvoices(ctx(), { customerId: customer, limit: 5 })).data).toHaveLength(0);
  });

  it('keeps other instances out, and staff can read it', async () => {
    expect((await preview(eu.headers)).statusCode).toBe(404);
    expect((await app.inject({ url: `/admin/v1/customers/${customer}/upcoming-invoice`, headers: viewer.headers })).statusCode).toBe(200);
  });

  it('matches the real invoice when the period closes', async () => {
    clock.set('2026-06-30T23:59:00Z');
    const before = (await preview()).json();
    clock.set('2026-07-01T01:00:01Z');
    await runDueJobs({ db: database().db, clock, registry: buildJobRegistry() });
    const [inv] = (await listInvoices(ctx(), { customerId: customer, limit: 5 })).data;
    expect(inv).toBeDefined();
    expect([Number(inv!.subtotal), Number(inv!.total), Number(inv!.amountDue)]).toEqual([before.subtotal, before.total, before.amount_due]);
    expect(inv!.lines.map((l) => Number(l.amount))).toEqual(before.lines.map((l: { amount: number }) => l.amount));
  });
});
