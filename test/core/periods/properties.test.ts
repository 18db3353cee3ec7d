import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Interval } from '../../../src/core/catalog/model.js';
import {
  addDays,
  addInterval,
  DAY_MS,
  daysBetween,
  formatDateOnly,
  monthlySlices,
  parseDateOnly,
  periodAt,
  periodsBetween,
  startOfUtcDay,
} from '../../../src/core/periods/index.js';

// From year 400, even 200 years back (arbCount) keeps the Date.UTC-based references below away from
// Date.UTC's mapping of years 0–99 to 1900–1999.
const arbInstant = fc.date({
  min: new Date('0400-01-01T00:00:00.000Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});
// Anchors are biased towards month ends, where clamping happens.
const arbAnchor = fc.oneof(
  arbInstant,
  fc
    .record({
      year: fc.integer({ min: 1900, max: 2200 }),
      month0: fc.integer({ min: 0, max: 11 }),
      day: fc.integer({ min: 28, max: 31 }),
      ms: fc.integer({ min: 0, max: DAY_MS - 1 }),
    })
    .map(({ year, month0, day, ms }) => new Date(Date.UTC(year, month0, Math.min(day, refDaysInMonth(year, month0))) + ms)),
);
const arbInterval = fc.constantFrom<Interval>('month', 'year');
const arbCount = fc.integer({ min: -2400, max: 2400 });
const monthsPer = (i: Interval): number => (i === 'month' ? 1 : 12);

/** Independent of the module: day 0 of the next month is the last day of this one. */
function refDaysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}
const msOfDay = (d: Date): number => ((d.getTime() % DAY_MS) + DAY_MS) % DAY_MS;
const monthOrdinal = (d: Date): number => d.getUTCFullYear() * 12 + d.getUTCMonth();

/** Reference for periodAt: walk from the anchor one boundary at a time (only for nearby instants). */
function refIndex(anchor: Date, interval: Interval, at: Date): number {
  let k = 0;
  while (addInterval(anchor, interval, k).getTime() > at.getTime()) k--;
  while (addInterval(anchor, interval, k + 1).getTime() <= at.getTime()) k++;
  return k;
}

describe('periods properties', () => {
  it('addInterval lands on min(anchor day, days in target month), in the target month, same time of day', () => {
    fc.assert(
      fc.property(arbAnchor, arbInterval, arbCount, (anchor, interval, count) => {
        const d = addInterval(anchor, interval, count);
        expect(monthOrdinal(d)).toBe(monthOrdinal(anchor) + count * monthsPer(interval));
        expect(d.getUTCDate()).toBe(Math.min(anchor.getUTCDate(), refDaysInMonth(d.getUTCFullYear(), d.getUTCMonth())));
        expect(msOfDay(d)).toBe(msOfDay(anchor));
      }),
    );
  });

  it('addInterval is strictly increasing in count', () => {
    fc.assert(
      fc.property(arbAnchor, arbInterval, arbCount, arbCount, (anchor, interval, a, b) => {
        fc.pre(a !== b);
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(addInterval(anchor, interval, lo).getTime()).toBeLessThan(addInterval(anchor, interval, hi).getTime());
      }),
    );
  });

  it('a year is twelve months, and anchors on day ≤ 28 compose like plain addition', () => {
    fc.assert(
      fc.property(arbAnchor, arbCount, arbCount, (anchor, a, b) => {
        expect(addInterval(anchor, 'year', a).getTime()).toBe(addInterval(anchor, 'month', 12 * a).getTime());
        if (anchor.getUTCDate() <= 28) {
          const chained = addInterval(addInterval(anchor, 'month', a), 'month', b);
          expect(chained.getTime()).toBe(addInterval(anchor, 'month', a + b).getTime());
        }
      }),
    );
  });

  it('periodAt(x) contains x and its bounds are boundaries index and index + 1 of the anchor', () => {
    fc.assert(
      fc.property(arbAnchor, arbInterval, arbInstant, (anchor, interval, at) => {
        const p = periodAt(anchor, interval, at);
        expect(p.start.getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(p.end.getTime());
        expect(p.start.getTime()).toBe(addInterval(anchor, interval, p.index).getTime());
        expect(p.end.getTime()).toBe(addInterval(anchor, interval, p.index + 1).getTime());
      }),
    );
  });

  it('periodAt agrees with walking from the anchor one period at a time', () => {
    const near = fc.integer({ min: -40 * 366 * DAY_MS, max: 40 * 366 * DAY_MS });
    fc.assert(
      fc.property(arbAnchor, arbInterval, near, (anchor, interval, offset) => {
        const at = new Date(anchor.getTime() + offset);
        expect(periodAt(anchor, interval, at).index).toBe(refIndex(anchor, interval, at));
      }),
      { numRuns: 300 },
    );
  });

  it('periods tile time: each end is the next start, boundary instants belong to the later period', () => {
    fc.assert(
      fc.property(arbAnchor, arbInterval, arbCount, (anchor, interval, k) => {
        const boundary = addInterval(anchor, interval, k);
        const p = periodAt(anchor, interval, boundary);
        expect(p.index).toBe(k);
        expect(p.start.getTime()).toBe(boundary.getTime());
        const before = periodAt(anchor, interval, new Date(boundary.getTime() - 1));
        expect(before.index).toBe(k - 1);
        expect(before.end.getTime()).toBe(p.start.getTime());
        expect(periodAt(anchor, interval, p.end).start.getTime()).toBe(p.end.getTime());
      }),
    );
  });

  it('periodsBetween returns consecutive, gapless periods that exactly cover [from, to)', () => {
    const span = fc.integer({ min: 0, max: 30 * 366 * DAY_MS });
    fc.assert(
      fc.property(arbAnchor, arbInterval, arbInstant, span, (anchor, interval, from, length) => {
        const to = new Date(from.getTime() + length);
        fc.pre(!Number.isNaN(to.getTime()));
        const ps = periodsBetween(anchor, interval, from, to);
        if (length === 0) {
          expect(ps).toEqual([]);
          return;
        }
        expect(ps[0]!.index).toBe(periodAt(anchor, interval, from).index);
        expect(ps[0]!.start.getTime()).toBeLessThanOrEqual(from.getTime());
        expect(ps.at(-1)!.end.getTime()).toBeGreaterThanOrEqual(to.getTime());
        ps.forEach((p, i) => {
          expect(p.start.getTime()).toBeLessThan(p.end.getTime());
          expect(p.start.getTime()).toBeLessThan(to.getTime()); // overlaps [from, to)
          expect(p.end.getTime()).toBeGreaterThan(from.getTime());
          const next = ps[i + 1];
          if (next !== undefined) {
            expect(next.index).toBe(p.index + 1);
            expect(next.start.getTime()).toBe(p.end.getTime());
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('monthlySlices tile the term and slice k starts at addInterval(start, month, k)', () => {
    fc.assert(
      fc.property(arbAnchor, fc.integer({ min: 1, max: 120 }), (start, term) => {
        const slices = monthlySlices(start, term);
        expect(slices).toHaveLength(term);
        slices.forEach((s, k) => {
          expect(s.start.getTime()).toBe(addInterval(start, 'month', k).getTime());
          expect(s.end.getTime()).toBe(addInterval(start, 'month', k + 1).getTime());
        });
      }),
      { numRuns: 100 },
    );
  });

  it('addDays and daysBetween are inverse; startOfUtcDay floors to a midnight', () => {
    fc.assert(
      fc.property(arbInstant, fc.integer({ min: -100_000, max: 100_000 }), (d, n) => {
        const moved = addDays(d, n);
        expect(daysBetween(d, moved)).toBe(n);
        expect(daysBetween(moved, d) + n).toBe(0); // not toBe(-n): -0 !== 0 for Object.is
        expect(msOfDay(moved)).toBe(msOfDay(d));
        const day = startOfUtcDay(d);
        expect(msOfDay(day)).toBe(0);
        expect(d.getTime() - day.getTime()).toBeGreaterThanOrEqual(0);
        expect(d.getTime() - day.getTime()).toBeLessThan(DAY_MS);
        expect(daysBetween(day, d)).toBe(0);
      }),
    );
  });

  it('parseDateOnly(formatDateOnly(d)) is the UTC midnight of d', () => {
    fc.assert(
      fc.property(arbInstant, (d) => {
        expect(parseDateOnly(formatDateOnly(d)).getTime()).toBe(startOfUtcDay(d).getTime());
      }),
    );
  });
});
