import { describe, expect, it } from 'vitest';
import { addInterval } from '../../../src/core/periods/index.js';
import { expectInvalid, iso, utc } from './helpers.js';

const monthly = (anchor: string, count: number): string => iso(addInterval(utc(anchor), 'month', count));
const yearly = (anchor: string, count: number): string => iso(addInterval(utc(anchor), 'year', count));

describe('addInterval', () => {
  it('clamps a Jan 31 anchor to each month end across a non-leap then a leap year, from the anchor each time', () => {
    const got = Array.from({ length: 15 }, (_, k) => monthly('2023-01-31', k).slice(0, 10));
    expect(got).toEqual([
      '2023-01-31',
      '2023-02-28',
      '2023-03-31', // back to the 31st: not chained from Feb 28
      '2023-04-30',
      '2023-05-31',
      '2023-06-30',
      '2023-07-31',
      '2023-08-31',
      '2023-09-30',
      '2023-10-31',
      '2023-11-30',
      '2023-12-31',
      '2024-01-31',
      '2024-02-29', // leap year
      '2024-03-31',
    ]);
  });

  it('gives Feb 29 for a Jan 31 anchor in a leap year and Feb 28 in century non-leap years', () => {
    expect(monthly('2024-01-31', 1)).toBe('2024-02-29T00:00:00.000Z');
    expect(monthly('2100-01-31', 1)).toBe('2100-02-28T00:00:00.000Z');
    expect(monthly('2000-01-31', 1)).toBe('2000-02-29T00:00:00.000Z');
    expect(monthly('2024-01-30', 1)).toBe('2024-02-29T00:00:00.000Z');
    expect(monthly('2024-01-29', 1)).toBe('2024-02-29T00:00:00.000Z');
    expect(monthly('2024-01-28', 1)).toBe('2024-02-28T00:00:00.000Z');
  });

  it('keeps a Feb 29 yearly anchor on Feb 28 until the next leap year', () => {
    expect([1, 2, 3, 4, 5, 8].map((k) => yearly('2024-02-29', k).slice(0, 10))).toEqual([
      '2025-02-28',
      '2026-02-28',
      '2027-02-28',
      '2028-02-29',
      '2029-02-28',
      '2032-02-29',
    ]);
    expect(yearly('2024-02-29', 76)).toBe('2100-02-28T00:00:00.000Z'); // 2100 is not a leap year
    expect(yearly('2024-02-29', 376)).toBe('2400-02-29T00:00:00.000Z'); // 2400 is
    expect(yearly('2024-02-29', -1)).toBe('2023-02-28T00:00:00.000Z');
    expect(yearly('2024-02-29', -4)).toBe('2020-02-29T00:00:00.000Z');
  });

  it('clamps Mar 31 to Apr 30 and returns to the 31st after', () => {
    expect(monthly('2026-03-31', 1)).toBe('2026-04-30T00:00:00.000Z');
    expect(monthly('2026-03-31', 2)).toBe('2026-05-31T00:00:00.000Z');
    expect(monthly('2026-03-31', 3)).toBe('2026-06-30T00:00:00.000Z');
    expect(monthly('2026-08-31', 1)).toBe('2026-09-30T00:00:00.000Z');
  });

  it('keeps the time of day to the millisecond', () => {
    expect(monthly('2024-01-31T13:45:10.123Z', 1)).toBe('2024-02-29T13:45:10.123Z');
    expect(yearly('2024-02-29T23:59:59.999Z', 1)).toBe('2025-02-28T23:59:59.999Z');
    expect(monthly('2026-05-15T00:00:00.001Z', -3)).toBe('2026-02-15T00:00:00.001Z');
  });

  it('goes backwards with negative counts, with the same clamping', () => {
    expect(monthly('2024-03-31', -1)).toBe('2024-02-29T00:00:00.000Z');
    expect(monthly('2024-01-31', -2)).toBe('2023-11-30T00:00:00.000Z');
    expect(monthly('2024-01-31', -13)).toBe('2022-12-31T00:00:00.000Z');
  });

  it('crosses year ends in both directions', () => {
    expect(monthly('2024-11-30', 3)).toBe('2025-02-28T00:00:00.000Z');
    expect(monthly('2025-01-15', -1)).toBe('2024-12-15T00:00:00.000Z');
    expect(monthly('2025-12-31', 12)).toBe('2026-12-31T00:00:00.000Z');
  });

  it('a year is exactly twelve months', () => {
    expect(yearly('2023-08-31T08:00:00Z', 3)).toBe(monthly('2023-08-31T08:00:00Z', 36));
  });

  it('returns an equal but separate Date for count 0', () => {
    const anchor = utc('2026-01-31T10:00:00Z');
    const same = addInterval(anchor, 'month', 0);
    expect(same.getTime()).toBe(anchor.getTime());
    expect(same).not.toBe(anchor);
  });

  it('works before 1970 and in years 0–99 (where Date.UTC would map to 19xx)', () => {
    expect(monthly('1969-12-31T23:00:00Z', 2)).toBe('1970-02-28T23:00:00.000Z');
    expect(monthly('1960-01-31T06:00:00Z', 1)).toBe('1960-02-29T06:00:00.000Z');
    const d = addInterval(utc('0050-01-31'), 'month', 1);
    expect(d.getUTCFullYear()).toBe(50);
    expect(iso(d)).toBe('0050-02-28T00:00:00.000Z');
    expect(monthly('0099-12-31', 1)).toBe('0100-01-31T00:00:00.000Z');
  });

  it('reaches far-future dates directly', () => {
    expect(monthly('2026-01-31', 12_000)).toBe('3026-01-31T00:00:00.000Z');
    expect(monthly('2026-01-31', 12_001)).toBe('3026-02-28T00:00:00.000Z');
    expect(yearly('2024-02-29', 97_976)).toBe('+100000-02-29T00:00:00.000Z');
  });

  it('is the same whatever the process time zone (DST plays no part)', () => {
    const before = process.env.TZ;
    const run = (): string[] => [
      monthly('2026-03-08T07:30:00Z', 1), // US DST starts that day
      monthly('2026-03-29T01:30:00Z', 1), // EU DST starts that day
      monthly('2026-10-25T00:30:00Z', -7),
      yearly('2024-02-29T23:30:00Z', 1),
    ];
    try {
      const results = ['UTC', 'America/New_York', 'Europe/Berlin', 'Pacific/Chatham', 'Asia/Kolkata'].map((tz) => {
        process.env.TZ = tz;
        return run();
      });
      for (const r of results) expect(r).toEqual(results[0]);
      expect(results[0]).toEqual([
        '2026-04-08T07:30:00.000Z',
        '2026-04-29T01:30:00.000Z',
        '2026-03-25T00:30:00.000Z',
        '2025-02-28T23:30:00.000Z',
      ]);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('rejects bad arguments with TallyErrors naming them', () => {
    expectInvalid(() => addInterval(utc('2026-01-31'), 'month', 1.5), 'invalid_integer', 'count');
    expectInvalid(() => addInterval(utc('2026-01-31'), 'month', Number.NaN), 'invalid_integer', 'count');
    expectInvalid(() => addInterval(utc('2026-01-31'), 'month', Infinity), 'invalid_integer', 'count');
    expectInvalid(() => addInterval(new Date('nope'), 'month', 1), 'invalid_date', 'anchor');
    expectInvalid(() => addInterval(new Date(8.64e15), 'month', 1), 'date_out_of_range', 'count');
    expectInvalid(() => addInterval(new Date(-8.64e15), 'year', -1), 'date_out_of_range', 'count');
  });
});
