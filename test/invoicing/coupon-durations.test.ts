import { beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { applyCoupon, createCoupon } from '../../src/billing/coupons/index.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { listInvoices } from '../../src/billing/invoices/index.js';
import { subscribe } from '../../src/billing/subscriptions/index.js';
import { runDueJobs } from '../../src/jobs/index.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

// A $100/month flat plan, so each period's invoice is 10000¢ before the coupon.
const config = `
version: 1
products:
  - key: platform
    name: Platform
    default_plan: pro
    plans:
      pro:
        name: Pro
        prices: [{ currency: usd, interval: month, flat: { amount: 10000 } }]
`;

describeDb('coupon durations across periods (R11)', (database) => {
  const clock = new ManualClock('2026-03-01T09:00:00Z');
  let ctx: ServiceContext;
  let staff: ServiceContext;
  let instanceId: string;
  const run = () => runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() });

  beforeAll(async () => {
    ctx = { db: database().db, clock, actor: systemActor('test') };
    staff = { ...ctx, actor: { type: 'staff', id: 'stf_test', role: 'owner' } };
    await activateCatalogConfig(ctx.db, clock, config, 'coupons.yaml');
    instanceId = (await createInstance(ctx, { slug: 'us' })).id;
  });

  /** A customer holding `coupon`, subscribed to the $100 plan from March 1 (March's fee is billed at once). */
  async function customerWith(coupon: Parameters<typeof createCoupon>[1], externalId: string): Promise<string> {
    const customerId = (await createCustomer(ctx, { instanceId, externalId, currency: 'usd' })).id;
    const { coupon: c } = await createCoupon(staff, coupon, { reason: 'test' });
    await applyCoupon(staff, customerId, c.id, {}, { reason: 'test' });
    await subscribe(ctx, customerId, { items: [{ product: 'platform' }], anchor: new Date('2026-03-01T00:00:00Z') });
    await run();
    return customerId;
  }

  it('applies once, repeating and forever coupons to the right invoices', async () => {
    const once = await customerWith({ name: '$25 once', amountOff: 2500n, currency: 'usd', duration: 'once' }, 'once');
    const repeating = await customerWith({ name: '10% for 2 months', percentOff: '10', duration: 'repeating', durationInMonths: 2 }, 'repeating');
    const forever = await customerWith({ name: '50% forever', percentOff: '50', duration: 'forever' }, 'forever');
    for (const month of ['2026-04-01T01:00:01Z', '2026-05-01T01:00:01Z', '2026-06-01T01:00:01Z']) {
      clock.set(month);
      await run();
    }
    const totals = async (customerId: string) => (await listInvoices(ctx, { customerId, limit: 20 })).data.map((i) => i.total).reverse();
    // Each: the March fee (in advance at start), then April, May and June fees: four invoices of 10000¢ list.
    expect(await totals(once)).toEqual([7500n, 10000n, 10000n, 10000n]); // −2500 on the first only
    expect(await totals(repeating)).toEqual([9000n, 9000n, 10000n, 10000n]); // 10% on the first two
    expect(await totals(forever)).toEqual([5000n, 5000n, 5000n, 5000n]); // 50% on every one
  });
});
