import { invalid } from '../../shared/errors.js';

/** Milliseconds in a UTC day: UTC has no DST and JavaScript time ignores leap seconds, so this is exact. */
export const DAY_MS = 86_400_000;

/** Throws unless `d` is a Date holding a real instant (an `Invalid Date` would silently poison every sum). */
export function checkDate(d: Date, param: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw invalid('invalid_date', `${param} is not a valid date.`, param);
  return t;
}

/** Throws unless `n` is a safe integer no smaller than `min`. */
export function checkInteger(n: number, param: string, min = Number.MIN_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(n) || n < min) {
    const bound = min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer ≥ ${min}`;
    throw invalid('invalid_integer', `${param} must be ${bound}; got ${String(n)}.`, param);
  }
  return n;
}

/**
 * Wraps an epoch-millisecond result in a Date, refusing values beyond the ±8.64e15 ms a Date can hold
 * (the Date constructor would otherwise return an `Invalid Date` without complaint).
 */
export function toDate(ms: number, param: string): Date {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) {
    throw invalid('date_out_of_range', `The date computed from ${param} is outside the representable range.`, param);
  }
  return d;
}
