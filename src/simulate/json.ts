import type { Decimal } from '../core/money/decimal.js';
import { minorToJson } from '../core/money/money.js';

/** Minor units as a JSON number (refused past 2^53 rather than rounded). */
export const int = minorToJson;

/** Whole quantities as numbers, fractional ones as exact decimal strings. */
export function quantity(d: Decimal): number | string {
  if (d.isInteger()) {
    const n = d.toInteger();
    if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(n);
  }
  return d.toString();
}
