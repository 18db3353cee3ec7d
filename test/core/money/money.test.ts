import { describe, expect, it } from 'vitest';
import {
  allocate,
  minorToJson,
  currencyExponent,
  Decimal,
  formatMajor,
  formatMoney,
  isKnownCurrency,
  knownCurrencies,
  money,
  normalizeCurrency,
  parseMajor,
  percentOf,
  roundMinor,
  splitEvenlyRemainderLast,
  sumMinor,
} from '../../../src/core/money/index.js';
import { TallyError } from '../../../src/shared/errors.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('currencies', () => {
  it('knows the provider exponents', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('usd')).toBe(2);
    expect(currencyExponent(' eur ')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KRW')).toBe(0);
    expect(currencyExponent('MGA')).toBe(0); // ISO says 2; the provider says 0
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('BHD')).toBe(3);
    // Stripe kept ISK two-decimal for backwards compatibility (100 = 1 króna) although ISO says 0.
    expect(currencyExponent('ISK')).toBe(2);
    expect(currencyExponent('HUF')).toBe(2);
  });

  it('rejects unknown currencies with unknown_currency naming the param', () => {
    const e = thrown(() => currencyExponent('XXX', 'prices.0.currency'));
    expect(e).toBeInstanceOf(TallyError);
    expect(e).toMatchObject({ type: 'invalid_request', code: 'unknown_currency', param: 'prices.0.currency' });
    expect(thrown(() => currencyExponent('ABC'))).toMatchObject({ param: 'currency' });
    expect(isKnownCurrency('abc')).toBe(false);
    expect(isKnownCurrency('gbp')).toBe(true);
  });

  it('lists known currencies sorted and upper-case, each once', () => {
    const all = knownCurrencies();
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
    expect(all).toEqual(expect.arrayContaining(['USD', 'EUR', 'JPY', 'KWD']));
    expect(normalizeCurrency(' usd')).toBe('USD');
    expect(money(5n, 'jpy')).toEqual({ amount: 5n, currency: 'JPY' });
  });
});

describe('parseMajor / formatMajor / formatMoney', () => {
  it('USD: two decimals', () => {
    expect(parseMajor('12.34', 'USD')).toBe(1234n);
    expect(parseMajor('12.3', 'usd')).toBe(1230n);
    expect(parseMajor('12', 'USD')).toBe(1200n);
    expect(parseMajor('-0.01', 'USD')).toBe(-1n);
    expect(parseMajor('1,234.56', 'USD')).toBe(123456n);
    expect(parseMajor('12.340', 'USD')).toBe(1234n); // an exact trailing zero is not an extra place
    expect(formatMajor(1234n, 'USD')).toBe('12.34');
    expect(formatMajor(5n, 'USD')).toBe('0.05');
    expect(formatMajor(-1234n, 'USD')).toBe('-12.34');
    expect(formatMajor(0n, 'USD')).toBe('0.00');
    expect(formatMoney(123456n, 'USD')).toBe('$1,234.56');
    expect(formatMoney(-5n, 'usd')).toBe('-$0.05');
    expect(formatMoney(50n, 'EUR', 'de-DE')).toMatch(/^0,50\s€$/);
  });

  it('USD: more places than the currency has is an error naming the param', () => {
    expect(thrown(() => parseMajor('12.345', 'USD', 'credit.amount'))).toMatchObject({
      type: 'invalid_request',
      code: 'too_many_decimal_places',
      param: 'credit.amount',
    });
    for (const bad of ['', 'abc', '1e3', '.5', '$5', '1.2.3']) {
      expect(thrown(() => parseMajor(bad, 'USD'))).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    }
  });

  it('JPY: zero decimals, amounts are yen', () => {
    expect(parseMajor('1000', 'JPY')).toBe(1000n);
    expect(parseMajor('1,000', 'JPY')).toBe(1000n);
    expect(thrown(() => parseMajor('1.5', 'JPY'))).toMatchObject({ code: 'too_many_decimal_places' });
    expect(formatMajor(1000n, 'JPY')).toBe('1000');
    expect(formatMajor(-7n, 'JPY')).toBe('-7');
    expect(formatMoney(1000n, 'JPY')).toBe('¥1,000');
  });

  it('KWD: three decimals', () => {
    expect(parseMajor('1.234', 'KWD')).toBe(1234n);
    expect(parseMajor('0.005', 'KWD')).toBe(5n);
    expect(thrown(() => parseMajor('0.0005', 'KWD'))).toMatchObject({ code: 'too_many_decimal_places' });
    expect(formatMajor(5n, 'KWD')).toBe('0.005');
    expect(formatMajor(-1234n, 'KWD')).toBe('-1.234');
    expect(formatMoney(1234n, 'KWD')).toMatch(/^KWD\s1\.234$/);
  });

  it('formats amounts beyond 2^53 exactly (Intl gets a decimal string, not a float)', () => {
    expect(formatMoney(12345678901234567890123n, 'USD')).toBe('$123,456,789,012,345,678,901.23');
  });

  it('unknown currency is an error everywhere', () => {
    expect(thrown(() => parseMajor('1', 'XXX'))).toMatchObject({ code: 'unknown_currency', param: 'currency' });
    expect(thrown(() => formatMajor(1n, 'XXX'))).toMatchObject({ code: 'unknown_currency' });
    expect(thrown(() => formatMoney(1n, 'XXX'))).toMatchObject({ code: 'unknown_currency' });
  });
});

describe('percentOf / roundMinor / sumMinor', () => {
  it('rounds once, half-up by default', () => {
    expect(percentOf(999n, Decimal.parse('12.5'))).toBe(125n); // 124.875
    expect(percentOf(5n, Decimal.parse('50'))).toBe(3n); // 2.5
    expect(percentOf(-5n, Decimal.parse('50'))).toBe(-3n);
    expect(percentOf(5n, Decimal.parse('50'), 'down')).toBe(2n);
    expect(percentOf(20000n, Decimal.parse('20'))).toBe(4000n);
    expect(percentOf(1n, Decimal.parse('0.000000000001'))).toBe(0n);
    expect(percentOf(12345n, Decimal.parse('100'))).toBe(12345n);
    expect(percentOf(12345n, Decimal.ZERO)).toBe(0n);
  });

  it('roundMinor and sumMinor', () => {
    expect(roundMinor(Decimal.parse('1.5'))).toBe(2n);
    expect(roundMinor(Decimal.parse('1.5'), 'down')).toBe(1n);
    expect(sumMinor([1n, 2n, -3n, 10n])).toBe(10n);
    expect(sumMinor([])).toBe(0n);
  });
});

describe('allocate', () => {
  it('splits proportionally and sums exactly', () => {
    expect(allocate(10n, [1n, 2n, 3n])).toEqual([2n, 3n, 5n]); // 1.67, 3.33, 5 → largest remainder first
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(10n, [0n, 1n])).toEqual([0n, 10n]);
    expect(allocate(0n, [3n, 4n])).toEqual([0n, 0n]);
  });

  it('gives ties to the earlier part', () => {
    expect(allocate(1n, [1n, 1n, 1n])).toEqual([1n, 0n, 0n]);
    expect(allocate(2n, [1n, 1n, 1n])).toEqual([1n, 1n, 0n]);
    expect(allocate(5n, [0n, 0n])).toEqual([3n, 2n]); // all-zero weights split evenly
  });

  it('mirrors negative totals', () => {
    expect(allocate(-10n, [1n, 2n, 3n])).toEqual([-2n, -3n, -5n]);
    expect(allocate(-1n, [1n, 1n])).toEqual([-1n, 0n]);
  });

  it('handles no parts and refuses negative weights', () => {
    expect(allocate(5n, [])).toEqual([]);
    expect(() => allocate(5n, [1n, -1n])).toThrow(RangeError);
  });
});

describe('splitEvenlyRemainderLast', () => {
  it('puts the remainder in the last slice', () => {
    expect(splitEvenlyRemainderLast(100n, 3)).toEqual([33n, 33n, 34n]);
    expect(splitEvenlyRemainderLast(120000n, 12)).toEqual(Array.from({ length: 12 }, () => 10000n));
    expect(splitEvenlyRemainderLast(2n, 3)).toEqual([0n, 0n, 2n]);
    expect(splitEvenlyRemainderLast(-100n, 3)).toEqual([-33n, -33n, -34n]);
    expect(splitEvenlyRemainderLast(7n, 1)).toEqual([7n]);
  });

  it('needs a positive integer count', () => {
    expect(() => splitEvenlyRemainderLast(1n, 0)).toThrow(RangeError);
    expect(() => splitEvenlyRemainderLast(1n, -1)).toThrow(RangeError);
    expect(() => splitEvenlyRemainderLast(1n, 1.5)).toThrow(RangeError);
  });
});

describe('minorToJson', () => {
  it('passes amounts that a JSON number holds exactly, and refuses the rest instead of rounding', () => {
    expect(minorToJson(123_45n)).toBe(12345);
    expect(minorToJson(-9_007_199_254_740_991n)).toBe(-9_007_199_254_740_991);
    expect(() => minorToJson(9_007_199_254_740_992n)).toThrow(RangeError);
    expect(() => minorToJson(-9_007_199_254_740_992n)).toThrow(RangeError);
  });
});
