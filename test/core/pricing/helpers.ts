import type { PricingScheme, Tier } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';

export const d = (s: string | number | bigint): Decimal => Decimal.from(s);

/** `tier(upTo, unitAmount, flatAmount)`; `null` upTo for the open last tier. */
export function tier(upTo: string | number | null, unitAmount: string | number, flatAmount: string | number = 0): Tier {
  return { upTo: upTo === null ? null : d(upTo), unitAmount: d(unitAmount), flatAmount: d(flatAmount) };
}

export const graduated = (...tiers: Tier[]): PricingScheme => ({ type: 'tiered', mode: 'graduated', tiers });
export const volume = (...tiers: Tier[]): PricingScheme => ({ type: 'tiered', mode: 'volume', tiers });
export const perUnit = (unitAmount: string | number): PricingScheme => ({ type: 'per_unit', unitAmount: d(unitAmount) });

export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
