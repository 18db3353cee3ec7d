import { beforeAll, expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { applyCoupon, createCoupon } from '../../src/billing/coupons/index.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { listInvoices, type Invoice } from '../../src/billing/invoices/index.js';
import { cancelSubscription, subscribe } from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { claimJobs, executeJobs, JobRegistry, runDueJobs } from '../../src/jobs/index.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

// A $20/month platform fee plus graduated metered events: 1,000 free, then 0.5¢, then 0.2¢ above 100,000.
const config = `
version: 1
products:
  - key: platform
    name: Platform
    default_plan: pro
    plans:
      pro:
        name: Pro
        prices: [{ currency: usd, interval: month, flat: { amount: 2000 } }]
  - key: events
    name: Events
    metric: events
    unit: event
    default_plan: paid
    plans:
      paid:
        name: Paid
        prices:
          - currency: usd
            interval: month
            metered: { aggregation: sum }
            tiered:
              mode: graduated
              tiers: [{ up_to: 1000, unit_amount: 0 }, { up_to: 100000, unit_amount: 0.5 }, { up_to: inf, unit_amount: 0.2 }]
`;

/** The same registry with every batch option removed: each job runs alone, as before batching. */
function singleJobRegistry(): JobRegistry {
  const batched = buildJobRegistry();
  const single = new JobRegistry();
  for (const kind of batched.list()) {
    const k = batched.get(kind)!;
    single.register(kind, k.handler, k.everyMs === undefined ? {} : { everyMs: k.everyMs });
  }
  return single;
}

/** What must not depend on batching: everything an invoice says, bar generated ids and the number's prefix. */
function comparable(inv: Invoice) {
  return {
    number: inv.number?.replace(/^[A-Z]+-/, ''),
    status: inv.status,
    period: [inv.periodStart?.toISOString(), inv.periodEnd?.toISOString()],
    totals: [inv.subtotal, inv.discountTotal, inv.total, inv.startingBalance, inv.appliedBalance, inv.amountDue, inv.amountPaid],
    discount: inv.discount?.name ?? null,
    metadata: { ...inv.metadata, subscription: inv.metadata.subscription ? "(id)" : undefined },
    paymentMethodTypes: inv.paymentMethodTypes,
    lines: inv.lines.map((l) => [l.description, l.quantity.toString(), l.unitAmount?.toString() ?? null, l.amount, l.discountAmount, l.tier]),
  };
}

describeDb('period close in batches gives exactly the invoices of one close per job', (database) => {
  beforeAll(async () => {
    await activateCatalogConfig(database().db, new ManualClock('2026-02-01T00:00:00Z'), config, 'batch.yaml');
  });

  /**
   * One instance's month: customers that cover each path of a close — plain usage, a coupon, a credit
   * larger than one invoice, a cancel at period end, no usage at all — then the clock jumps two months at
   * once, so every subscription closes two periods in one run (two per customer in one batch).
   */
  async function runInstance(slug: string, registry: JobRegistry): Promise<Map<string, Invoice[]>> {
    // Each run has its own clock from March 1, over the same database.
    const clock = new ManualClock('2026-03-01T09:00:00Z');
    const ctx = { db: database().db, clock, actor: systemActor('test') };
    const staff: ServiceContext = { ...ctx, actor: { type: 'staff', id: 'stf_test', role: 'owner' } };
    const instanceId = (await createInstance(ctx, { slug })).id;
    const run = () => runDueJobs({ db: ctx.db, clock, registry });
    const ids = new Map<string, string>();
    for (const name of ['plain', 'coupon', 'credit', 'cancels', 'idle']) {
      const id = (await createCustomer(ctx, { instanceId, externalId: `${slug}-${name}`, currency: 'usd' })).id;
      ids.set(name, id);
      await subscribe(ctx, id, { items: [{ product: 'platform' }, { product: 'events' }], anchor: new Date('2026-03-01T00:00:00Z') });
    }
    const { coupon } = await createCoupon(staff, { name: "20% off", percentOff: '20', duration: 'forever' }, { reason: 'test' });
    await applyCoupon(staff, ids.get('coupon')!, coupon.id, {}, { reason: 'test' });
    await addBalanceTransaction(ctx, { customerId: ids.get('credit')!, amount: -3_000n, currency: 'USD', type: 'credit', description: 'goodwill' });
    await cancelSubscription(ctx, ids.get('cancels')!, { atPeriodEnd: true });
    await run();
    clock.set('2026-03-20T12:00:00Z');
    // March usage by every customer but the idle one; the canceling one stops after March.
    const names = [...ids.keys()];
    const events = names.flatMap((name, i) => [
      ...(name === 'idle' ? [] : [{ id: `${name}-1`, customer: `${slug}-${name}`, metric: 'events', value: 5_000 + i * 40_000, timestamp: '2026-03-15T10:00:00Z' }]),
    ]);
    await ingestUsage(ctx, instanceId, events);
    clock.set('2026-05-01T01:00:01Z');
    await run();
    const out = new Map<string, Invoice[]>();
    for (const [name, id] of ids) out.set(name, (await listInvoices(ctx, { customerId: id, limit: 50 })).data.reverse());
    return out;
  }

  it('closes a month end for several customers, with coupons, credits, cancels and missed periods, identically', async () => {
    const single = await runInstance('one', singleJobRegistry());
    const batched = await runInstance('many', buildJobRegistry());
    for (const name of single.keys()) {
      expect(batched.get(name)!.map(comparable), name).toEqual(single.get(name)!.map(comparable));
    }
    // The runs did bill: opening fees, two closed periods each (one for the cancel), usage in tiers.
    const plain = single.get('plain')!;
    expect(plain.map((i) => i.total)).toEqual([2000n, 2000n + 2000n, 2000n]);
    // March: 5,000 events → 1,000 free + 4,000 × 0.5¢ = 2000¢, plus April's 2000¢ fee in advance.
    expect(plain[1]!.lines.filter((l) => l.source === 'usage').map((l) => l.amount)).toEqual([0n, 2000n]);
    expect(single.get('cancels')!.map((i) => i.metadata.billing_reason)).toEqual(['subscription_create', 'subscription_cancel']);
    expect(single.get('credit')!.map((i) => i.appliedBalance)).toEqual([-2000n, -1000n, 0n]);
    expect(single.get('coupon')!.every((i) => i.discountTotal > 0n)).toBe(true);
    expect(single.get('idle')!.map((i) => i.total)).toEqual([2000n, 2000n, 2000n]);
  });
});

describeDb('job batches', (database) => {
  const clock = new ManualClock('2026-03-01T09:00:00Z');

  it('runs a batchable kind together, and one by one when the batch throws, failing only the bad job', async () => {
    const db = database().db;
    const seenBatches: number[] = [];
    const ranAlone: string[] = [];
    const registry = new JobRegistry().register(
      'count',
      async (_ctx, payload) => {
        const n = (payload as { n: number }).n;
        if (n === 3) throw new Error('three is bad');
        ranAlone.push(String(n));
      },
      {
        batch: {
          max: 10,
          handler: async (_ctx, jobs) => {
            seenBatches.push(jobs.length);
            if (jobs.some((j) => (j.payload as { n: number }).n === 3)) throw new Error('a bad job in the batch');
          },
        },
      },
    );
    const { enqueueJobs } = await import('../../src/jobs/index.js');
    const ctx = { db, clock, actor: systemActor('test') };
    await enqueueJobs(ctx, [1, 2, 4, 5].map((n) => ({ kind: 'count', payload: { n } })));
    let claimed = await claimJobs(db, clock, { workerId: 'w', limit: 50 });
    let outcomes = await executeJobs({ db, clock, registry }, claimed);
    expect(seenBatches).toEqual([4]);
    expect(ranAlone).toEqual([]);
    expect([...outcomes.values()].map((o) => o.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

    await enqueueJobs(ctx, [6, 3, 7].map((n) => ({ kind: 'count', payload: { n } })));
    claimed = await claimJobs(db, clock, { workerId: 'w', limit: 50 });
    outcomes = await executeJobs({ db, clock, registry }, claimed);
    expect(seenBatches).toEqual([4, 3]);
    expect(ranAlone.sort()).toEqual(['6', '7']);
    const byN = new Map(claimed.map((j) => [(j.payload as { n: number }).n, outcomes.get(j.id)?.outcome]));
    expect(byN).toEqual(new Map([[6, 'succeeded'], [3, 'retry'], [7, 'succeeded']]));
    // Nothing is left running: the batch marked its jobs, the fallback recorded each result.
    const left = await claimJobs(db, clock, { workerId: 'w2', limit: 50 });
    expect(left).toEqual([]);
  });

  it('enqueues many jobs in one statement and skips taken dedupe keys', async () => {
    const db = database().db;
    const { enqueueJobs } = await import('../../src/jobs/index.js');
    const ctx = { db, clock, actor: systemActor('test') };
    expect(await enqueueJobs(ctx, [{ kind: 'x', payload: {}, dedupeKey: 'k1' }, { kind: 'x', payload: {}, dedupeKey: 'k2' }])).toBe(2);
    expect(await enqueueJobs(ctx, [{ kind: 'x', payload: {}, dedupeKey: 'k2' }, { kind: 'x', payload: { a: 1 }, dedupeKey: 'k3' }])).toBe(1);
  });
});
