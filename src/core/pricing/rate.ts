import type { PricingScheme, Tier } from '../catalog/model.js';
import { currencyExponent, normalizeCurrency } from '../money/currency.js';
import { Decimal, divRound } from '../money/decimal.js';
import { invalid } from '../../shared/errors.js';

/**
 * Rating: a price scheme and a period's quantity → invoice lines in integer minor units. Pure and exact:
 * every line is computed from the exact product of decimals and rounded once, half-up, to whole minor
 * units; the rating's amount is the sum of its rounded lines (Stripe's order of rounding).
 */

const SCALE = Decimal.ONE.scaled;
const SCALE2 = SCALE * SCALE;

export type LineKind = 'flat' | 'up_front' | 'per_unit' | 'package' | 'graduated' | 'volume';

export interface RatedLine {
  readonly kind: LineKind;
  /** 0-based index into the scheme's tiers; null for untiered schemes. */
  readonly tier: number | null;
  /**
   * Units the line covers and shows on the invoice: the units inside the tier (graduated), all units
   * (volume, per_unit, package), 1 for quantity-independent fees (flat, up_front).
   */
  readonly quantity: Decimal;
  /** What `unitAmount` multiplies: `quantity`, except for package prices where it is the number of packages. */
  readonly billedQuantity: Decimal;
  /** Minor units per billed unit (per package for package prices; the fee itself for flat and up_front). */
  readonly unitAmount: Decimal;
  /** Fixed minor units added once to the line (a tier's flat amount). */
  readonly flatAmount: Decimal;
  /** `billedQuantity × unitAmount + flatAmount`, rounded once half-up to whole minor units. */
  readonly amount: bigint;
  /** Tier range covered, exclusive lower bound (`0` for the first tier) and inclusive upper bound (null = open). */
  readonly tierFrom: Decimal | null;
  readonly tierUpTo: Decimal | null;
}

export interface Rating {
  /** Sum of the line amounts, in minor units of `currency`. */
  readonly amount: bigint;
  readonly currency: string;
  /** The quantity that was rated (ignored by flat and up-front prices). */
  readonly quantity: Decimal;
  readonly lines: readonly RatedLine[];
}

/** `round_half_up(quantity × unitAmount + flatAmount)`: the exact value is rounded once, never per factor. */
export function lineAmount(quantity: Decimal, unitAmount: Decimal, flatAmount: Decimal): bigint {
  return divRound(quantity.scaled * unitAmount.scaled + flatAmount.scaled * SCALE, SCALE2, 'half_up');
}

function nonNegative(d: Decimal, param: string): void {
  if (d.isNegative()) throw invalid('invalid_price', `${param} must not be negative (got ${d.toString()}).`, param);
}

/**
 * Checks the invariants rating relies on; throws `invalid_request` naming the offending field. The config
 * loader validates too, but rating must never silently price a malformed scheme.
 */
export function validateScheme(scheme: PricingScheme): void {
  switch (scheme.type) {
    case 'flat':
    case 'up_front':
      nonNegative(scheme.amount, 'amount');
      return;
    case 'per_unit':
      nonNegative(scheme.unitAmount, 'unitAmount');
      return;
    case 'package':
      nonNegative(scheme.amount, 'amount');
      if (!scheme.size.gt(Decimal.ZERO)) {
        throw invalid('invalid_price', `Package size must be positive (got ${scheme.size.toString()}).`, 'size');
      }
      return;
    case 'tiered':
      validateTiers(scheme.tiers);
      return;
  }
}

function validateTiers(tiers: readonly Tier[]): void {
  if (tiers.length === 0) throw invalid('invalid_price', 'A tiered price needs at least one tier.', 'tiers');
  let prev = Decimal.ZERO;
  tiers.forEach((tier, i) => {
    nonNegative(tier.unitAmount, `tiers.${i}.unitAmount`);
    nonNegative(tier.flatAmount, `tiers.${i}.flatAmount`);
    const last = i === tiers.length - 1;
    if (tier.upTo === null) {
      if (!last) throw invalid('invalid_price', `Only the last tier may be open-ended (tier ${i + 1} is).`, `tiers.${i}.upTo`);
      return;
    }
    if (last) throw invalid('invalid_price', 'The last tier must be open-ended (upTo: null).', `tiers.${i}.upTo`);
    if (!tier.upTo.gt(prev)) {
      throw invalid(
        'invalid_price',
        `Tier ${i + 1} ends at ${tier.upTo.toString()}, which is not above ${i === 0 ? 'zero' : `tier ${i}'s ${prev.toString()}`}.`,
        `tiers.${i}.upTo`,
      );
    }
    prev = tier.upTo;
  });
}

function makeLine(
  kind: LineKind,
  tier: number | null,
  quantity: Decimal,
  billedQuantity: Decimal,
  unitAmount: Decimal,
  flatAmount: Decimal,
  tierFrom: Decimal | null = null,
  tierUpTo: Decimal | null = null,
): RatedLine {
  return {
    kind,
    tier,
    quantity,
    billedQuantity,
    unitAmount,
    flatAmount,
    amount: lineAmount(billedQuantity, unitAmount, flatAmount),
    tierFrom,
    tierUpTo,
  };
}

/** Graduated: each tier bills its own units; tier 0 is always touched, so its flat fee applies even at 0. */
function rateGraduated(tiers: readonly Tier[], q: Decimal): RatedLine[] {
  const lines: RatedLine[] = [];
  let from = Decimal.ZERO;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i] as Tier;
    const reachedEnd = t.upTo === null || q.lte(t.upTo);
    const top = reachedEnd ? q : (t.upTo as Decimal);
    const units = top.sub(from);
    lines.push(makeLine('graduated', i, units, units, t.unitAmount, t.flatAmount, from, t.upTo));
    if (reachedEnd) break;
    from = t.upTo as Decimal;
  }
  return lines;
}

/** Index of the tier the quantity falls in (upper bounds inclusive). */
export function tierIndexFor(tiers: readonly Tier[], q: Decimal): number {
  for (let i = 0; i < tiers.length; i++) {
    const up = (tiers[i] as Tier).upTo;
    if (up === null || q.lte(up)) return i;
  }
  return tiers.length - 1; // unreachable for validated tiers (last is open)
}

/** Volume: every unit at the reached tier's unit amount, plus that tier's flat amount, as one line. */
function rateVolume(tiers: readonly Tier[], q: Decimal): RatedLine[] {
  const i = tierIndexFor(tiers, q);
  const t = tiers[i] as Tier;
  const from = i === 0 ? Decimal.ZERO : ((tiers[i - 1] as Tier).upTo as Decimal);
  return [makeLine('volume', i, q, q, t.unitAmount, t.flatAmount, from, t.upTo)];
}

/**
 * Prices `quantity` under `scheme`. Amounts are in minor units of `currency`; zero-decimal currencies need
 * nothing special because amounts are minor units already. A `$0` scheme still yields lines carrying the
 * quantity (R4). Throws `invalid_request` for a negative quantity (`param: 'quantity'`), an unknown currency
 * or a malformed scheme.
 */
export function ratePrice(scheme: PricingScheme, quantity: Decimal, currency: string): Rating {
  currencyExponent(currency); // unknown currencies are an error here, not at the provider
  if (quantity.isNegative()) {
    throw invalid('invalid_quantity', `Quantity must not be negative (got ${quantity.toString()}).`, 'quantity');
  }
  validateScheme(scheme);
  let lines: RatedLine[];
  switch (scheme.type) {
    case 'flat':
    case 'up_front':
      lines = [makeLine(scheme.type, null, Decimal.ONE, Decimal.ONE, scheme.amount, Decimal.ZERO)];
      break;
    case 'per_unit':
      lines = [makeLine('per_unit', null, quantity, quantity, scheme.unitAmount, Decimal.ZERO)];
      break;
    case 'package': {
      const packages = divRound(quantity.scaled, scheme.size.scaled, scheme.round === 'up' ? 'ceil' : 'floor');
      lines = [makeLine('package', null, quantity, Decimal.fromBigInt(packages), scheme.amount, Decimal.ZERO)];
      break;
    }
    case 'tiered':
      lines = scheme.mode === 'graduated' ? rateGraduated(scheme.tiers, quantity) : rateVolume(scheme.tiers, quantity);
      break;
  }
  let amount = 0n;
  for (const l of lines) amount += l.amount;
  return { amount, currency: normalizeCurrency(currency), quantity, lines };
}
