import fc from 'fast-check';
import type { PricingScheme, Tier } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';
import type { Discount } from '../../../src/core/pricing/index.js';

/** `m / 10^places` as a Decimal: any value with up to 12 places when `maxPlaces` is 12. */
export const arbDecimal = (maxM: bigint, maxPlaces: number, minM = 0n): fc.Arbitrary<Decimal> =>
  fc
    .tuple(fc.bigInt({ min: minM, max: maxM }), fc.integer({ min: 0, max: maxPlaces }))
    .map(([m, p]) => Decimal.fromScaled(m * 10n ** BigInt(12 - p)));

/** Amounts in minor units with up to 12 places, zero often (free tiers, no flat fee). */
export const arbAmount = (maxM = 10n ** 7n, maxPlaces = 12): fc.Arbitrary<Decimal> =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(Decimal.ZERO) }, { weight: 3, arbitrary: arbDecimal(maxM, maxPlaces) });

export interface TierShape {
  /** Largest gap between boundaries (as an integer before `boundaryPlaces` are applied). */
  readonly maxGap: bigint;
  readonly boundaryPlaces: number;
  readonly unit: fc.Arbitrary<Decimal>;
  readonly flat: fc.Arbitrary<Decimal>;
  readonly maxTiers: number;
}

export const wideTiers: TierShape = {
  maxGap: 10_000n,
  boundaryPlaces: 2,
  unit: arbAmount(),
  flat: fc.oneof({ weight: 3, arbitrary: fc.constant(Decimal.ZERO) }, { weight: 1, arbitrary: arbAmount(10n ** 6n) }),
  maxTiers: 6,
};

/** Valid tiers: strictly increasing positive bounds, open last tier. */
export function arbTiers(shape: TierShape = wideTiers): fc.Arbitrary<Tier[]> {
  const arbTier = fc.record({
    gap: arbDecimal(shape.maxGap, shape.boundaryPlaces, 1n),
    unitAmount: shape.unit,
    flatAmount: shape.flat,
  });
  return fc.array(arbTier, { minLength: 1, maxLength: shape.maxTiers }).map((raw) => {
    let bound = Decimal.ZERO;
    return raw.map((t, i) => {
      bound = bound.add(t.gap);
      return { upTo: i === raw.length - 1 ? null : bound, unitAmount: t.unitAmount, flatAmount: t.flatAmount };
    });
  });
}

export function arbScheme(shape: TierShape = wideTiers): fc.Arbitrary<PricingScheme> {
  return fc.oneof(
    { weight: 4, arbitrary: arbTiers(shape).map((tiers): PricingScheme => ({ type: 'tiered', mode: 'graduated', tiers })) },
    { weight: 3, arbitrary: arbTiers(shape).map((tiers): PricingScheme => ({ type: 'tiered', mode: 'volume', tiers })) },
    { weight: 1, arbitrary: shape.unit.map((unitAmount): PricingScheme => ({ type: 'per_unit', unitAmount })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ amount: shape.unit, size: arbDecimal(shape.maxGap, shape.boundaryPlaces, 1n), round: fc.constantFrom<'up' | 'down'>('up', 'down') })
        .map((p): PricingScheme => ({ type: 'package', ...p })),
    },
    { weight: 1, arbitrary: shape.flat.map((amount): PricingScheme => ({ type: 'flat', amount })) },
    { weight: 1, arbitrary: shape.flat.map((amount): PricingScheme => ({ type: 'up_front', amount })) },
  );
}

export const arbQuantity = (maxUnits = 100_000n, places = 3): fc.Arbitrary<Decimal> => arbDecimal(maxUnits * 10n ** BigInt(places), places);

export const arbDiscount: fc.Arbitrary<Discount | null> = fc.oneof(
  fc.constant(null),
  // 0–100 with 0–12 places
  fc
    .integer({ min: 0, max: 12 })
    .chain((places) => fc.bigInt({ min: 0n, max: 100n * 10n ** BigInt(places) }).map((m) => Decimal.fromScaled(m * 10n ** BigInt(12 - places))))
    .map((p): Discount => ({ type: 'percent', percent: p })),
  fc.integer({ min: 0, max: 100 }).map((p): Discount => ({ type: 'percent', percent: Decimal.fromBigInt(BigInt(p)) })),
  fc.bigInt({ min: 0n, max: 10n ** 6n }).map((amount): Discount => ({ type: 'fixed', amount })),
);
