import type { Decimal } from '../core/money/decimal.js';

/** Minor units as a JSON number; amounts never come near 2^53, but a silent loss would be a wrong bill. */
export function int(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`amount ${n} does not fit a JSON number exactly`);
  return Number(n);
}

/** Whole quantities as numbers, fractional ones as exact decimal strings. */
export function quantity(d: Decimal): number | string {
  if (d.isInteger()) {
    const n = d.toInteger();
    if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(n);
  }
  return d.toString();
}
