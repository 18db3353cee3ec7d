import type { Price } from '../catalog/model.js';
import { Decimal } from '../money/decimal.js';
import type { Rating, RatedLine } from '../pricing/rate.js';

export type LineSource = 'recurring' | 'usage' | 'up_front' | 'manual';

export interface DateRange {
  readonly start: Date;
  readonly end: Date;
}

/** One invoice line before discounts: a list-price amount in minor units and what it is for. */
export interface DraftLine {
  readonly description: string;
  readonly source: LineSource;
  readonly productKey: string | null;
  readonly priceKey: string | null;
  /** Recurring fees cover the coming period (in advance); usage covers the closed one (in arrears). */
  readonly period: DateRange | null;
  readonly quantity: Decimal;
  readonly unitAmount: Decimal | null;
  readonly flatAmount: Decimal | null;
  readonly tier: number | null;
  readonly tierFrom: Decimal | null;
  readonly tierUpTo: Decimal | null;
  readonly amount: bigint;
  /** Whether the customer's coupon may reduce this line. */
  readonly discountable: boolean;
}

const fmtQty = (d: Decimal): string => {
  const [i = '0', f] = d.toString().split('.');
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return f ? `${grouped}.${f}` : grouped;
};

function tierLabel(l: RatedLine): string {
  if (l.tier === null) return '';
  const from = l.tierFrom ? l.tierFrom.add(Decimal.ONE) : Decimal.ONE;
  const to = l.tierUpTo ? fmtQty(l.tierUpTo) : '∞';
  return ` (tier ${l.tier + 1}: ${l.tier === 0 ? '0' : fmtQty(from)}–${to})`;
}

/**
 * The invoice lines of one rated price: one line per tier touched (graduated), one line otherwise.
 * `$0` lines are kept, so quantities always show (R4).
 */
export function linesFromRating(args: {
  price: Price;
  productName: string;
  unit: string | null;
  rating: Rating;
  period: DateRange;
  source: LineSource;
}): DraftLine[] {
  const { price, productName, unit, rating, period, source } = args;
  const unitsOf = (q: Decimal): string => (unit ? ` ${unit}${q.eq(Decimal.ONE) || unit.endsWith('s') ? '' : 's'}` : '');
  return rating.lines.map((l) => {
    const what =
      source === 'usage'
        ? `${productName} — ${fmtQty(l.quantity)}${unitsOf(l.quantity)}${tierLabel(l)}`
        : source === 'up_front'
          ? `${productName} — up-front`
          : `${productName} — ${price.interval === 'year' ? 'annual' : 'monthly'} fee`;
    return {
      description: price.description && source !== 'usage' ? `${what} (${price.description})` : what,
      source,
      productKey: price.productKey,
      priceKey: price.key,
      period,
      quantity: l.quantity,
      unitAmount: l.unitAmount,
      flatAmount: l.flatAmount.isZero() ? null : l.flatAmount,
      tier: l.tier,
      tierFrom: l.tierFrom,
      tierUpTo: l.tierUpTo,
      amount: l.amount,
      discountable: true,
    };
  });
}
