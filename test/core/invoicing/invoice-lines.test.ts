import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBillingConfig, type Catalog } from '../../../src/core/catalog/index.js';
import { linesFromRating, totalInvoice } from '../../../src/core/invoicing/index.js';
import { Decimal } from '../../../src/core/money/index.js';
import { ratePrice } from '../../../src/core/pricing/index.js';

const r = parseBillingConfig(readFileSync(new URL('../../../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
if (!r.ok) throw new Error('example config must parse');
const catalog: Catalog = r.catalog;
const period = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-02-01T00:00:00Z') };

describe('linesFromRating', () => {
  it('prints one line per tier touched, with $0 tiers kept so quantities show (R4)', () => {
    const price = catalog.prices.get('product_analytics.paid.usd.month');
    if (!price) throw new Error('missing price');
    // 2,500,000 events: 1M free, 1M at 0.005¢ = 5000¢, 0.5M at 0.00343¢ = 1715¢ → $67.15.
    const rating = ratePrice(price.scheme, Decimal.fromBigInt(2_500_000n), 'USD');
    const lines = linesFromRating({ price, productName: 'Product analytics', unit: 'event', rating, period, source: 'usage' });
    expect(lines.map((l) => [l.description, l.quantity.toString(), l.amount])).toEqual([
      ['Product analytics — 1,000,000 events (tier 1: 0–1,000,000)', '1000000', 0n],
      ['Product analytics — 1,000,000 events (tier 2: 1,000,001–2,000,000)', '1000000', 5000n],
      ['Product analytics — 500,000 events (tier 3: 2,000,001–15,000,000)', '500000', 1715n],
    ]);
    expect(totalInvoice({ lines, discount: null, customerBalance: 0n }).total).toBe(6715n);
  });

  it('a free price still shows the usage at zero cost (R4)', () => {
    const price = catalog.prices.get('product_analytics.free.usd.month');
    if (!price) throw new Error('missing price');
    const rating = ratePrice(price.scheme, Decimal.fromBigInt(42_000n), 'USD');
    const lines = linesFromRating({ price, productName: 'Product analytics', unit: 'event', rating, period, source: 'usage' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ amount: 0n, description: 'Product analytics — 42,000 events' });
    expect(lines[0]?.quantity.toString()).toBe('42000');
  });
});
