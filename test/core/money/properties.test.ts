import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  Decimal,
  divRound,
  formatMajor,
  parseMajor,
  percentOf,
  splitEvenlyRemainderLast,
  type RoundingMode,
} from '../../../src/core/money/index.js';

const BOUND = 10n ** 32n;
const arbDecimal = fc.bigInt({ min: -BOUND, max: BOUND }).map((s) => Decimal.fromScaled(s));
const arbMode = fc.constantFrom<RoundingMode>('half_up', 'up', 'down', 'ceil', 'floor');
const arbDivisor = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).filter((x) => x !== 0n);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

describe('money properties', () => {
  it('parse(toString(x)) == x, also through exponent notation', () => {
    fc.assert(
      fc.property(arbDecimal, (x) => {
        expect(Decimal.parse(x.toString()).eq(x)).toBe(true);
        expect(Decimal.parse(`${x.scaled}e-12`).eq(x)).toBe(true);
        expect(Decimal.parse(JSON.parse(JSON.stringify(x)) as string).eq(x)).toBe(true);
      }),
    );
  });

  it('half_up is symmetric under negation (and so is rounding a product once)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -BOUND, max: BOUND }), arbDivisor, (n, den) => {
        expect(divRound(-n, den, 'half_up')).toBe(-divRound(n, den, 'half_up'));
        expect(divRound(n, -den, 'half_up')).toBe(-divRound(n, den, 'half_up'));
      }),
    );
    fc.assert(
      fc.property(arbDecimal, arbDecimal, (a, b) => {
        expect(a.neg().mulToInteger(b)).toBe(-a.mulToInteger(b));
      }),
    );
  });

  it('every mode lands on a neighbour of the exact quotient, as it promises', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -BOUND, max: BOUND }), arbDivisor, arbMode, (n, den, mode) => {
        const q = divRound(n, den, mode);
        const floor = divRound(n, den, 'floor');
        const ceil = divRound(n, den, 'ceil');
        expect(floor * den === n ? ceil === floor : ceil === floor + 1n).toBe(true);
        // floor ≤ n/den ≤ ceil, checked without division
        const posDen = den > 0n;
        expect(posDen ? floor * den <= n : floor * den >= n).toBe(true);
        expect(posDen ? ceil * den >= n : ceil * den <= n).toBe(true);
        expect(q === floor || q === ceil).toBe(true);
        if (mode === 'half_up') expect(abs(2n * (n - q * den)) <= abs(den)).toBe(true);
        if (mode === 'down') expect(abs(q * den) <= abs(n)).toBe(true);
        if (mode === 'up') expect(abs(q * den) >= abs(n)).toBe(true);
      }),
    );
  });

  it('allocate sums to the total, keeps signs and stays within one unit of the exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }),
        (total, weights) => {
          const parts = allocate(total, weights);
          expect(parts).toHaveLength(weights.length);
          expect(parts.reduce((s, p) => s + p, 0n)).toBe(total);
          const sumW = weights.reduce((s, w) => s + w, 0n);
          parts.forEach((p, i) => {
            expect(total >= 0n ? p >= 0n : p <= 0n).toBe(true);
            if (sumW > 0n) {
              // |p − total·w/sumW| < 1  ⟺  |p·sumW − total·w| < sumW
              expect(abs(p * sumW - total * (weights[i] ?? 0n)) < sumW).toBe(true);
            }
          });
          expect(allocate(-total, weights)).toEqual(parts.map((p) => -p));
        },
      ),
    );
  });

  it('splitEvenlyRemainderLast sums to the total with equal leading slices', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 1, max: 60 }), (total, n) => {
        const parts = splitEvenlyRemainderLast(total, n);
        expect(parts.reduce((s, p) => s + p, 0n)).toBe(total);
        expect(new Set(parts.slice(0, -1)).size <= 1).toBe(true);
      }),
    );
  });

  it('parseMajor(formatMajor(a)) == a in zero-, two- and three-decimal currencies', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.constantFrom('USD', 'JPY', 'KWD', 'EUR'), (a, c) => {
        expect(parseMajor(formatMajor(a, c), c)).toBe(a);
      }),
    );
  });

  it('percentOf is monotone in the amount and bounded by it for 0–100%', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 100n * Decimal.ONE.scaled }).map((s) => Decimal.fromScaled(s)),
        (a, p) => {
          const x = percentOf(a, p);
          expect(x >= 0n && x <= a).toBe(true);
          expect(percentOf(a + 1n, p) >= x).toBe(true);
        },
      ),
    );
  });
});
