import { describe, expect, it } from 'vitest';
import type { PricingScheme } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';
import { lineAmount, ratePrice, tierIndexFor, validateScheme, type Rating } from '../../../src/core/pricing/index.js';
import { TallyError } from '../../../src/shared/errors.js';
import { d, graduated, perUnit, thrown, tier, volume } from './helpers.js';

const rate = (scheme: PricingScheme, q: string | number, currency = 'USD'): Rating => ratePrice(scheme, d(q), currency);
const amounts = (r: Rating): bigint[] => r.lines.map((l) => l.amount);
const quantities = (r: Rating): string[] => r.lines.map((l) => l.quantity.toString());

// Stripe's documented example: up_to is inclusive.
const stripeTiers = [tier(5, 700), tier(10, 650), tier(null, 600)];

describe('Stripe-documented vectors', () => {
  it('6 units bill 4150 graduated (5 × 700 + 1 × 650) and 3900 volume (6 × 650)', () => {
    const g = rate(graduated(...stripeTiers), 6);
    expect(g.amount).toBe(4150n);
    expect(g.lines.map((l) => [l.tier, l.quantity.toString(), l.unitAmount.toString(), l.amount])).toEqual([
      [0, '5', '700', 3500n],
      [1, '1', '650', 650n],
    ]);
    const v = rate(volume(...stripeTiers), 6);
    expect(v.amount).toBe(3900n);
    expect(v.lines).toHaveLength(1);
    expect(v.lines[0]).toMatchObject({ kind: 'volume', tier: 1, amount: 3900n });
    expect(v.lines[0]?.quantity.toString()).toBe('6');
  });

  it.each([
    // q, graduated, volume
    [0, 0n, 0n],
    [1, 700n, 700n],
    [5, 3500n, 3500n], // boundary is inclusive: still tier 1 only
    [10, 6750n, 6500n], // 3500 + 5 × 650 | 10 × 650
    [11, 7350n, 6600n], // 6750 + 600 | 11 × 600
    [100, 60750n, 60000n], // 6750 + 90 × 600 | 100 × 600
  ])('the same tiers at %s units: graduated %s, volume %s', (q, g, v) => {
    expect(rate(graduated(...stripeTiers), q).amount).toBe(g);
    expect(rate(volume(...stripeTiers), q).amount).toBe(v);
  });

  it('rounds each line once, half-up: 0.05 × 30 = 1.5 → 2', () => {
    const r = rate(perUnit('0.05'), 30);
    expect(r.amount).toBe(2n);
    expect(r.lines[0]).toMatchObject({ kind: 'per_unit', tier: null, amount: 2n });
    expect(rate(perUnit('0.05'), 29).amount).toBe(1n); // 1.45
    expect(rate(perUnit('0.05'), 9).amount).toBe(0n); // 0.45
    expect(rate(perUnit('0.05'), 10).amount).toBe(1n); // 0.5
  });

  it('rounds per line before summing, like the provider: two 1.5 lines make 4, not round(3.0) = 3', () => {
    const r = rate(graduated(tier(30, '0.05'), tier(null, '0.05')), 60);
    expect(amounts(r)).toEqual([2n, 2n]);
    expect(r.amount).toBe(4n);
  });

  it('rounds a tier line once including its flat amount: 0.4 flat + 1 × 0.1 = 0.5 → 1', () => {
    const r = rate(graduated(tier(null, '0.1', '0.4')), 1);
    expect(r.amount).toBe(1n); // rounding the parts separately would give 0 + 0
  });
});

describe('R5 plan types', () => {
  it('flat first tier, metered after: the flat fee is billed at every quantity, even 0', () => {
    // $50 covers the first 1000 units; then 0.5 cents per unit.
    const scheme = graduated(tier(1000, 0, 5000), tier(null, '0.5'));
    const at0 = rate(scheme, 0);
    expect(at0.amount).toBe(5000n);
    expect(at0.lines).toHaveLength(1);
    expect(at0.lines[0]).toMatchObject({ tier: 0, amount: 5000n });
    expect(at0.lines[0]?.quantity.toString()).toBe('0'); // the quantity still shows
    expect(rate(scheme, 1000).amount).toBe(5000n);
    expect(rate(scheme, 1001).amount).toBe(5001n); // 5000 + round(0.5) = 5000 + 1
    expect(rate(scheme, 1002).amount).toBe(5001n); // 5000 + 2 × 0.5
    expect(rate(scheme, 3000).amount).toBe(6000n); // 5000 + 2000 × 0.5
    expect(quantities(rate(scheme, 3000))).toEqual(['1000', '2000']);
  });

  it('up-front payment with a $0 first tier, metered after', () => {
    // $12,000 up front for the year; 10M events included at $0; then 0.01 cents per event.
    const upFront: PricingScheme = { type: 'up_front', amount: d(1_200_000) };
    const metered = graduated(tier(10_000_000, 0), tier(null, '0.01'));
    const fee = rate(upFront, 12_000_000);
    expect(fee.amount).toBe(1_200_000n);
    expect(fee.lines[0]).toMatchObject({ kind: 'up_front', tier: null, amount: 1_200_000n });
    expect(fee.lines[0]?.quantity.toString()).toBe('1'); // quantity-independent fee shows as 1

    const within = rate(metered, 10_000_000);
    expect(within.amount).toBe(0n);
    expect(quantities(within)).toEqual(['10000000']); // $0 usage still shows (R4)

    const over = rate(metered, 12_000_000);
    // 10M × 0 + 2M × 0.01 = 20000 cents = $200
    expect(amounts(over)).toEqual([0n, 20_000n]);
    expect(fee.amount + over.amount).toBe(1_220_000n);
  });

  it('flat up-front with no metering ignores the quantity', () => {
    expect(rate({ type: 'up_front', amount: d(500_000) }, 0).amount).toBe(500_000n);
    expect(rate({ type: 'up_front', amount: d(500_000) }, 99_999_999).amount).toBe(500_000n);
    const flat = rate({ type: 'flat', amount: d('1999.5') }, 42);
    expect(flat.amount).toBe(2000n);
    expect(flat.lines[0]).toMatchObject({ kind: 'flat', tier: null });
    expect(flat.quantity.toString()).toBe('42');
  });

  it('a $0 ("Free") price still meters: lines carry the quantity at zero cost (R4)', () => {
    const free = rate(perUnit(0), 123_456);
    expect(free.amount).toBe(0n);
    expect(free.lines).toHaveLength(1);
    expect(quantities(free)).toEqual(['123456']);

    const freeTiers = rate(graduated(tier(1_000_000, 0), tier(null, 0)), 2_500_000);
    expect(freeTiers.amount).toBe(0n);
    expect(quantities(freeTiers)).toEqual(['1000000', '1500000']);

    const freeAt0 = rate(graduated(tier(1_000_000, 0), tier(null, 0)), 0);
    expect(quantities(freeAt0)).toEqual(['0']);
  });
});

describe('package pricing', () => {
  const pkg = (round: 'up' | 'down'): PricingScheme => ({ type: 'package', amount: d(1000), size: d(1000), round });

  it.each([
    // q, packages up, amount up, packages down, amount down
    ['0', 0n, 0n, 0n, 0n],
    ['1', 1n, 1000n, 0n, 0n],
    ['999', 1n, 1000n, 0n, 0n],
    ['1000', 1n, 1000n, 1n, 1000n],
    ['1000.5', 2n, 2000n, 1n, 1000n],
    ['2500', 3n, 3000n, 2n, 2000n],
  ])('%s units: up → %s packages (%s), down → %s packages (%s)', (q, pu, au, pd, ad) => {
    const up = rate(pkg('up'), q);
    const down = rate(pkg('down'), q);
    expect(up.amount).toBe(au);
    expect(down.amount).toBe(ad);
    expect(up.lines[0]?.billedQuantity.toString()).toBe(pu.toString());
    expect(down.lines[0]?.billedQuantity.toString()).toBe(pd.toString());
    expect(up.lines[0]?.quantity.toString()).toBe(d(q).toString()); // the units show, not the packages
  });

  it('rounds the line once for a fractional package amount', () => {
    // 3 packages × 0.5 = 1.5 → 2
    expect(rate({ type: 'package', amount: d('0.5'), size: d(10), round: 'up' }, 25).amount).toBe(2n);
  });
});

describe('zero-decimal currencies', () => {
  it('JPY amounts are yen and round exactly like cents', () => {
    expect(rate(perUnit('0.5'), 3, 'JPY').amount).toBe(2n); // 1.5 yen → 2 yen
    const r = rate(graduated(tier(100, 10), tier(null, 8)), 150, 'jpy');
    expect(r.currency).toBe('JPY');
    expect(r.amount).toBe(1400n); // 100 × ¥10 + 50 × ¥8
    expect(rate(graduated(tier(100, 10), tier(null, 8)), 150, 'USD').amount).toBe(1400n);
  });

  it('KWD (three decimals) works the same way in fils', () => {
    expect(rate(perUnit('2.5'), 3, 'KWD').amount).toBe(8n); // 7.5 fils → 8
  });
});

describe('PostHog-like product analytics tiers (amounts in cents per event)', () => {
  // $0.00005 per event = 0.005 cents, and cheaper with volume.
  const analytics = graduated(
    tier(1_000_000, 0), //                  first 1M free
    tier(2_000_000, '0.005'), //            $0.0000500/event
    tier(15_000_000, '0.00343'), //         $0.0000343/event
    tier(50_000_000, '0.00295'), //         $0.0000295/event
    tier(100_000_000, '0.00218'), //        $0.0000218/event
    tier(250_000_000, '0.0015'), //         $0.0000150/event
    tier(null, '0.0009'), //                $0.0000090/event
  );

  it.each([
    // 500k events: all free; one line still shows the quantity.
    [500_000, 0n, [0n]],
    [1_000_000, 0n, [0n]],
    // 1 event into tier 2: 0.005 cents → rounds to 0.
    [1_000_001, 0n, [0n, 0n]],
    // 100 events into tier 2: 0.5 cents → 1 (half-up).
    [1_000_100, 1n, [0n, 1n]],
    // 500k × 0.005 = 2500 cents = $25.00
    [1_500_000, 2500n, [0n, 2500n]],
    // 1M × 0.005 = 5000; 1,456,789 × 0.00343 = 4996.78627 → 4997; total 9997 = $99.97
    [3_456_789, 9997n, [0n, 5000n, 4997n]],
    // 5000 + 13M × 0.00343 = 44590 + 35M × 0.00295 = 103250 + 10M × 0.00218 = 21800 → 174640 = $1,746.40
    [60_000_000, 174_640n, [0n, 5000n, 44_590n, 103_250n, 21_800n]],
    // …+ 50M × 0.00218 = 109000 + 150M × 0.0015 = 225000 + 50M × 0.0009 = 45000 → 531840 = $5,318.40
    [300_000_000, 531_840n, [0n, 5000n, 44_590n, 103_250n, 109_000n, 225_000n, 45_000n]],
  ])('%s events cost %s cents', (q, total, lines) => {
    const r = rate(analytics, q);
    expect(amounts(r)).toEqual(lines);
    expect(r.amount).toBe(total);
  });

  it('tier lines show their ranges and quantities adding up to the usage', () => {
    const r = rate(analytics, 3_456_789);
    expect(r.lines.map((l) => [l.tierFrom?.toString(), l.tierUpTo?.toString() ?? null, l.quantity.toString()])).toEqual([
      ['0', '1000000', '1000000'],
      ['1000000', '2000000', '1000000'],
      ['2000000', '15000000', '1456789'],
    ]);
  });
});

describe('fractional quantities and amounts', () => {
  it('prices fractional units across tier boundaries', () => {
    // GB-hours: 2.5 at 100, then 0.75 at 80 → 250 + 60 = 310
    const r = rate(graduated(tier('2.5', 100), tier(null, 80)), '3.25');
    expect(quantities(r)).toEqual(['2.5', '0.75']);
    expect(r.amount).toBe(310n);
    expect(tierIndexFor([tier('2.5', 100), tier(null, 80)], d('2.5'))).toBe(0);
    expect(tierIndexFor([tier('2.5', 100), tier(null, 80)], d('2.500000000001'))).toBe(1);
  });

  it('uses 12-place unit amounts exactly', () => {
    // 1e15 × 0.000000000001 = 1000
    expect(rate(perUnit('0.000000000001'), '1000000000000000').amount).toBe(1000n);
    expect(lineAmount(d('3'), d('0.166666666667'), d(0))).toBe(1n); // 0.500000000001 → 1
    expect(lineAmount(d('3'), d('0.166666666666'), d(0))).toBe(0n); // 0.499999999998 → 0
  });

  it('volume charges the reached tier flat amount once', () => {
    const r = rate(volume(tier(10, 100, 1000), tier(null, 50, 2000)), 20);
    expect(r.lines[0]).toMatchObject({ tier: 1, amount: 3000n }); // 20 × 50 + 2000
    expect(rate(volume(tier(10, 100, 1000), tier(null, 50, 2000)), 0).amount).toBe(1000n);
  });

  it('bills every reached graduated tier its flat amount', () => {
    const s = graduated(tier(10, 1, 100), tier(20, 1, 200), tier(null, 1, 300));
    expect(rate(s, 10).amount).toBe(110n);
    expect(rate(s, 11).amount).toBe(110n + 201n);
    expect(rate(s, 25).amount).toBe(110n + 210n + 305n);
  });
});

describe('errors', () => {
  it('rejects a negative quantity naming the param', () => {
    for (const scheme of [perUnit(1), graduated(...stripeTiers), { type: 'flat', amount: d(1) } as PricingScheme]) {
      const e = thrown(() => rate(scheme, '-1'));
      expect(e).toBeInstanceOf(TallyError);
      expect(e).toMatchObject({ type: 'invalid_request', param: 'quantity' });
    }
    expect(thrown(() => rate(perUnit(1), '-0.000000000001'))).toMatchObject({ param: 'quantity' });
  });

  it('rejects an unknown currency', () => {
    expect(thrown(() => rate(perUnit(1), 1, 'XYZ'))).toMatchObject({ code: 'unknown_currency', param: 'currency' });
  });

  it.each<[string, PricingScheme, string]>([
    ['no tiers', { type: 'tiered', mode: 'graduated', tiers: [] }, 'tiers'],
    ['an open tier before the last', graduated(tier(null, 1), tier(null, 1)), 'tiers.0.upTo'],
    ['a bounded last tier', graduated(tier(10, 1)), 'tiers.0.upTo'],
    ['a zero first bound', graduated(tier(0, 1), tier(null, 1)), 'tiers.0.upTo'],
    ['decreasing bounds', volume(tier(10, 1), tier(5, 1), tier(null, 1)), 'tiers.1.upTo'],
    ['equal bounds', volume(tier(10, 1), tier(10, 1), tier(null, 1)), 'tiers.1.upTo'],
    ['a negative unit amount', graduated(tier(10, 1), tier(null, -1)), 'tiers.1.unitAmount'],
    ['a negative flat amount', graduated(tier(null, 1, -5)), 'tiers.0.flatAmount'],
    ['a negative per-unit amount', perUnit(-1), 'unitAmount'],
    ['a zero package size', { type: 'package', amount: d(1), size: d(0), round: 'up' }, 'size'],
    ['a negative flat fee', { type: 'flat', amount: d(-1) }, 'amount'],
  ])('rejects %s', (_name, scheme, param) => {
    expect(thrown(() => validateScheme(scheme))).toMatchObject({ type: 'invalid_request', param });
    expect(thrown(() => ratePrice(scheme, Decimal.ONE, 'USD'))).toMatchObject({ param });
  });
});
