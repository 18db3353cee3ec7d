import { invalid } from '../../shared/errors.js';
import type { Interval } from '../catalog/model.js';
import { checkDate, checkInteger, DAY_MS, toDate } from './guards.js';

/** A half-open span of time `[start, end)`. */
export interface DateRange {
  readonly start: Date;
  readonly end: Date;
}

/** Billing period number `index` of an anchor: `[addInterval(anchor, i, index), addInterval(anchor, i, index + 1))`. */
export interface Period extends DateRange {
  /** 0 is the period that starts at the anchor; negative for periods before it. */
  readonly index: number;
}

/** An anchor split into UTC calendar fields once, so boundaries need no re-validation. */
interface Anchor {
  /** Months since year 0 (year * 12 + month0): makes "k months later" plain integer addition. */
  readonly monthOrdinal: number;
  readonly day: number;
  readonly msOfDay: number;
}

const MONTHS_PER: Readonly<Record<Interval, number>> = { month: 1, year: 12 };

function splitAnchor(d: Date, param: string): Anchor {
  const t = checkDate(d, param);
  return {
    monthOrdinal: d.getUTCFullYear() * 12 + d.getUTCMonth(),
    day: d.getUTCDate(),
    msOfDay: t - Math.floor(t / DAY_MS) * DAY_MS,
  };
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in month `month0` (0–11) of year `y`, in the proleptic Gregorian calendar Date uses. */
export function daysInMonth(y: number, month0: number): number {
  return month0 === 1 ? (isLeapYear(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month0]!;
}

/**
 * Boundary `k` of an anchor's periods (the start of period k). Computed from the anchor every time (never
 * from the previous boundary) so a Jan 31 anchor returns to the 31st after February instead of sticking at 28.
 */
function boundary(a: Anchor, interval: Interval, k: number, param: string): Date {
  const ordinal = a.monthOrdinal + k * MONTHS_PER[interval];
  const year = Math.floor(ordinal / 12);
  const month0 = ordinal - year * 12;
  const day = Math.min(a.day, daysInMonth(year, month0));
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const midnight = new Date(0).setUTCFullYear(year, month0, day);
  return toDate(midnight + a.msOfDay, param);
}

/**
 * `anchor` moved by `count` months or years (negative counts go back), clamping the day of month to the
 * target month's length like Stripe's billing_cycle_anchor: Jan 31 + 1 month = Feb 28 (29 in leap years),
 * + 2 months = Mar 31; Feb 29 2024 + 1 year = Feb 28 2025, + 4 years = Feb 29 2028. Time of day is kept.
 */
export function addInterval(anchor: Date, interval: Interval, count: number): Date {
  const a = splitAnchor(anchor, 'anchor');
  checkInteger(count, 'count');
  return boundary(a, interval, count, 'count');
}

/**
 * The period of `anchor`'s cycle that contains `at`: `start <= at < end`, so an instant exactly on a
 * boundary belongs to the period that starts there. Instants before the anchor are answered too, with a
 * negative index, because the cycle extends backwards by the same rule (callers that must not bill before
 * the anchor check `index >= 0`). O(1) in the distance between anchor and `at`.
 */
export function periodAt(anchor: Date, interval: Interval, at: Date): Period {
  const a = splitAnchor(anchor, 'anchor');
  const t = checkDate(at, 'at');
  return periodOf(a, interval, t, at);
}

function periodOf(a: Anchor, interval: Interval, t: number, at: Date): Period {
  // The estimate puts boundary k in `at`'s month or earlier and boundary k + 1 in a later month, so only
  // a day/time in `at`'s own month can push the answer back to k - 1: the loop body runs at most once.
  const atOrdinal = at.getUTCFullYear() * 12 + at.getUTCMonth();
  let index = Math.floor((atOrdinal - a.monthOrdinal) / MONTHS_PER[interval]);
  let start = boundary(a, interval, index, 'at');
  while (start.getTime() > t) {
    index -= 1;
    start = boundary(a, interval, index, 'at');
  }
  return { start, end: boundary(a, interval, index + 1, 'at'), index };
}

/**
 * Every period of `anchor`'s cycle that overlaps `[from, to)`, in order. Empty when `from == to`;
 * `to < from` is rejected as a caller's mistake. The first and last periods may stick out of the range.
 */
export function periodsBetween(anchor: Date, interval: Interval, from: Date, to: Date): Period[] {
  const a = splitAnchor(anchor, 'anchor');
  const tFrom = checkDate(from, 'from');
  const tTo = checkDate(to, 'to');
  if (tTo < tFrom) throw invalid('invalid_range', 'to must not be earlier than from.', 'to');
  if (tTo === tFrom) return [];
  const out: Period[] = [];
  let p = periodOf(a, interval, tFrom, from);
  out.push(p);
  while (p.end.getTime() < tTo) {
    const index = p.index + 1;
    // Fresh Date objects: Dates are mutable and must not be shared between periods.
    p = { start: new Date(p.end.getTime()), end: boundary(a, interval, index + 1, 'to'), index };
    out.push(p);
  }
  return out;
}

/**
 * An amortization term as `termMonths` consecutive calendar months from `start` (R20), each boundary
 * clamped from `start` like `addInterval` (a Jan 31 start gives Jan 31–Feb 28, Feb 28–Mar 31, …).
 * The slices tile `[start, addInterval(start, 'month', termMonths))` exactly.
 */
export function monthlySlices(start: Date, termMonths: number): DateRange[] {
  const a = splitAnchor(start, 'start');
  checkInteger(termMonths, 'termMonths', 1);
  const out: DateRange[] = [];
  let from = boundary(a, 'month', 0, 'start');
  for (let k = 1; k <= termMonths; k++) {
    const to = boundary(a, 'month', k, 'termMonths');
    out.push({ start: from, end: new Date(to.getTime()) });
    from = to;
  }
  return out;
}
