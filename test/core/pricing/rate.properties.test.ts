import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricingScheme, Tier } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';
import { lineAmount, ratePrice, tierIndexFor } from '../../../src/core/pricing/index.js';
import { arbAmount, arbDecimal, arbQuantity, arbScheme, arbTiers, type TierShape } from './arbitraries.js';

const rate = (s: PricingScheme, q: Decimal, currency = 'USD'): bigint => ratePrice(s, q, currency).amount;
const grad = (tiers: readonly Tier[]): PricingScheme => ({ type: 'tiered', mode: 'graduated', tiers });
const vol = (tiers: readonly Tier[]): PricingScheme => ({ type: 'tiered', mode: 'volume', tiers });

// Integer amounts and bounds: every line is exact, so restructuring tiers cannot move a rounding.
const integerTiers: TierShape = {
  maxGap: 1000n,
  boundaryPlaces: 0,
  unit: arbDecimal(10_000n, 0),
  flat: arbAmount(1000n, 3),
  maxTiers: 5,
};

describe('rating properties', () => {
  it('graduated amounts never decrease as the quantity grows', () => {
    fc.assert(
      fc.property(arbTiers(), arbQuantity(), arbQuantity(), (tiers, a, b) => {
        const [lo, hi] = a.lte(b) ? [a, b] : [b, a];
        expect(rate(grad(tiers), lo) <= rate(grad(tiers), hi)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('lines are self-consistent: each rounds its own exact amount once, and they sum to the total', () => {
    fc.assert(
      fc.property(arbScheme(), arbQuantity(), (scheme, q) => {
        const r = ratePrice(scheme, q, 'USD');
        expect(r.lines.length).toBeGreaterThanOrEqual(1);
        let sum = 0n;
        for (const l of r.lines) {
          expect(l.amount).toBe(lineAmount(l.billedQuantity, l.unitAmount, l.flatAmount));
          expect(l.amount >= 0n).toBe(true);
          sum += l.amount;
        }
        expect(r.amount).toBe(sum);
        expect(r.quantity.eq(q)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('graduated lines walk the tiers in order from the first, splitting the quantity exactly', () => {
    fc.assert(
      fc.property(arbTiers(), arbQuantity(), (tiers, q) => {
        const r = ratePrice(grad(tiers), q, 'USD');
        r.lines.forEach((l, i) => {
          expect(l.tier).toBe(i);
          const t = tiers[i] as Tier;
          expect(l.tierUpTo).toBe(t.upTo);
          if (t.upTo !== null && i < r.lines.length - 1) expect(l.quantity.eq(t.upTo.sub(l.tierFrom as Decimal))).toBe(true);
        });
        const total = r.lines.reduce((s, l) => s.add(l.quantity), Decimal.ZERO);
        expect(total.eq(q)).toBe(true);
        expect(r.lines.length - 1).toBe(tierIndexFor(tiers, q)); // exactly the tiers reached
      }),
      { numRuns: 500 },
    );
  });

  it('volume is one line: all units at the reached tier', () => {
    fc.assert(
      fc.property(arbTiers(), arbQuantity(), (tiers, q) => {
        const r = ratePrice(vol(tiers), q, 'USD');
        const k = tierIndexFor(tiers, q);
        const t = tiers[k] as Tier;
        expect(r.lines).toHaveLength(1);
        expect(r.lines[0]?.tier).toBe(k);
        expect(r.amount).toBe(lineAmount(q, t.unitAmount, t.flatAmount));
      }),
      { numRuns: 300 },
    );
  });

  it('on a single tier, graduated equals volume (and per_unit when there is no flat amount)', () => {
    fc.assert(
      fc.property(arbAmount(), arbAmount(), arbQuantity(), (unit, flat, q) => {
        const only: Tier[] = [{ upTo: null, unitAmount: unit, flatAmount: flat }];
        expect(rate(grad(only), q)).toBe(rate(vol(only), q));
        const noFlat: Tier[] = [{ upTo: null, unitAmount: unit, flatAmount: Decimal.ZERO }];
        expect(rate(grad(noFlat), q)).toBe(rate({ type: 'per_unit', unitAmount: unit }, q));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same number of minor units in zero-, two- and three-decimal currencies', () => {
    fc.assert(
      fc.property(arbScheme(), arbQuantity(), (scheme, q) => {
        const usd = rate(scheme, q, 'USD');
        expect(rate(scheme, q, 'JPY')).toBe(usd);
        expect(rate(scheme, q, 'kwd')).toBe(usd);
      }),
      { numRuns: 200 },
    );
  });

  it('graduated: splitting a tier in two with the same unit amount changes nothing (integer amounts)', () => {
    fc.assert(
      fc.property(arbTiers(integerTiers), fc.nat(), fc.bigInt({ min: 1n, max: 999n }), fc.bigInt({ min: 0n, max: 20_000n }), (tiers, which, cut, q) => {
        const i = which % tiers.length;
        const t = tiers[i] as Tier;
        const from = i === 0 ? Decimal.ZERO : ((tiers[i - 1] as Tier).upTo as Decimal);
        const width = t.upTo === null ? 1000n : t.upTo.sub(from).toInteger('down');
        if (width < 2n) return;
        const mid = from.add(Decimal.fromBigInt(1n + (cut % (width - 1n))));
        const split = [
          ...tiers.slice(0, i),
          { upTo: mid, unitAmount: t.unitAmount, flatAmount: t.flatAmount },
          { upTo: t.upTo, unitAmount: t.unitAmount, flatAmount: Decimal.ZERO },
          ...tiers.slice(i + 1),
        ];
        expect(rate(grad(split), Decimal.fromBigInt(q))).toBe(rate(grad(tiers), Decimal.fromBigInt(q)));
      }),
      { numRuns: 300 },
    );
  });

  it('graduated: a whole-unit flat amount on the first tier adds exactly itself at every quantity', () => {
    fc.assert(
      fc.property(arbTiers(), fc.bigInt({ min: 0n, max: 10n ** 9n }), arbQuantity(), (tiers, fee, q) => {
        const [first, ...rest] = tiers as [Tier, ...Tier[]];
        const withFee = [{ ...first, flatAmount: first.flatAmount.add(Decimal.fromBigInt(fee)) }, ...rest];
        expect(rate(grad(withFee), q)).toBe(rate(grad(tiers), q) + fee);
      }),
      { numRuns: 300 },
    );
  });

  it('package of size 1 equals per_unit at whole quantities, whichever way it rounds', () => {
    fc.assert(
      fc.property(arbAmount(), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.constantFrom<'up' | 'down'>('up', 'down'), (amount, n, round) => {
        const q = Decimal.fromBigInt(n);
        expect(rate({ type: 'package', amount, size: Decimal.ONE, round }, q)).toBe(rate({ type: 'per_unit', unitAmount: amount }, q));
      }),
      { numRuns: 200 },
    );
  });

  it('package: round up never bills less than round down, and they agree on whole packages', () => {
    fc.assert(
      fc.property(arbAmount(), arbDecimal(10_000n, 3, 1n), arbQuantity(), (amount, size, q) => {
        const up = rate({ type: 'package', amount, size, round: 'up' }, q);
        const down = rate({ type: 'package', amount, size, round: 'down' }, q);
        expect(up >= down).toBe(true);
        const whole = size.mulInt(q.toInteger('down'));
        expect(rate({ type: 'package', amount, size, round: 'up' }, whole)).toBe(rate({ type: 'package', amount, size, round: 'down' }, whole));
      }),
      { numRuns: 200 },
    );
  });
});
