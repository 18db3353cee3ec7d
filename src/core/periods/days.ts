import { checkDate, checkInteger, DAY_MS, toDate } from './guards.js';

/** Midnight UTC of the day `d` falls on (floor, so instants before 1970 work too). */
export function startOfUtcDay(d: Date): Date {
  const t = checkDate(d, 'd');
  return new Date(t - mod(t, DAY_MS));
}

/** `d` moved by `n` whole UTC days (n may be negative); the time of day is kept. */
export function addDays(d: Date, n: number): Date {
  const t = checkDate(d, 'd');
  checkInteger(n, 'n');
  return toDate(t + n * DAY_MS, 'n');
}

/**
 * The number of UTC calendar days from `a`'s date to `b`'s date, negative when `b` is earlier. Time of
 * day is ignored: 23:59 on the 1st to 00:01 on the 2nd is one day; 00:00 to 23:59 on the same date is 0.
 * `daysBetween(a, addDays(a, n)) === n` for every n.
 */
export function daysBetween(a: Date, b: Date): number {
  const ta = checkDate(a, 'a');
  const tb = checkDate(b, 'b');
  // Both operands are exact multiples of DAY_MS, so the division is exact.
  return (tb - mod(tb, DAY_MS) - (ta - mod(ta, DAY_MS))) / DAY_MS;
}

/**
 * When a startup price stops applying (R6): `validDays` days after the item's `start`, same time of day.
 * The price applies while `at < expiryOf(start, validDays)`; the reset happens at that instant.
 */
export function expiryOf(start: Date, validDays: number): Date {
  const t = checkDate(start, 'start');
  checkInteger(validDays, 'validDays', 0);
  return toDate(t + validDays * DAY_MS, 'validDays');
}

/** The due date of an invoice sent rather than charged: `netDays` after `start` (R19 contract start + 30, R23 net 30). */
export function dueDate(start: Date, netDays = 30): Date {
  const t = checkDate(start, 'start');
  checkInteger(netDays, 'netDays', 0);
  return toDate(t + netDays * DAY_MS, 'netDays');
}

/** Floor modulo: the remainder takes the divisor's sign, so pre-1970 instants land in the right day. */
function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
