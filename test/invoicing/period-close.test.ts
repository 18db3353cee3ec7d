import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { closeSubscriptionPeriod } from '../../src/billing/invoicing/index.js';
import { listInvoices } from '../../src/billing/invoices/index.js';
import { getSubscription, subscribe } from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { runDueJobs } from '../../src/jobs/index.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { ManualClock } from '../../src/shared/clock.js';
import { invoices } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('period close (R17)', (database) => {
  const clock = new ManualClock('2026-01-31T10:00:00Z');
  let ctx: ServiceContext;
  let instanceId: string;
  let customerId: string;
  const run = () => runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() });
  const usage = (events: { id: string; metric: string; value: number; timestamp: string }[]) =>
    ingestUsage(ctx, instanceId, events.map((e) => ({ ...e, customer: customerId })));

  beforeAll(async () => {
    ctx = { db: database().db, clock, actor: systemActor('test') };
    await activateCatalogConfig(ctx.db, clock, example, 'billing.yaml');
    instanceId = (await createInstance(ctx, { slug: 'us' })).id;
    customerId = (await createCustomer(ctx, { instanceId, externalId: 'team_close', currency: 'usd', billingEmail: 'b@x.test' })).id;
    // Anchored on Jan 31: periods end Feb 28, then Mar 31 (month-end clamping from the anchor).
    await subscribe(ctx, customerId, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay', plan: 'team' }], anchor: new Date('2026-01-31T00:00:00Z') });
    await run();
  });

  it('bills nothing up front when every item is metered', async () => {
    expect(await listInvoices(ctx, { customerId, limit: 10 })).toMatchObject({ data: [] });
  });

  it('invoices the period once, after the grace period, with one line per tier and the credit applied', async () => {
    // 2,500,000 events and 20,000 recordings in the period.
    clock.set('2026-02-20T00:00:00Z');
    for (let i = 0; i < 5; i++) await usage([{ id: `pa-${i}`, metric: 'events', value: 500_000, timestamp: `2026-02-0${i + 1}T12:00:00Z` }]);
    await usage([{ id: 'sr-1', metric: 'recordings', value: 20_000, timestamp: '2026-02-10T12:00:00Z' }]);
    await addBalanceTransaction(ctx, { customerId, amount: -2_000n, currency: 'USD', type: 'credit', description: 'goodwill' });

    clock.set('2026-02-28T00:30:00Z');
    await run(); // the period rolled over; its invoice waits for late usage
    expect((await getSubscription(ctx, customerId))?.currentPeriodEnd.toISOString()).toBe('2026-03-31T00:00:00.000Z');
    expect((await listInvoices(ctx, { customerId, limit: 10 })).data).toHaveLength(0);
    // Late usage for the closed period still counts within the grace period.
    expect((await usage([{ id: 'late-1', metric: 'events', value: 0, timestamp: '2026-02-27T23:59:00Z' }])).accepted).toBe(1);

    clock.set('2026-02-28T01:00:01Z');
    await run();
    const list = (await listInvoices(ctx, { customerId, limit: 10 })).data;
    expect(list).toHaveLength(1);
    const inv = list[0]!;
    // Product analytics: 1M free + 1M × 0.005¢ (5000) + 0.5M × 0.00343¢ (1715) = 6715¢.
    // Session replay team: 15,000 incl. flat 4500¢ + 5,000 × 0.35¢ (1750) = 6250¢. Total 12965¢.
    expect(inv.lines.map((l) => [l.productKey, l.quantity.toString(), l.amount])).toEqual([
      ['product_analytics', '1000000', 0n],
      ['product_analytics', '1000000', 5000n],
      ['product_analytics', '500000', 1715n],
      ['session_replay', '15000', 4500n],
      ['session_replay', '5000', 1750n],
    ]);
    expect(inv).toMatchObject({ status: 'open', subtotal: 12_965n, total: 12_965n, amountDue: 10_965n, collectionMethod: 'charge_automatically' });
    expect(inv.number).toBe('US-000001');
    expect(inv.periodStart?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(inv.periodEnd?.toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });

  it('closing the same period again changes nothing (one invoice per subscription and period)', async () => {
    const sub = await getSubscription(ctx, customerId);
    const again = await closeSubscriptionPeriod(ctx, { subscription_id: sub!.id, period_start: '2026-01-31T00:00:00.000Z', period_end: '2026-02-28T00:00:00.000Z', reason: 'roll_over' });
    const rows = await ctx.db.select({ id: invoices.id }).from(invoices).where(and(eq(invoices.customerId, customerId)));
    expect(rows).toHaveLength(1);
    expect(again?.id).toBe(rows[0]?.id);
  });

  it('refuses usage for a period whose invoice is finalized', async () => {
    const r = await usage([{ id: 'too-late', metric: 'events', value: 5, timestamp: '2026-02-27T12:00:00Z' }]);
    expect(r.results[0]).toMatchObject({ status: 'rejected', code: 'period_closed', param: 'timestamp' });
    const ok = await usage([{ id: 'current', metric: 'events', value: 5, timestamp: '2026-02-28T00:45:00Z' }]);
    expect(ok.accepted).toBe(1);
  });

  it('bills flat up-front fees in advance when the subscription starts', async () => {
    const ent = (await createCustomer(ctx, { instanceId, externalId: 'team_enterprise', currency: 'usd' })).id;
    await subscribe(ctx, ent, { items: [{ product: 'product_analytics', plan: 'enterprise' }] });
    expect((await run()).failed).toBe(0);
    const list = (await listInvoices(ctx, { customerId: ent, limit: 10 })).data;
    expect(list).toHaveLength(1);
    expect(list[0]!.lines.map((l) => [l.source, l.amount])).toEqual([['up_front', 3_000_000n]]);
    expect(list[0]!.metadata).toMatchObject({ billing_reason: 'subscription_create' });
    await run();
    expect((await listInvoices(ctx, { customerId: ent, limit: 10 })).data).toHaveLength(1);
  });
});
