import { describe, expect, it } from 'vitest';
import type { PricingScheme } from '../../../src/core/catalog/model.js';
import type { Decimal } from '../../../src/core/money/decimal.js';
import { applyDiscount, ratePrice, unitLimitForBudget, type Discount, type UnitLimit } from '../../../src/core/pricing/index.js';
import { d, graduated, perUnit, thrown, tier, volume } from './helpers.js';

const pct = (p: string | number): Discount => ({ type: 'percent', percent: d(p) });
const limit = (scheme: PricingScheme, budget: bigint, discount: Discount | null = null, currency = 'USD'): UnitLimit =>
  unitLimitForBudget(scheme, budget, discount, currency);
const qty = (l: UnitLimit): string | null => l.quantity?.toString() ?? null;
const cost = (scheme: PricingScheme, q: bigint | string, discount: Discount | null = null): bigint => {
  const list = ratePrice(scheme, d(q), 'USD').amount;
  return discount === null ? list : applyDiscount(list, discount);
};

/** The defining property: q fits the budget and q + 1 does not. */
function expectTight(scheme: PricingScheme, budget: bigint, discount: Discount | null, l: UnitLimit): void {
  expect(l.quantity).not.toBeNull();
  const q = (l.quantity as Decimal).toInteger('down');
  expect(cost(scheme, q, discount) <= budget).toBe(true);
  expect(cost(scheme, q + 1n, discount) > budget).toBe(true);
  expect(l.listAmountAtLimit).toBe(cost(scheme, q));
}

describe('unitLimitForBudget', () => {
  it('R12: a $200 limit with a 20% discount allows $250 of list-price usage', () => {
    const l = limit(perUnit(1), 20_000n, pct(20));
    expect(l.listAmountAllowed).toBe(25_000n);
    expect(qty(l)).toBe('25000');
    expect(l.listAmountAtLimit).toBe(25_000n);
    expect(l.budgetBelowBaseCost).toBe(false);
    expectTight(perUnit(1), 20_000n, pct(20), l);
  });

  it('without a discount the list allowance is the budget; a fixed discount adds to it', () => {
    expect(limit(perUnit(1), 20_000n).listAmountAllowed).toBe(20_000n);
    const fixed: Discount = { type: 'fixed', amount: 5_000n };
    const l = limit(perUnit(1), 20_000n, fixed);
    expect(l.listAmountAllowed).toBe(25_000n);
    expect(qty(l)).toBe('25000');
  });

  it('a 100% discount makes usage unbounded', () => {
    const l = limit(perUnit(1), 0n, pct(100));
    expect(l).toEqual({ quantity: null, listAmountAllowed: null, listAmountAtLimit: null, budgetBelowBaseCost: false });
  });

  it('is exact at tier boundaries (Stripe tiers: 5 × 700, then 650, then 600)', () => {
    const s = graduated(tier(5, 700), tier(10, 650), tier(null, 600));
    expect(qty(limit(s, 0n))).toBe('0');
    expect(limit(s, 0n).budgetBelowBaseCost).toBe(false); // quantity 0 costs 0, which fits
    expect(qty(limit(s, 699n))).toBe('0');
    expect(qty(limit(s, 700n))).toBe('1');
    expect(qty(limit(s, 3499n))).toBe('4');
    expect(qty(limit(s, 3500n))).toBe('5');
    expect(qty(limit(s, 4149n))).toBe('5');
    expect(qty(limit(s, 4150n))).toBe('6');
    expect(qty(limit(s, 6750n))).toBe('10');
    expect(qty(limit(s, 7349n))).toBe('10');
    expect(qty(limit(s, 7350n))).toBe('11');
    expect(qty(limit(s, 60_750n))).toBe('100');
  });

  it('a tier flat amount makes the next unit jump in price', () => {
    // 1 cent per unit up to 100; the 101st unit also triggers a $5 flat fee.
    const s = graduated(tier(100, 1), tier(null, 1, 500));
    expect(cost(s, 100n)).toBe(100n);
    expect(cost(s, 101n)).toBe(601n);
    expect(qty(limit(s, 100n))).toBe('100');
    expect(qty(limit(s, 600n))).toBe('100'); // the jump does not fit
    expect(qty(limit(s, 601n))).toBe('101');
    expect(qty(limit(s, 700n))).toBe('200');
  });

  it('says so when the budget is below the cost of quantity 0', () => {
    // A $50 flat first tier with a $49.99 budget.
    const s = graduated(tier(1000, 0, 5000), tier(null, '0.5'));
    const under = limit(s, 4999n);
    expect(qty(under)).toBe('0');
    expect(under.budgetBelowBaseCost).toBe(true);
    expect(under.listAmountAtLimit).toBe(5000n);
    const at = limit(s, 5000n);
    expect(at.budgetBelowBaseCost).toBe(false);
    expect(qty(at)).toBe('1000'); // the 1001st unit costs 0.5 → rounds to 1 → over
    expectTight(s, 5000n, null, at);
    expect(qty(limit(s, 6000n))).toBe('3000'); // 5000 + 2000 × 0.5
    // 50% off a 6000 budget: list 12001 still fits (12001 − round(6000.5) = 6000), so
    // 5000 + round((q − 1000) × 0.5) ≤ 12001 → q = 15002 (15003 would list at 12002 → 6001 after discount).
    expect(limit(s, 6000n, pct(50)).listAmountAllowed).toBe(12_001n);
    expect(qty(limit(s, 6000n, pct(50)))).toBe('15002');
  });

  it('returns null (unbounded) when nothing beyond some point costs anything', () => {
    expect(qty(limit(perUnit(0), 0n))).toBeNull();
    expect(qty(limit(graduated(tier(1_000_000, 0), tier(null, 0)), 0n))).toBeNull();
    expect(qty(limit({ type: 'package', amount: d(0), size: d(10), round: 'up' }, 0n))).toBeNull();
    // 10 cents per unit up to 100, free after: total caps at 1000.
    const capped = graduated(tier(100, 10), tier(null, 0));
    expect(qty(limit(capped, 1000n))).toBeNull();
    expect(limit(capped, 1000n).listAmountAtLimit).toBeNull();
    expect(qty(limit(capped, 999n))).toBe('99');
  });

  it('flat and up-front prices are either within budget (unbounded) or over it at 0', () => {
    const fee: PricingScheme = { type: 'flat', amount: d(2000) };
    expect(qty(limit(fee, 2000n))).toBeNull();
    expect(limit(fee, 1999n)).toMatchObject({ budgetBelowBaseCost: true, listAmountAtLimit: 2000n });
    expect(qty(limit({ type: 'up_front', amount: d(100) }, 10n))).toBe('0');
  });

  it('handles fractional unit amounts where rounding decides: 0.05 per unit, budget 1 → 29 (30 would be 1.5 → 2)', () => {
    const l = limit(perUnit('0.05'), 1n);
    expect(qty(l)).toBe('29');
    expectTight(perUnit('0.05'), 1n, null, l);
    expect(qty(limit(perUnit('0.05'), 0n))).toBe('9'); // 9 × 0.05 = 0.45 → 0; 10 → 0.5 → 1
  });

  it('is fast and exact for a $1,000,000 budget at 1e-7 cents per unit', () => {
    const s = perUnit('0.0000001');
    const l = limit(s, 100_000_000n);
    // q × 1e-7 < 1e8 + 0.5  ⟺  q < 1,000,000,005,000,000
    expect(qty(l)).toBe('1000000004999999');
    expectTight(s, 100_000_000n, null, l);
    // …and through graduated tiers with a discount.
    const g = graduated(tier(1_000_000, 0), tier(1_000_000_000, '0.000001'), tier(null, '0.0000001'));
    const lg = limit(g, 100_000_000n, pct('12.5'));
    expectTight(g, 100_000_000n, pct('12.5'), lg);
  });

  it('PostHog-like tiers: $100 buys 3,457,871 events; $200 at 20% off buys 7,831,049', () => {
    const analytics = graduated(
      tier(1_000_000, 0),
      tier(2_000_000, '0.005'),
      tier(15_000_000, '0.00343'),
      tier(50_000_000, '0.00295'),
      tier(null, '0.00218'),
    );
    // $100: tier 2 costs 5000 in full; 5000 + round(x × 0.00343) ≤ 10000 ⟺ x × 0.00343 < 5000.5
    // ⟺ x < 1,457,871.72… → x = 1,457,871 (5000.49753 → 5000); x + 1 gives 5000.50096 → 5001.
    const l100 = limit(analytics, 10_000n);
    expect(qty(l100)).toBe(String(2_000_000 + 1_457_871));
    expect(l100.listAmountAtLimit).toBe(10_000n);
    // $200 at 20% off → $250 list: x × 0.00343 < 20000.5 ⟺ x < 5,831,049.56… → x = 5,831,049.
    const l200 = limit(analytics, 20_000n, pct(20));
    expect(l200.listAmountAllowed).toBe(25_000n);
    expect(qty(l200)).toBe(String(2_000_000 + 5_831_049));
    expectTight(analytics, 20_000n, pct(20), l200);
  });

  it('package prices: the limit is the last unit before another package is needed', () => {
    const up: PricingScheme = { type: 'package', amount: d(1000), size: d(1000), round: 'up' };
    const down: PricingScheme = { type: 'package', amount: d(1000), size: d(1000), round: 'down' };
    expect(qty(limit(up, 2500n))).toBe('2000'); // 2 packages fit; unit 2001 starts a third
    expect(qty(limit(down, 2500n))).toBe('2999'); // 3000 completes a third
    expect(qty(limit(up, 999n))).toBe('0');
    expect(qty(limit({ type: 'package', amount: d(100), size: d('2.5'), round: 'up' }, 300n))).toBe('7'); // 3 × 2.5
  });

  it('volume prices stop at the first quantity over budget, even if a cheaper tier lies beyond', () => {
    // 10 units at 100 = 1000 but 11 units at 50 = 550: the cost falls at the boundary.
    const s = volume(tier(10, 100), tier(null, 50));
    // 600 fits 6 units; 7–10 are over (700–1000) although 11 and 12 (550, 600) fit again. A quota of 12
    // would let usage sit at 8 (800) at the end of the period, over the limit.
    expect(qty(limit(s, 600n))).toBe('6');
    expect(qty(limit(s, 1000n))).toBe('20'); // 10 → 1000, 11–20 → ≤ 1000, 21 → 1050
    expectTight(s, 1000n, null, limit(s, 1000n));
    // A flat amount on a later volume tier is charged on entry.
    const withFlat = volume(tier(10, 100), tier(null, 10, 900));
    expect(cost(withFlat, 11n)).toBe(1010n);
    expect(qty(limit(withFlat, 1005n))).toBe('10');
  });

  it('JPY limits behave as USD ones (amounts are minor units either way)', () => {
    const s = graduated(tier(100, 10), tier(null, 8));
    expect(qty(limit(s, 1400n, null, 'JPY'))).toBe('150');
    expect(qty(limit(s, 1400n, null, 'USD'))).toBe('150');
  });

  it('rejects a negative budget, a bad discount, a bad scheme and an unknown currency', () => {
    expect(thrown(() => limit(perUnit(1), -1n))).toMatchObject({ type: 'invalid_request', param: 'budget' });
    expect(thrown(() => limit(perUnit(1), 1n, pct(101)))).toMatchObject({ param: 'percent' });
    expect(thrown(() => limit(perUnit(-1), 1n))).toMatchObject({ param: 'unitAmount' });
    expect(thrown(() => limit(perUnit(1), 1n, null, 'XYZ'))).toMatchObject({ code: 'unknown_currency' });
  });
});
