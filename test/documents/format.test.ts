import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/core/money/decimal.js';
import {
  formatDate,
  formatPeriod,
  formatQuantity,
  formatUnitAmount,
  isWinAnsi,
  pdfAmount,
  winAnsiSafe,
} from '../../src/documents/format.js';

const d = (s: string): Decimal => Decimal.parse(s);

describe('formatDate', () => {
  it('prints day, short month and year in UTC', () => {
    expect(formatDate(new Date('2026-11-22T00:00:00Z'))).toBe('22 Nov 2026');
    expect(formatDate(new Date('2026-01-05T23:59:59Z'))).toBe('5 Jan 2026');
    // 23:30 on 31 Dec in New York is already 1 Jan in UTC: the document follows UTC, not the server.
    expect(formatDate(new Date('2026-12-31T23:30:00-05:00'))).toBe('1 Jan 2027');
  });

  it('rejects an invalid date', () => {
    expect(() => formatDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('formatPeriod', () => {
  it('names the year once within a year and twice across a year end', () => {
    expect(formatPeriod({ start: new Date('2026-10-22T00:00:00Z'), end: new Date('2026-11-22T00:00:00Z') })).toBe('22 Oct – 22 Nov 2026');
    expect(formatPeriod({ start: new Date('2026-12-15T00:00:00Z'), end: new Date('2027-01-15T00:00:00Z') })).toBe('15 Dec 2026 – 15 Jan 2027');
  });
});

describe('formatQuantity', () => {
  it.each([
    ['0', '0'],
    ['999', '999'],
    ['1000', '1,000'],
    ['60000000', '60,000,000'],
    ['1234567.5', '1,234,567.5'],
    ['0.000000000001', '0.000000000001'],
    ['-1234.25', '-1,234.25'],
  ])('%s → %s', (input, expected) => {
    expect(formatQuantity(d(input))).toBe(expected);
  });
});

describe('formatUnitAmount', () => {
  it.each([
    // [minor units, currency, shown]
    ['0.005', 'USD', '$0.00005'],
    ['0.0125', 'usd', '$0.000125'],
    ['150', 'USD', '$1.50'],
    ['123456789', 'USD', '$1,234,567.89'],
    ['0.5', 'USD', '$0.005'],
    ['0', 'USD', '$0.00'],
    ['12.5', 'USD', '$0.125'],
    ['0.000000000001', 'USD', '$0.00000000000001'],
    ['123456.123456789012', 'USD', '$1,234.56123456789012'],
    ['2.5', 'EUR', '€0.025'],
    ['4999', 'EUR', '€49.99'],
    ['1000', 'JPY', '¥1,000'],
    ['0.05', 'JPY', '¥0.05'],
    ['1.5', 'KWD', 'KWD 0.0015'],
    ['-0.005', 'USD', '-$0.00005'],
  ])('%s minor %s → %s', (minor, currency, expected) => {
    expect(formatUnitAmount(d(minor), currency).replace(/\u00a0/g, ' ')).toBe(expected);
  });

  it('uses formatMoney for whole minor units, so unit and line amounts look alike', () => {
    expect(formatUnitAmount(d('100000'), 'JPY')).toBe('¥100,000');
    expect(formatUnitAmount(d('100000'), 'USD')).toBe('$1,000.00');
  });

  it('rejects an unknown currency', () => {
    expect(() => formatUnitAmount(d('1'), 'XYZ')).toThrow(/Unknown currency/);
  });
});

describe('WinAnsi safety for the built-in PDF fonts', () => {
  it('knows what Helvetica can draw', () => {
    expect(isWinAnsi('Lindenstraße 12 — €1.00 · ¥5 “quoted” …')).toBe(true);
    expect(isWinAnsi('1,000,001–∞')).toBe(false);
    expect(isWinAnsi('₹100')).toBe(false);
  });

  it('replaces what it cannot draw', () => {
    expect(winAnsiSafe('Events (tier 2: 1,000,001–∞)')).toBe('Events (tier 2: 1,000,001+)');
    expect(winAnsiSafe('a − b ≤ c')).toBe('a - b <= c');
    expect(winAnsiSafe('東京 Ltd')).toBe('?? Ltd');
    expect(winAnsiSafe('plain text')).toBe('plain text');
  });

  it('writes the ISO code where the currency symbol cannot be drawn', () => {
    expect(pdfAmount('₹1,234.50', 'INR')).toBe('INR 1,234.50');
    expect(pdfAmount('-₩1,000', 'krw')).toBe('-KRW 1,000');
    expect(pdfAmount('$1,234.50', 'USD')).toBe('$1,234.50');
    expect(pdfAmount('€0.50', 'EUR')).toBe('€0.50');
  });
});
