import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  dueDate,
  expiryOf,
  formatDateOnly,
  parseDateOnly,
  startOfUtcDay,
} from '../../../src/core/periods/index.js';
import { expectInvalid, iso, utc } from './helpers.js';

describe('day arithmetic', () => {
  it('addDays moves by whole UTC days, through Feb 29 and DST changes alike', () => {
    expect(iso(addDays(utc('2024-02-28T12:00:00Z'), 1))).toBe('2024-02-29T12:00:00.000Z');
    expect(iso(addDays(utc('2024-02-28T12:00:00Z'), 2))).toBe('2024-03-01T12:00:00.000Z');
    expect(iso(addDays(utc('2025-02-28T12:00:00Z'), 1))).toBe('2025-03-01T12:00:00.000Z');
    expect(iso(addDays(utc('2026-03-07T12:00:00Z'), 1))).toBe('2026-03-08T12:00:00.000Z');
    expect(iso(addDays(utc('2026-03-01'), -1))).toBe('2026-02-28T00:00:00.000Z');
    expectInvalid(() => addDays(utc('2026-03-01'), 0.5), 'invalid_integer', 'n');
    expectInvalid(() => addDays(new Date(Number.NaN), 1), 'invalid_date', 'd');
    expectInvalid(() => addDays(new Date(8.64e15), 1), 'date_out_of_range', 'n');
  });

  it('daysBetween counts UTC calendar dates, ignoring time of day', () => {
    expect(daysBetween(utc('2026-01-01T23:59:00Z'), utc('2026-01-02T00:01:00Z'))).toBe(1);
    expect(daysBetween(utc('2026-01-01T00:00:00Z'), utc('2026-01-01T23:59:59.999Z'))).toBe(0);
    expect(daysBetween(utc('2026-01-02T00:01:00Z'), utc('2026-01-01T23:59:00Z'))).toBe(-1);
    expect(daysBetween(utc('2024-01-01'), utc('2025-01-01'))).toBe(366);
    expect(daysBetween(utc('2025-01-01'), utc('2026-01-01'))).toBe(365);
    expect(daysBetween(utc('1969-12-31T23:00:00Z'), utc('1970-01-01T01:00:00Z'))).toBe(1);
    expect(daysBetween(utc('2026-01-01'), utc('2526-01-01'))).toBe(182_621);
  });

  it('startOfUtcDay floors to UTC midnight, before 1970 too', () => {
    expect(iso(startOfUtcDay(utc('2026-05-17T23:59:59.999Z')))).toBe('2026-05-17T00:00:00.000Z');
    expect(iso(startOfUtcDay(utc('2026-05-17T00:00:00.000Z')))).toBe('2026-05-17T00:00:00.000Z');
    expect(iso(startOfUtcDay(utc('1969-12-31T12:00:00Z')))).toBe('1969-12-31T00:00:00.000Z');
    expect(iso(startOfUtcDay(utc('1900-03-01T00:00:00.001Z')))).toBe('1900-03-01T00:00:00.000Z');
  });
});

describe('expiryOf (R6 startup validity)', () => {
  it('is start + validDays days at the same time of day', () => {
    expect(iso(expiryOf(utc('2026-01-15T09:30:00Z'), 90))).toBe('2026-04-15T09:30:00.000Z');
    expect(iso(expiryOf(utc('2024-01-15T09:30:00Z'), 90))).toBe('2024-04-14T09:30:00.000Z'); // Feb 29
    expect(iso(expiryOf(utc('2024-03-01'), 365))).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(expiryOf(utc('2023-03-01'), 365))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(expiryOf(utc('2026-01-15'), 0))).toBe('2026-01-15T00:00:00.000Z');
  });

  it('rejects negative or fractional validity', () => {
    expectInvalid(() => expiryOf(utc('2026-01-15'), -1), 'invalid_integer', 'validDays');
    expectInvalid(() => expiryOf(utc('2026-01-15'), 30.5), 'invalid_integer', 'validDays');
    expectInvalid(() => expiryOf(new Date(Number.NaN), 30), 'invalid_date', 'start');
  });
});

describe('dueDate (R19, R23)', () => {
  it('is net 30 by default', () => {
    expect(iso(dueDate(utc('2026-01-31')))).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(dueDate(utc('2024-01-31')))).toBe('2024-03-01T00:00:00.000Z');
    expect(iso(dueDate(utc('2026-12-15T17:00:00Z')))).toBe('2027-01-14T17:00:00.000Z');
  });

  it('takes other terms', () => {
    expect(iso(dueDate(utc('2026-01-31'), 45))).toBe('2026-03-17T00:00:00.000Z');
    expect(iso(dueDate(utc('2026-01-31'), 0))).toBe('2026-01-31T00:00:00.000Z');
    expectInvalid(() => dueDate(utc('2026-01-31'), -1), 'invalid_integer', 'netDays');
  });
});

describe('date-only strings', () => {
  it('parses YYYY-MM-DD to UTC midnight', () => {
    expect(iso(parseDateOnly('2026-01-31'))).toBe('2026-01-31T00:00:00.000Z');
    expect(iso(parseDateOnly('2024-02-29'))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(parseDateOnly('2000-02-29'))).toBe('2000-02-29T00:00:00.000Z');
    expect(parseDateOnly('0001-01-01').getUTCFullYear()).toBe(1); // not 1901
    expect(parseDateOnly('0099-12-31').getUTCFullYear()).toBe(99);
  });

  it('rejects dates that do not exist instead of rolling them over', () => {
    for (const bad of ['2026-02-29', '2026-02-30', '2100-02-29', '2026-04-31', '2026-01-32', '2026-13-01', '2026-00-10', '2026-01-00']) {
      expectInvalid(() => parseDateOnly(bad), 'invalid_date', 'date');
    }
  });

  it('rejects anything but exactly YYYY-MM-DD', () => {
    for (const bad of ['', '2026-1-31', '26-01-31', '20260131', ' 2026-01-31', '2026-01-31 ', '2026-01-31T00:00:00Z', '2026/01/31', '+02026-01-31']) {
      expectInvalid(() => parseDateOnly(bad), 'invalid_date', 'date');
    }
    expectInvalid(() => parseDateOnly(20260131 as unknown as string), 'invalid_date', 'date');
  });

  it('names the param in the error', () => {
    expectInvalid(() => parseDateOnly('2026-02-30', 'contract.start_date'), 'invalid_date', 'contract.start_date');
    expect(() => parseDateOnly('2026-02-30', 'contract.start_date')).toThrow(/contract\.start_date.*2026-02-30/);
  });

  it('formats the UTC date, dropping the time of day', () => {
    expect(formatDateOnly(utc('2026-01-31T23:59:59.999Z'))).toBe('2026-01-31');
    expect(formatDateOnly(utc('1969-12-31T12:00:00Z'))).toBe('1969-12-31');
    expect(formatDateOnly(utc('0005-03-01'))).toBe('0005-03-01');
    expectInvalid(() => formatDateOnly(new Date(Number.NaN)), 'invalid_date', 'd');
  });
});
