import type { PricingScheme } from '../catalog/model.js';
import { currencyExponent } from '../money/currency.js';
import { Decimal, divRound } from '../money/decimal.js';
import { listAmountForBudget, type Discount } from './discount.js';
import { lineAmount, ratePrice, validateScheme } from './rate.js';

/**
 * Billing limit → unit limit (R12). A customer's limit is in currency and discounts count first, so the
 * budget becomes a list-price allowance (`listAmountForBudget`), and the allowance becomes the largest whole
 * quantity whose list price fits it at every quantity up to it.
 */

const SCALE = Decimal.ONE.scaled;
const SCALE2 = SCALE * SCALE;

export interface UnitLimit {
  /**
   * The largest whole quantity q such that every quantity 0…q costs (after discount) at most the budget, so
   * `q + 1` is the first quantity over it. null = unbounded: no quantity ever costs more than the budget.
   */
  readonly quantity: Decimal | null;
  /** List-price amount the budget buys after the discount ($200 at 20% off → $250); null when a 100% discount makes any amount fit. */
  readonly listAmountAllowed: bigint | null;
  /** List-price amount of `quantity` (what the customer would be billed before discount at the limit); null when unbounded. */
  readonly listAmountAtLimit: bigint | null;
  /** True when even quantity 0 costs more than the budget (e.g. a first-tier flat fee above it); `quantity` is then 0. */
  readonly budgetBelowBaseCost: boolean;
}

type Cost = (q: bigint) => bigint;

/**
 * Integers lo…hi (hi null = no end) over which `cost(q) = base + lineAmount(q − from, unit, flat)` and so is
 * non-decreasing: one tier of a graduated or volume price, or a whole per-unit price.
 */
interface Segment {
  readonly lo: bigint;
  readonly hi: bigint | null;
  readonly base: bigint;
  readonly from: Decimal;
  readonly unit: Decimal;
  readonly flat: Decimal;
}

const floorInt = (d: Decimal): bigint => divRound(d.scaled, SCALE, 'floor');

/** Safe fallback for a non-decreasing cost with cost(good) <= allowance: first q > good over it (or null if hi bounds it and fits). */
function firstOverBySearch(good: bigint, bad: bigint | null, allowance: bigint, cost: Cost): bigint {
  let lo = good;
  let hi: bigint;
  if (bad !== null) {
    hi = bad;
  } else {
    // Exponential probe; terminates because the callers only get here when cost grows without bound.
    let step = 1n;
    while (cost(lo + step) <= allowance) step *= 2n;
    hi = lo + step;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (cost(mid) <= allowance) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** First integer in the segment whose cost exceeds `allowance`, or null if none does. */
function firstOverInSegment(seg: Segment, allowance: bigint, cost: Cost): bigint | null {
  if (cost(seg.lo) > allowance) return seg.lo; // the tier's flat amount alone can jump past the budget
  if (seg.hi !== null && cost(seg.hi) <= allowance) return null;
  if (seg.unit.isZero()) return null; // constant over the segment; only an open last tier gets here
  // Largest q with (q − from)·unit + flat < R + ½, R = allowance − base (half-up: round(x) <= R ⟺ x < R + ½),
  // times 2·S²: 2·q·S·U < (2R + 1)·S² − 2·F·S + 2·P·U.
  const r = allowance - seg.base;
  const u = seg.unit.scaled;
  const n = (2n * r + 1n) * SCALE2 - 2n * seg.flat.scaled * SCALE + 2n * seg.from.scaled * u;
  let q = divRound(n, 2n * SCALE * u, 'ceil') - 1n;
  if (q < seg.lo) q = seg.lo;
  if (seg.hi !== null && q >= seg.hi) q = seg.hi - 1n;
  // The algebra is exact; checking with the real rating keeps it honest and ±1 costs two ratings.
  if (cost(q) <= allowance) {
    if (cost(q + 1n) > allowance) return q + 1n;
    if (cost(q + 2n) > allowance) return q + 2n; // q + 1 < hi here, since cost(hi) is known to be over
  } else if (q > seg.lo && cost(q - 1n) <= allowance) {
    return q;
  }
  return firstOverBySearch(seg.lo, seg.hi, allowance, cost);
}

function firstOverTiered(scheme: Extract<PricingScheme, { type: 'tiered' }>, allowance: bigint, cost: Cost): bigint | null {
  const graduated = scheme.mode === 'graduated';
  let from = Decimal.ZERO;
  let base = 0n; // graduated: the amount of the tiers already completed
  for (let i = 0; i < scheme.tiers.length; i++) {
    const t = scheme.tiers[i];
    if (t === undefined) break;
    const lo = i === 0 ? 0n : floorInt(from) + 1n; // tier i holds quantities in (from, upTo]; tier 0 also holds 0
    const hi = t.upTo === null ? null : floorInt(t.upTo);
    if (hi === null || lo <= hi) {
      // Volume prices all units at the reached tier, so each tier is its own curve starting from 0.
      const seg: Segment = graduated
        ? { lo, hi, base, from, unit: t.unitAmount, flat: t.flatAmount }
        : { lo, hi, base: 0n, from: Decimal.ZERO, unit: t.unitAmount, flat: t.flatAmount };
      // Volume prices can fall at a tier boundary; returning the *first* quantity over budget (not the last
      // one under it) keeps usage from passing through an over-budget range on its way to a cheaper tier.
      const first = firstOverInSegment(seg, allowance, cost);
      if (first !== null) return first;
    }
    if (t.upTo === null) return null;
    if (graduated) base += lineAmount(t.upTo.sub(from), t.unitAmount, t.flatAmount);
    from = t.upTo;
  }
  return null;
}

function firstOverPackage(scheme: Extract<PricingScheme, { type: 'package' }>, allowance: bigint, cost: Cost): bigint | null {
  if (scheme.amount.isZero()) return null;
  // Most packages k with round(k·amount) <= allowance, then the first quantity that needs k + 1 of them.
  const k = divRound((2n * allowance + 1n) * SCALE, 2n * scheme.amount.scaled, 'ceil') - 1n;
  const first =
    scheme.round === 'up'
      ? divRound(k * scheme.size.scaled, SCALE, 'floor') + 1n
      : divRound((k + 1n) * scheme.size.scaled, SCALE, 'ceil');
  if (cost(first) > allowance && cost(first - 1n) <= allowance) return first;
  return firstOverBySearch(0n, null, allowance, cost);
}

/** First whole quantity whose list amount exceeds `allowance`; null if none does. */
function firstOver(scheme: PricingScheme, allowance: bigint, cost: Cost): bigint | null {
  switch (scheme.type) {
    case 'flat':
    case 'up_front':
      return cost(0n) > allowance ? 0n : null;
    case 'per_unit':
      return firstOverInSegment(
        { lo: 0n, hi: null, base: 0n, from: Decimal.ZERO, unit: scheme.unitAmount, flat: Decimal.ZERO },
        allowance,
        cost,
      );
    case 'package':
      return firstOverPackage(scheme, allowance, cost);
    case 'tiered':
      return firstOverTiered(scheme, allowance, cost);
  }
}

/**
 * Turns a billing limit `budget` (minor units, after `discount`) into a unit limit for `scheme`.
 * Tiers are walked in order to find the one where the budget runs out, the quantity is solved inside it
 * with integer arithmetic, and the answer is confirmed against `ratePrice` (binary search if it ever
 * disagreed). A handful of ratings per tier, each O(tiers): the cost does not grow with the budget or the quantity.
 */
export function unitLimitForBudget(
  scheme: PricingScheme,
  budget: bigint,
  discount: Discount | null,
  currency: string,
): UnitLimit {
  currencyExponent(currency);
  validateScheme(scheme);
  const allowance = listAmountForBudget(budget, discount);
  if (allowance === null) {
    return { quantity: null, listAmountAllowed: null, listAmountAtLimit: null, budgetBelowBaseCost: false };
  }
  const cost: Cost = (q) => ratePrice(scheme, Decimal.fromBigInt(q), currency).amount;
  const first = firstOver(scheme, allowance, cost);
  if (first === null) {
    return { quantity: null, listAmountAllowed: allowance, listAmountAtLimit: null, budgetBelowBaseCost: false };
  }
  const q = first === 0n ? 0n : first - 1n;
  return {
    quantity: Decimal.fromBigInt(q),
    listAmountAllowed: allowance,
    listAmountAtLimit: cost(q),
    budgetBelowBaseCost: first === 0n,
  };
}
