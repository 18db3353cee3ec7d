import { Decimal } from '../money/decimal.js';
import { percentOf } from '../money/money.js';
import { invalid } from '../../shared/errors.js';

/** A discount on an amount: `percent` off (0–100, decimals allowed) or a fixed amount off in minor units. */
export type Discount =
  | { readonly type: 'percent'; readonly percent: Decimal }
  | { readonly type: 'fixed'; readonly amount: bigint };

const HUNDRED = Decimal.fromBigInt(100n);

export function validateDiscount(discount: Discount): void {
  if (discount.type === 'percent') {
    if (discount.percent.isNegative() || discount.percent.gt(HUNDRED)) {
      throw invalid('invalid_discount', `A percent discount must be between 0 and 100 (got ${discount.percent.toString()}).`, 'percent');
    }
  } else if (discount.amount < 0n) {
    throw invalid('invalid_discount', `A fixed discount must not be negative (got ${discount.amount}).`, 'amount');
  }
}

function checkAmount(amount: bigint): void {
  if (amount < 0n) throw invalid('invalid_amount', `Cannot discount a negative amount (${amount}).`, 'amount');
}

/** How much `discount` takes off `amount`: the percentage rounded half-up once, never more than the amount. */
export function discountAmount(amount: bigint, discount: Discount): bigint {
  checkAmount(amount);
  validateDiscount(discount);
  const off = discount.type === 'percent' ? percentOf(amount, discount.percent, 'half_up') : discount.amount;
  return off > amount ? amount : off;
}

/** `amount` after `discount`, never below zero (20% off 999 → 999 − round(199.8) = 799). */
export function applyDiscount(amount: bigint, discount: Discount): bigint {
  return amount - discountAmount(amount, discount);
}

/**
 * The largest list amount whose discounted amount fits `budget` (R12: 20000 at 20% off → 25000); null when
 * every amount fits (a 100% discount). Exact because the discounted amount is non-decreasing in the list
 * amount (it grows by 0 or 1 per minor unit when the percentage is at most 100).
 */
export function listAmountForBudget(budget: bigint, discount: Discount | null): bigint | null {
  if (budget < 0n) throw invalid('invalid_budget', `A budget must not be negative (got ${budget}).`, 'budget');
  if (discount === null) return budget;
  validateDiscount(discount);
  if (discount.type === 'fixed') return budget + discount.amount;
  const p = discount.percent.scaled;
  const hundred = HUNDRED.scaled;
  if (p === hundred) return null;
  if (p === 0n) return budget;
  // applyDiscount(a) >= a·(1 − p) − ½, so every a above (2B + 1) / (2(1 − p)) is over budget.
  let lo = budget; // applyDiscount(a) <= a, so the budget itself always fits
  let hi = ((2n * budget + 1n) * hundred) / (2n * (hundred - p)) + 1n; // first candidate known to be over
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (applyDiscount(mid, discount) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
}
