import { expect, it } from 'vitest';
import { currentCatalogVersion } from '../../src/billing/catalog/catalog-versions.js';
import { createCustomerPrice, customerPricesInForce, firstTierMismatch, ratingPriceFrom } from '../../src/billing/pricing/customer-prices.js';
import type { Price } from '../../src/core/catalog/model.js';
import type { Db } from '../../src/store/database.js';
import { Decimal } from '../../src/core/money/decimal.js';
import { describeDb } from '../support/db.js';
import { world } from '../subscriptions/helpers.js';

const tiers = (...bounds: (number | null)[]) => bounds.map((b, i) => ({ upTo: b === null ? null : Decimal.from(b), unitAmount: Decimal.from(i), flatAmount: Decimal.ZERO }));

/** The price period close rates `itemPrice` at for this customer at `at` (as close-period.ts reads it). */
async function ratingPrice(db: Db, customerId: string, itemPrice: Price, at: Date): Promise<Price> {
  const inForce = await customerPricesInForce(db, [{ customerId, at }]);
  return ratingPriceFrom(itemPrice, inForce.get(`${customerId}/${at.getTime()}`) ?? []);
}

describeDb('customer prices', (database) => {
  it('replace the catalog price for rating only while in force, and only for their customer and currency', async () => {
    const w = await world(database().db, '2026-01-10T00:00:00Z');
    const cus = await w.customer();
    const other = await w.customer();
    const catalogPrice = (await currentCatalogVersion(w.db)).catalog.prices.get('product_analytics.paid.usd.month')!;
    const cp = await createCustomerPrice(w.system, { customerId: cus.id, productKey: 'product_analytics', currency: 'USD', tiers: tiers(1000, null), validFrom: new Date('2026-02-01T00:00:00Z'), validUntil: new Date('2026-03-01T00:00:00Z') });
    expect(cp.description).toBe('Custom - 2026-02-01');

    const at = (iso: string, customerId = cus.id) => ratingPrice(w.db, customerId, catalogPrice, new Date(iso));
    expect((await at('2026-01-31T23:59:59Z')).key).toBe(catalogPrice.key);
    const custom = await at('2026-02-01T00:00:00Z');
    expect(custom).toMatchObject({ key: `product_analytics.custom.${cp.id}`, productKey: 'product_analytics', currency: 'USD', interval: 'month', metered: { metric: 'events', aggregation: 'max' }, description: 'Custom - 2026-02-01' });
    expect(custom.scheme).toEqual({ type: 'tiered', mode: 'graduated', tiers: cp.tiers });
    expect((await at('2026-03-01T00:00:00Z')).key).toBe(catalogPrice.key);
    expect((await at('2026-02-10T00:00:00Z', other.id)).key).toBe(catalogPrice.key);
    // A price that is not metered (a flat fee) is never replaced.
    const flat = { ...catalogPrice, metered: null };
    expect(await ratingPrice(w.db, cus.id, flat, new Date('2026-02-10T00:00:00Z'))).toBe(flat);
  });

  it('firstTierMismatch names the first differing boundary (R7)', () => {
    expect(firstTierMismatch(tiers(10, 20, null), tiers(10, 20, null))).toBe(-1);
    expect(firstTierMismatch(tiers(10, 25, null), tiers(10, 20, null))).toBe(1);
    expect(firstTierMismatch(tiers(10, null), tiers(10, 20, null))).toBe(1);
  });
});
