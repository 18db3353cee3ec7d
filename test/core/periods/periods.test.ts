import { describe, expect, it } from 'vitest';
import type { Interval } from '../../../src/core/catalog/model.js';
import { monthlySlices, periodAt, periodsBetween, type Period } from '../../../src/core/periods/index.js';
import { expectInvalid, iso, utc } from './helpers.js';

const show = (p: Period): [number, string, string] => [p.index, iso(p.start), iso(p.end)];
const at = (anchor: string, interval: Interval, instant: string): [number, string, string] =>
  show(periodAt(utc(anchor), interval, utc(instant)));
const between = (anchor: string, interval: Interval, from: string, to: string): [number, string, string][] =>
  periodsBetween(utc(anchor), interval, utc(from), utc(to)).map(show);

const Z = (date: string): string => `${date}T00:00:00.000Z`;

describe('periodAt', () => {
  it('puts an instant exactly at a start in that period and exactly at an end in the next', () => {
    expect(at('2024-01-31', 'month', '2024-01-31')).toEqual([0, Z('2024-01-31'), Z('2024-02-29')]);
    expect(at('2024-01-31', 'month', '2024-02-28T23:59:59.999Z')).toEqual([0, Z('2024-01-31'), Z('2024-02-29')]);
    expect(at('2024-01-31', 'month', '2024-02-29')).toEqual([1, Z('2024-02-29'), Z('2024-03-31')]);
    expect(at('2024-01-31', 'month', '2024-03-30T23:59:59.999Z')).toEqual([1, Z('2024-02-29'), Z('2024-03-31')]);
    expect(at('2024-01-31', 'month', '2024-03-31')).toEqual([2, Z('2024-03-31'), Z('2024-04-30')]);
  });

  it('uses the anchor time of day as the boundary', () => {
    const a = '2026-01-31T10:00:00Z';
    expect(at(a, 'month', '2026-02-28T09:59:59.999Z')).toEqual([0, '2026-01-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z']);
    expect(at(a, 'month', '2026-02-28T10:00:00.000Z')).toEqual([1, '2026-02-28T10:00:00.000Z', '2026-03-31T10:00:00.000Z']);
    // Mid-month, the boundary is in the same calendar month as `at` but later: the answer is the period before.
    expect(at('2026-01-15T12:00:00Z', 'month', '2026-03-15T11:00:00Z')[0]).toBe(1);
    expect(at('2026-01-15T12:00:00Z', 'month', '2026-03-15T12:00:00Z')[0]).toBe(2);
  });

  it('answers instants before the anchor with negative indexes', () => {
    expect(at('2024-01-31', 'month', '2024-01-30T23:59:59.999Z')).toEqual([-1, Z('2023-12-31'), Z('2024-01-31')]);
    expect(at('2024-01-31', 'month', '2023-12-01')).toEqual([-2, Z('2023-11-30'), Z('2023-12-31')]);
    expect(at('2024-02-29', 'year', '2023-02-28')).toEqual([-1, Z('2023-02-28'), Z('2024-02-29')]);
    expect(at('2024-02-29', 'year', '2023-02-27')).toEqual([-2, Z('2022-02-28'), Z('2023-02-28')]);
  });

  it('handles yearly intervals with Feb 29 anchors', () => {
    expect(at('2024-02-29', 'year', '2025-02-27T23:59:59Z')).toEqual([0, Z('2024-02-29'), Z('2025-02-28')]);
    expect(at('2024-02-29', 'year', '2025-02-28')).toEqual([1, Z('2025-02-28'), Z('2026-02-28')]);
    expect(at('2024-02-29', 'year', '2028-02-28T12:00:00Z')).toEqual([3, Z('2027-02-28'), Z('2028-02-29')]);
    expect(at('2024-02-29', 'year', '2028-02-29')).toEqual([4, Z('2028-02-29'), Z('2029-02-28')]);
  });

  it('handles yearly intervals whose period spans the new year', () => {
    expect(at('2020-03-15', 'year', '2025-01-10')).toEqual([4, Z('2024-03-15'), Z('2025-03-15')]);
    expect(at('2020-03-15', 'year', '2025-03-15')).toEqual([5, Z('2025-03-15'), Z('2026-03-15')]);
    expect(at('2020-12-31T23:00:00Z', 'year', '2021-12-31T22:59:59Z')[0]).toBe(0);
  });

  it('finds far-future periods directly', () => {
    expect(at('2026-01-31', 'month', '2526-06-15')).toEqual([6004, Z('2526-05-31'), Z('2526-06-30')]);
    expect(at('2026-01-31', 'month', '2526-06-30')).toEqual([6005, Z('2526-06-30'), Z('2526-07-31')]);
    expect(at('2024-02-29', 'year', '+100000-06-01T00:00:00Z')).toEqual([
      97976,
      '+100000-02-29T00:00:00.000Z',
      '+100001-02-28T00:00:00.000Z',
    ]);
    // Stepping one period at a time would take ~3 million steps per call here; this is instant.
    const anchor = utc('2026-01-31');
    for (let i = 0; i < 5_000; i++) {
      const p = periodAt(anchor, 'month', new Date(8e15 - i * 86_400_000 * 7));
      expect(p.index).toBeGreaterThan(3_000_000);
    }
  });

  it('refuses a period whose end Date cannot represent', () => {
    expectInvalid(() => periodAt(utc('2026-01-01'), 'month', new Date(8.64e15)), 'date_out_of_range', 'at');
  });

  it('rejects invalid dates', () => {
    expectInvalid(() => periodAt(new Date(Number.NaN), 'month', utc('2026-01-01')), 'invalid_date', 'anchor');
    expectInvalid(() => periodAt(utc('2026-01-01'), 'month', new Date('not a date')), 'invalid_date', 'at');
  });
});

describe('periodsBetween', () => {
  it('lists every period overlapping [from, to), including partial ones at both ends', () => {
    expect(between('2024-01-31', 'month', '2024-02-10', '2024-05-01')).toEqual([
      [0, Z('2024-01-31'), Z('2024-02-29')],
      [1, Z('2024-02-29'), Z('2024-03-31')],
      [2, Z('2024-03-31'), Z('2024-04-30')],
      [3, Z('2024-04-30'), Z('2024-05-31')],
    ]);
  });

  it('excludes a period that starts exactly at `to` and includes one that ends just after `from`', () => {
    expect(between('2024-01-31', 'month', '2024-01-31', '2024-03-31').map((p) => p[0])).toEqual([0, 1]);
    expect(between('2024-01-31', 'month', '2024-02-28T23:59:59.999Z', '2024-02-29').map((p) => p[0])).toEqual([0]);
    expect(between('2024-01-31', 'month', '2024-02-29', '2024-02-29T00:00:00.001Z').map((p) => p[0])).toEqual([1]);
  });

  it('spans the anchor and several yearly periods', () => {
    expect(between('2024-02-29', 'year', '2024-01-01', '2029-01-01')).toEqual([
      [-1, Z('2023-02-28'), Z('2024-02-29')],
      [0, Z('2024-02-29'), Z('2025-02-28')],
      [1, Z('2025-02-28'), Z('2026-02-28')],
      [2, Z('2026-02-28'), Z('2027-02-28')],
      [3, Z('2027-02-28'), Z('2028-02-29')],
      [4, Z('2028-02-29'), Z('2029-02-28')],
    ]);
  });

  it('is empty for an empty range and rejects a reversed one', () => {
    expect(between('2024-01-31', 'month', '2024-06-01', '2024-06-01')).toEqual([]);
    expectInvalid(() => between('2024-01-31', 'month', '2024-06-02', '2024-06-01'), 'invalid_range', 'to');
  });

  it('returns Dates that are not shared between periods', () => {
    const ps = periodsBetween(utc('2024-01-31'), 'month', utc('2024-01-31'), utc('2024-04-01'));
    ps[0]!.end.setUTCFullYear(1999);
    expect(iso(ps[1]!.start)).toBe(Z('2024-02-29'));
  });
});

describe('monthlySlices', () => {
  it('cuts a term into calendar months clamped from the start date', () => {
    const slices = monthlySlices(utc('2026-01-31'), 12).map((s) => [iso(s.start).slice(0, 10), iso(s.end).slice(0, 10)]);
    expect(slices).toEqual([
      ['2026-01-31', '2026-02-28'],
      ['2026-02-28', '2026-03-31'],
      ['2026-03-31', '2026-04-30'],
      ['2026-04-30', '2026-05-31'],
      ['2026-05-31', '2026-06-30'],
      ['2026-06-30', '2026-07-31'],
      ['2026-07-31', '2026-08-31'],
      ['2026-08-31', '2026-09-30'],
      ['2026-09-30', '2026-10-31'],
      ['2026-10-31', '2026-11-30'],
      ['2026-11-30', '2026-12-31'],
      ['2026-12-31', '2027-01-31'],
    ]);
  });

  it('covers a multi-year term in a leap year', () => {
    const slices = monthlySlices(utc('2024-01-31T09:00:00Z'), 36);
    expect(slices).toHaveLength(36);
    expect(iso(slices[1]!.start)).toBe('2024-02-29T09:00:00.000Z');
    expect(iso(slices[13]!.start)).toBe('2025-02-28T09:00:00.000Z');
    expect(iso(slices[35]!.end)).toBe('2027-01-31T09:00:00.000Z');
  });

  it('gives one slice for a one-month term', () => {
    expect(monthlySlices(utc('2026-03-31'), 1).map((s) => [iso(s.start), iso(s.end)])).toEqual([
      [Z('2026-03-31'), Z('2026-04-30')],
    ]);
  });

  it('rejects terms that are not a positive whole number of months', () => {
    expectInvalid(() => monthlySlices(utc('2026-01-01'), 0), 'invalid_integer', 'termMonths');
    expectInvalid(() => monthlySlices(utc('2026-01-01'), -12), 'invalid_integer', 'termMonths');
    expectInvalid(() => monthlySlices(utc('2026-01-01'), 1.5), 'invalid_integer', 'termMonths');
    expectInvalid(() => monthlySlices(new Date(Number.NaN), 12), 'invalid_date', 'start');
  });
});
