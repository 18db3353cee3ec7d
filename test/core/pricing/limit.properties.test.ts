import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricingScheme } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';
import { applyDiscount, ratePrice, unitLimitForBudget, type Discount } from '../../../src/core/pricing/index.js';
import { arbAmount, arbDecimal, arbDiscount, arbScheme, type TierShape } from './arbitraries.js';

const charged = (scheme: PricingScheme, q: bigint, discount: Discount | null): bigint => {
  const list = ratePrice(scheme, Decimal.fromBigInt(q), 'USD').amount;
  return discount === null ? list : applyDiscount(list, discount);
};

/** Quantities worth probing: 0, each tier bound and its neighbours, and some large numbers. */
function probes(scheme: PricingScheme): bigint[] {
  const out = [0n, 1n, 10n ** 6n, 10n ** 12n, 10n ** 18n];
  if (scheme.type === 'tiered') {
    for (const t of scheme.tiers) {
      if (t.upTo === null) continue;
      const b = t.upTo.toInteger('floor');
      out.push(b, b + 1n, b + 2n, b * 10n);
    }
  }
  return out;
}

// Amounts large enough that a small budget runs out within a few thousand units, so a linear scan can
// check the answer independently.
const smallTiers: TierShape = {
  maxGap: 60n,
  boundaryPlaces: 1,
  unit: arbAmount(50_000n, 3),
  flat: fc.oneof({ weight: 2, arbitrary: fc.constant(Decimal.ZERO) }, { weight: 1, arbitrary: arbAmount(2_000n, 1) }),
  maxTiers: 5,
};

describe('limit inversion properties', () => {
  it('rate(limit(b)) <= b < rate(limit(b) + 1) after discount, and no quantity below the limit is over', () => {
    fc.assert(
      fc.property(arbScheme(), fc.bigInt({ min: 0n, max: 10n ** 10n }), arbDiscount, fc.bigInt({ min: 0n, max: 10n ** 30n }), (scheme, budget, discount, seed) => {
        const l = unitLimitForBudget(scheme, budget, discount, 'USD');
        if (l.quantity === null) {
          // Unbounded: nothing ever costs more than the budget.
          for (const q of probes(scheme)) expect(charged(scheme, q, discount) <= budget).toBe(true);
          return;
        }
        const q = l.quantity.toInteger('down');
        expect(l.quantity.isInteger()).toBe(true);
        if (l.budgetBelowBaseCost) {
          expect(q).toBe(0n);
          expect(charged(scheme, 0n, discount) > budget).toBe(true);
          return;
        }
        expect(charged(scheme, q, discount) <= budget).toBe(true);
        expect(charged(scheme, q + 1n, discount) > budget).toBe(true);
        expect(l.listAmountAtLimit).toBe(ratePrice(scheme, l.quantity, 'USD').amount);
        // Every quantity up to the limit fits (matters for volume prices, which can fall at a boundary).
        for (const p of [...probes(scheme).filter((x) => x <= q), q / 2n, seed % (q + 1n)]) {
          expect(charged(scheme, p, discount) <= budget).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with a linear scan for the first quantity over budget', () => {
    const CAP = 3000n;
    fc.assert(
      fc.property(arbScheme(smallTiers), fc.bigInt({ min: 0n, max: 20_000n }), arbDiscount, (scheme, budget, discount) => {
        let first: bigint | null = null;
        for (let q = 0n; q <= CAP; q++) {
          if (charged(scheme, q, discount) > budget) {
            first = q;
            break;
          }
        }
        const l = unitLimitForBudget(scheme, budget, discount, 'USD');
        if (first === null) {
          expect(l.quantity === null || l.quantity.gte(Decimal.fromBigInt(CAP))).toBe(true);
        } else {
          expect(l.quantity?.toString()).toBe((first === 0n ? 0n : first - 1n).toString());
          expect(l.budgetBelowBaseCost).toBe(first === 0n);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('more budget never lowers the limit of a graduated price', () => {
    fc.assert(
      fc.property(
        arbScheme().filter((s) => s.type === 'tiered' && s.mode === 'graduated'),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        arbDiscount,
        (scheme, budget, extra, discount) => {
          const a = unitLimitForBudget(scheme, budget, discount, 'USD').quantity;
          const b = unitLimitForBudget(scheme, budget + extra, discount, 'USD').quantity;
          if (a === null) expect(b).toBeNull();
          else if (b !== null) expect(b.gte(a)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('per_unit limits have a closed form: largest q with q × u < L + ½', () => {
    fc.assert(
      fc.property(arbDecimal(10n ** 9n, 12, 1n), fc.bigInt({ min: 0n, max: 10n ** 12n }), (unit, budget) => {
        const l = unitLimitForBudget({ type: 'per_unit', unitAmount: unit }, budget, null, 'USD');
        // q·U·2 < (2L + 1)·S²/…: compare in scaled integers
        const q = (l.quantity as Decimal).toInteger('down');
        const S = Decimal.ONE.scaled;
        expect(2n * q * unit.scaled < (2n * budget + 1n) * S).toBe(true);
        expect(2n * (q + 1n) * unit.scaled >= (2n * budget + 1n) * S).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
