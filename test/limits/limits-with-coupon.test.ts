import { beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { applyCoupon, createCoupon } from '../../src/billing/coupons/index.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { getBillingLimit, setBillingLimit } from '../../src/billing/limits/index.js';
import { subscribe } from '../../src/billing/subscriptions/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

// One cent per event, so amounts and units read alike.
const config = `
version: 1
products:
  - key: analytics
    name: Analytics
    metric: events
    unit: event
    default_plan: paid
    plans:
      paid:
        name: Paid
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 1 }, metered: { aggregation: sum } }]
`;

describeDb('billing limits with the customer coupon (R12)', (database) => {
  const clock = new ManualClock('2026-09-01T09:00:00Z');
  let ctx: ServiceContext;
  let customerId: string;

  beforeAll(async () => {
    ctx = { db: database().db, clock, actor: systemActor('test') };
    const staff: ServiceContext = { ...ctx, actor: { type: 'staff', id: 'stf_test', role: 'owner' } };
    await activateCatalogConfig(ctx.db, clock, config, 'limits.yaml');
    const instanceId = (await createInstance(ctx, { slug: 'us' })).id;
    customerId = (await createCustomer(ctx, { instanceId, externalId: 'team_lim', currency: 'usd' })).id;
    await subscribe(ctx, customerId, { items: [{ product: 'analytics' }] });
    const { coupon } = await createCoupon(staff, { name: '20% partner discount', percentOff: '20', duration: 'forever' }, { reason: 'test' });
    await applyCoupon(staff, customerId, coupon.id, {}, { reason: 'test' });
  });

  it('a $200 limit with a 20% coupon allows $250 of list-price usage', async () => {
    await setBillingLimit(ctx, customerId, { product: 'analytics', amount: 20_000n, effective: 'now' });
    const limit = await getBillingLimit(ctx, customerId, 'analytics');
    expect(limit?.unitLimit?.quantity?.toString()).toBe('25000');
    expect(limit?.unitLimit?.listAmountAllowed).toBe(25_000n);
  });
});
