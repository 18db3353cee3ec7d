import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/money/decimal.js';
import { applyDiscount, discountAmount, listAmountForBudget, type Discount } from '../../../src/core/pricing/index.js';
import { d, thrown } from './helpers.js';

const pct = (p: string | number): Discount => ({ type: 'percent', percent: d(p) });
const fixed = (amount: bigint): Discount => ({ type: 'fixed', amount });

describe('applyDiscount', () => {
  it('takes a percentage rounded half-up once', () => {
    expect(applyDiscount(999n, pct(20))).toBe(799n); // 199.8 → 200 off
    expect(discountAmount(999n, pct(20))).toBe(200n);
    expect(applyDiscount(999n, pct('12.5'))).toBe(874n); // 124.875 → 125 off
    expect(applyDiscount(5n, pct(50))).toBe(2n); // 2.5 → 3 off
    expect(applyDiscount(25_000n, pct(20))).toBe(20_000n);
    expect(applyDiscount(1234n, pct(0))).toBe(1234n);
    expect(applyDiscount(1234n, pct(100))).toBe(0n);
    expect(applyDiscount(0n, pct(30))).toBe(0n);
  });

  it('takes a fixed amount but never goes below zero', () => {
    expect(applyDiscount(300n, fixed(100n))).toBe(200n);
    expect(applyDiscount(300n, fixed(500n))).toBe(0n);
    expect(discountAmount(300n, fixed(500n))).toBe(300n);
    expect(applyDiscount(300n, fixed(0n))).toBe(300n);
  });

  it('rejects out-of-range discounts and negative amounts', () => {
    expect(thrown(() => applyDiscount(1n, pct(-1)))).toMatchObject({ type: 'invalid_request', param: 'percent' });
    expect(thrown(() => applyDiscount(1n, pct('100.000000000001')))).toMatchObject({ param: 'percent' });
    expect(thrown(() => applyDiscount(1n, fixed(-1n)))).toMatchObject({ param: 'amount' });
    expect(thrown(() => applyDiscount(-1n, pct(10)))).toMatchObject({ param: 'amount' });
  });
});

describe('listAmountForBudget', () => {
  it('inverts the discount', () => {
    expect(listAmountForBudget(20_000n, pct(20))).toBe(25_000n);
    expect(listAmountForBudget(20_000n, null)).toBe(20_000n);
    expect(listAmountForBudget(20_000n, fixed(500n))).toBe(20_500n);
    expect(listAmountForBudget(2n, pct(50))).toBe(5n); // 5 − round(2.5) = 2; 6 − 3 = 3
    expect(listAmountForBudget(0n, pct(50))).toBe(1n); // 1 − round(0.5) = 0 fits; 2 − 1 = 1 does not
    expect(listAmountForBudget(7n, pct(0))).toBe(7n);
    expect(listAmountForBudget(7n, pct(100))).toBeNull();
    expect(thrown(() => listAmountForBudget(-1n, null))).toMatchObject({ param: 'budget' });
  });

  it('is the largest list amount whose discounted amount fits', () => {
    const arbPercent = fc
      .bigInt({ min: 0n, max: 100n * Decimal.ONE.scaled - 1n })
      .map((s) => Decimal.fromScaled(s))
      .chain((p) => fc.constantFrom(p, Decimal.fromBigInt(p.toInteger('down')))); // also whole percents
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), arbPercent, (budget, p) => {
        const disc = pct(p.toString());
        const list = listAmountForBudget(budget, disc) as bigint;
        expect(applyDiscount(list, disc) <= budget).toBe(true);
        expect(applyDiscount(list + 1n, disc) > budget).toBe(true);
      }),
    );
  });
});
