/**
 * Pure coupon arithmetic: what N months of a plan cost at list price (R11: coupon values come from list
 * price), and how two coupons merge when stacked. No I/O, no clock.
 */
import { subscriptionPricesFor } from '../../core/catalog/lookup.js';
import type { Catalog, Price } from '../../core/catalog/model.js';
import { Decimal } from '../../core/money/decimal.js';
import { normalizeCurrency } from '../../core/money/currency.js';
import { roundMinor } from '../../core/money/money.js';
import { conflict, invalid } from '../../shared/errors.js';
import type { Coupon, CouponDuration } from './model.js';

export const MAX_COUPON_MONTHS = 120;

/** The part of a price charged whatever the usage: a flat fee, an up-front amount, a first tier's flat amount. */
function fixedPart(p: Price): Decimal {
  const s = p.scheme;
  if (s.type === 'flat' || s.type === 'up_front') return s.amount;
  if (s.type === 'tiered') return s.tiers[0]?.flatAmount ?? Decimal.fromBigInt(0n);
  return Decimal.fromBigInt(0n); // per-unit and package prices depend on usage: no list amount to quote
}

export interface PlanMonthsInput {
  readonly product: string;
  readonly plan: string;
  readonly currency: string;
  readonly months: number;
}

/**
 * `months` months of a plan at list price, in minor units: the plan's fixed recurring charges (flat fees,
 * up-front amounts, flat first tiers) in `currency`. Monthly prices are used when the plan has any fixed
 * monthly charge; otherwise its yearly ones, pro rata (`yearly × months / 12`). Rounded half-up once.
 * Usage-only plans have no list amount to quote: refused, so staff give the amount directly.
 */
export function couponValueForMonths(catalog: Catalog, input: PlanMonthsInput): bigint {
  if (!Number.isInteger(input.months) || input.months < 1 || input.months > MAX_COUPON_MONTHS) {
    throw invalid('months_invalid', `months must be a whole number from 1 to ${MAX_COUPON_MONTHS}.`, 'months');
  }
  const prices = subscriptionPricesFor(catalog, input.product, input.plan, input.currency);
  const sum = (interval: 'month' | 'year') =>
    prices.filter((p) => p.interval === interval).reduce((acc, p) => acc.add(fixedPart(p)), Decimal.fromBigInt(0n));
  const monthly = sum('month');
  const months = BigInt(input.months);
  if (!monthly.isZero()) return roundMinor(monthly.mulInt(months));
  const yearly = sum('year');
  if (!yearly.isZero()) return roundMinor(yearly.mulInt(months).div(Decimal.fromBigInt(12n)));
  throw invalid(
    'plan_without_list_amount',
    `Plan '${input.plan}' of '${input.product}' has no flat or up-front price in ${normalizeCurrency(input.currency)}: its cost depends on usage, so give amount_off directly.`,
    'plan',
  );
}

// ── Stacking ─────────────────────────────────────────────────────────────────────────────────────────

export interface StackSide {
  readonly coupon: Coupon;
  /** Invoices this coupon already reduced for the customer (0 for the coupon being added). */
  readonly invoicesApplied: number;
}

export interface StackPart {
  readonly couponId: string;
  readonly amountOff: bigint;
  /** Invoices it still had to reduce; null for `forever`. */
  readonly invoicesLeft: number | null;
  /** amountOff × invoicesLeft; null for `forever`. */
  readonly value: bigint | null;
}

export interface StackPlan {
  readonly amountOff: bigint;
  readonly currency: string;
  readonly duration: CouponDuration;
  readonly durationInMonths: number | null;
  readonly productKeys: readonly string[] | null;
  /** The remaining value merged (null when both are `forever`). */
  readonly totalValue: bigint | null;
  readonly parts: readonly StackPart[];
}

const refuse = (message: string) => conflict('coupons_not_stackable', message, 'coupon');

const sameProducts = (a: readonly string[] | null, b: readonly string[] | null): boolean =>
  a === null || b === null ? a === b : a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Invoices a fixed coupon still reduces: 1 for an unused `once`, N minus those already reduced for `repeating`. */
function invoicesLeft(s: StackSide): number | null {
  const c = s.coupon;
  if (c.duration === 'forever') return null;
  if (c.duration === 'once') return s.invoicesApplied > 0 ? 0 : 1;
  return Math.max(0, (c.durationInMonths ?? 0) - s.invoicesApplied);
}

/**
 * How two coupons become one (R11: "stack their amounts into one large coupon"):
 * - Only fixed amounts in one currency, with the same product restriction, merge.
 * - The remaining value of each is its amount off per invoice times the invoices it still had to reduce:
 *   1 for an unused `once`, `duration_in_months − invoices already reduced` for `repeating`.
 * - The merged coupon spreads the summed value over the longer of the two remainders: `once` when that is
 *   1 invoice, else `repeating` for that many months at `ceil(total / months)` — rounded up, so the customer
 *   never gets less than the two were worth (at most months − 1 minor units more).
 * - Two `forever` coupons merge into one `forever` coupon of the summed amount. A `forever` coupon and a
 *   time-limited one do not: no single coupon is worth exactly both.
 * - Percentages are refused: a percentage and an amount have no common unit until an invoice exists, and
 *   two percentages do not add (20% then 10% is 28% off, not 30%), so any merge would silently change the
 *   discount on every later invoice.
 */
export function planStack(held: StackSide, incoming: StackSide): StackPlan {
  const a = held.coupon;
  const b = incoming.coupon;
  if (a.type === 'percent' && b.type === 'percent') {
    throw refuse(
      `Cannot stack two percentage coupons (${a.id}, ${b.id}): percentages do not add (20% then 10% off is 28%, not 30%), so merging them would change every later invoice. Remove the current coupon and apply the one that should hold.`,
    );
  }
  if (a.type !== b.type) {
    throw refuse(
      `Cannot stack a percentage coupon with a fixed-amount one (${a.id}, ${b.id}): their values have no common unit until an invoice exists. Stack fixed amounts only, or remove the current coupon first.`,
    );
  }
  if (a.currency !== b.currency) throw refuse(`Cannot stack ${a.currency ?? '?'} and ${b.currency ?? '?'} amounts (${a.id}, ${b.id}): a merged coupon has one currency.`);
  if (!sameProducts(a.productKeys, b.productKeys)) {
    throw refuse(`Cannot stack coupons restricted to different products (${a.id}, ${b.id}): the merged coupon would discount products one of them did not cover.`);
  }
  const sides = [held, incoming];
  const lefts = sides.map(invoicesLeft);
  const parts: StackPart[] = sides.map((s, i) => {
    const left = lefts[i] ?? null;
    const amount = s.coupon.amountOff ?? 0n;
    return { couponId: s.coupon.id, amountOff: amount, invoicesLeft: left, value: left === null ? null : amount * BigInt(left) };
  });
  const base = { currency: a.currency ?? '', productKeys: a.productKeys, parts };
  if (lefts.every((l) => l === null)) {
    return { ...base, amountOff: (a.amountOff ?? 0n) + (b.amountOff ?? 0n), duration: 'forever', durationInMonths: null, totalValue: null };
  }
  if (lefts.some((l) => l === null)) {
    throw refuse(
      `Cannot stack a forever coupon with a time-limited one (${a.id}, ${b.id}): the merged coupon would be worth more or less than the two. Create one coupon with the intended amount and duration instead.`,
    );
  }
  const total = parts.reduce((acc, p) => acc + (p.value ?? 0n), 0n);
  const months = Math.max(...lefts.map((l) => l ?? 0));
  if (total <= 0n || months < 1) throw refuse(`Nothing left to stack: the coupons ${a.id} and ${b.id} have no remaining value.`);
  if (months === 1) return { ...base, amountOff: total, duration: 'once', durationInMonths: null, totalValue: total };
  const m = BigInt(months);
  return { ...base, amountOff: (total + m - 1n) / m, duration: 'repeating', durationInMonths: months, totalValue: total };
}
