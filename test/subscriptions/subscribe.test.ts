import { expect, it } from 'vitest';
import { changePlan, getSubscription, subscribe } from '../../src/billing/subscriptions/index.js';
import { describeDb } from '../support/db.js';
import { priceKeys, world } from './helpers.js';

describeDb('subscribe', (database) => {
  it('defaults each product to the plan the config names (R3) and prices it from the current catalog', async () => {
    const w = await world(database().db, '2026-03-10T12:00:00Z');
    const cus = await w.customer();
    const rev = await w.revision(cus.id);
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }, { product: 'session_replay' }] });
    expect(sub.status).toBe('active');
    expect(sub.interval).toBe('month');
    expect(priceKeys(sub)).toEqual(['product_analytics.free.usd.month', 'session_replay.free.usd.month']);
    expect(sub.items.every((i) => i.planKey === 'free')).toBe(true);
    // Items start now; periods are whole UTC days (usage is kept per day), anchored at today 00:00 UTC.
    expect(sub.items.every((i) => i.startedAt.toISOString() === '2026-03-10T12:00:00.000Z')).toBe(true);
    expect(sub.billingAnchor.toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(sub.currentPeriodStart.toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(sub.currentPeriodEnd.toISOString()).toBe('2026-04-10T00:00:00.000Z');
    expect(await w.revision(cus.id)).toBe(rev + 1);

    const read = await getSubscription(w.ctx, cus.id);
    expect(read?.id).toBe(sub.id);
    // Items carry the Price of their own catalog version.
    const pa = read!.items.find((i) => i.productKey === 'product_analytics')!;
    expect(pa.price.scheme).toMatchObject({ type: 'per_unit' });
    expect(pa.price.description).toBe('Free');
    expect((await w.events(cus.id, 'subscription.created')).length).toBe(1);
  });

  it('subscribes to a named plan and infers a yearly interval when the plan only bills yearly', async () => {
    const w = await world(database().db, '2026-03-10T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'annual' }] });
    expect(sub.interval).toBe('year');
    expect(priceKeys(sub)).toEqual(['product_analytics.annual.usd.year.up_front', 'product_analytics.annual.usd.year.usage']);
    expect(sub.currentPeriodEnd.toISOString()).toBe('2027-03-10T00:00:00.000Z');
  });

  it('refuses bad requests with an error naming the field, and changes nothing', async () => {
    const w = await world(database().db, '2026-03-10T00:00:00Z');
    const cus = await w.customer();
    const eur = await w.customer('eur');
    const cases: [Parameters<typeof subscribe>[2], string, string, string?][] = [
      [{ items: [] }, 'items_required', 'items'],
      [{ items: [{ product: 'product_analytics' }], anchor: new Date('2026-03-01T10:00:00Z') }, 'not_day_aligned', 'anchor'],
      [{ items: [{ product: 'nope' }] }, 'unknown_product', 'items.0.product'],
      [{ items: [{ product: 'product_analytics', plan: 'gold' }] }, 'unknown_plan', 'items.0.plan'],
      [{ items: [{ product: 'product_analytics', price: 'session_replay.paid.usd.month' }] }, 'price_product_mismatch', 'items.0.price'],
      [{ items: [{ product: 'product_analytics' }, { product: 'group_analytics', plan: 'paid' }, { product: 'product_analytics' }] }, 'duplicate_product', 'items.2.product'],
      [{ items: [{ product: 'group_analytics', plan: 'paid' }] }, 'addon_requires_parent', 'items.0.product'],
      [{ items: [{ product: 'product_analytics' }, { product: 'group_analytics' }] }, 'plan_not_billable', 'items.1.plan'],
      [{ items: [{ product: 'product_analytics', plan: 'enterprise' }], interval: 'month' }, 'no_price_for_currency_interval', 'items.0.plan'],
    ];
    for (const [input, code, param] of cases) {
      await expect(subscribe(w.ctx, cus.id, input), code).rejects.toMatchObject({ code, param });
    }
    // session_replay has no EUR price: the error says so and names the product (no plan was given).
    await expect(subscribe(w.ctx, eur.id, { items: [{ product: 'session_replay' }] })).rejects.toMatchObject({
      code: 'no_price_for_currency_interval',
      param: 'items.0.product',
      message: expect.stringContaining('no EUR price'),
    });
    expect(await getSubscription(w.ctx, cus.id)).toBeNull();
    expect(await w.events(cus.id, 'subscription.created')).toEqual([]);
  });

  it('allows one live subscription per customer', async () => {
    const w = await world(database().db, '2026-03-10T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    await expect(subscribe(w.ctx, cus.id, { items: [{ product: 'session_replay' }] })).rejects.toMatchObject({ code: 'subscription_exists' });
  });

  it('a customer in EUR gets the EUR prices', async () => {
    const w = await world(database().db, '2026-03-10T00:00:00Z');
    const cus = await w.customer('eur');
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'group_analytics', plan: 'paid' }] });
    expect(sub.currency).toBe('EUR');
    expect(priceKeys(sub)).toEqual(['group_analytics.paid.eur.month', 'product_analytics.paid.eur.month']);
    // Changing to a plan without a EUR price is refused naming the plan.
    await expect(changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'startup' })).rejects.toMatchObject({ code: 'no_price_for_currency_interval', param: 'plan' });
  });
});
