import { expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { changePlan, getSubscription, itemsAtPeriodEnd, subscribe } from '../../src/billing/subscriptions/index.js';
import { describeDb } from '../support/db.js';
import { example, world } from './helpers.js';

const secondTier = (s: { items: { productKey: string; price: { scheme: unknown } }[] } | null): string | undefined => {
  const scheme = s?.items.find((i) => i.productKey === 'product_analytics')?.price.scheme as { type: string; tiers?: { unitAmount: { toString(): string } }[] };
  return scheme?.tiers?.[1]?.unitAmount.toString();
};

describeDb('catalog versions and existing items', (database) => {
  it('a new config does not reprice an existing item until the item is moved', async () => {
    const w = await world(database().db, '2026-06-01T00:00:00Z');
    const old = await w.customer();
    const sub = await subscribe(w.ctx, old.id, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay' }] });
    const v1 = sub.items[0]!.catalogVersionId;
    expect(secondTier(sub)).toBe('0.005');

    const changed = example.replace('{ up_to: 2000000, unit_amount: 0.005 }', '{ up_to: 2000000, unit_amount: 0.006 }');
    w.clock.advance(60_000);
    const v2 = (await activateCatalogConfig(w.db, w.clock, changed, 'billing.yaml')).version.id;
    expect(v2).not.toBe(v1);

    // The existing customer keeps the price they signed up at, across roll-overs.
    await w.advanceTo('2026-07-15T00:00:00Z');
    const kept = await getSubscription(w.ctx, old.id);
    expect(kept?.items.every((i) => i.catalogVersionId === v1)).toBe(true);
    expect(secondTier(kept)).toBe('0.005');
    expect(secondTier({ items: await itemsAtPeriodEnd(w.ctx, sub.id, new Date('2026-08-01T00:00:00Z')) })).toBe('0.005');

    // A new customer gets the new price.
    const fresh = await w.customer();
    expect(secondTier(await subscribe(w.ctx, fresh.id, { items: [{ product: 'product_analytics', plan: 'paid' }] }))).toBe('0.006');

    // Moving the item (re-choosing its plan) takes the current version; other products stay where they were.
    const moved = await changePlan(w.staff, old.id, { product: 'product_analytics', plan: 'paid' }, { reason: 'move to the current price list' });
    expect(secondTier(moved)).toBe('0.006');
    expect(moved.items.find((i) => i.productKey === 'product_analytics')?.catalogVersionId).toBe(v2);
    expect(moved.items.find((i) => i.productKey === 'session_replay')?.catalogVersionId).toBe(v1);

    await activateCatalogConfig(w.db, w.clock, example, 'billing.yaml');
  });
});
