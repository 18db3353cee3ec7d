/**
 * Line amounts the way Stripe computes them: per-unit prices (with optional `transform_quantity`), graduated and
 * volume tiers (a tier's `up_to` is inclusive; the first tier's flat amount is billed even at quantity 0), and
 * decimal unit amounts multiplied out at full precision, each line rounded half-up to whole minor units before
 * the invoice is summed (0.05 × 30 = 1.5 → 2).
 */
import Stripe from 'stripe';

export function decimalOf(value: Stripe.Decimal | number | null | undefined): Stripe.Decimal {
  if (value === null || value === undefined) return Stripe.Decimal.zero;
  return typeof value === 'number' ? Stripe.Decimal.from(value) : value;
}

/** Whole minor units, ties away from zero. */
export function toMinorUnits(value: Stripe.Decimal): number {
  return value.round('half-up', { mode: 'decimal-places', value: 0 }).toNumber();
}

export function transformQuantity(price: Stripe.Price, quantity: number): number {
  const transform = price.transform_quantity;
  if (!transform) return quantity;
  const divided = quantity / transform.divide_by;
  return transform.round === 'up' ? Math.ceil(divided) : Math.floor(divided);
}

function tierUnit(tier: Stripe.Price.Tier): Stripe.Decimal {
  return tier.unit_amount_decimal ?? decimalOf(tier.unit_amount);
}

function tierFlat(tier: Stripe.Price.Tier): Stripe.Decimal {
  return tier.flat_amount_decimal ?? decimalOf(tier.flat_amount);
}

/** The exact (unrounded) amount for `quantity` units of `price`. */
export function priceAmountExact(price: Stripe.Price, quantity: number): Stripe.Decimal {
  const units = transformQuantity(price, quantity);
  const qty = Stripe.Decimal.from(units);
  if (price.billing_scheme !== 'tiered') {
    return decimalOf(price.unit_amount_decimal ?? price.unit_amount).mul(qty);
  }
  const tiers = price.tiers ?? [];
  if (price.tiers_mode === 'volume') {
    const tier = tiers.find((t) => t.up_to === null || units <= t.up_to) ?? tiers[tiers.length - 1];
    if (!tier) return Stripe.Decimal.zero;
    return tierUnit(tier).mul(qty).add(tierFlat(tier));
  }
  // Graduated: each tier bills the units that fall inside it.
  let total = Stripe.Decimal.zero;
  let previousUpTo = 0;
  for (const [index, tier] of tiers.entries()) {
    const upTo = tier.up_to ?? Number.POSITIVE_INFINITY;
    const inTier = Math.max(0, Math.min(units, upTo) - previousUpTo);
    if (inTier > 0 || index === 0) total = total.add(tierFlat(tier));
    total = total.add(tierUnit(tier).mul(Stripe.Decimal.from(inTier)));
    if (units <= upTo) break;
    previousUpTo = upTo;
  }
  return total;
}

export function priceAmount(price: Stripe.Price, quantity: number): number {
  return toMinorUnits(priceAmountExact(price, quantity));
}
