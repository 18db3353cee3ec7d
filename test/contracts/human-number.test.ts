import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHumanNumber } from '../../src/core/contracts/human-number.js';

const value = (input: unknown): string => {
  const r = parseHumanNumber(input);
  if (!r.ok) throw new Error(`${String(input)}: ${r.message}`);
  return r.value.toString();
};
const code = (input: unknown): string => {
  const r = parseHumanNumber(input);
  return r.ok ? `ok:${r.value.toString()}` : r.code;
};

describe('human numbers (R19)', () => {
  it('reads the ways order forms write numbers, exactly', () => {
    expect(value('60 million')).toBe('60000000');
    expect(value('1.5M')).toBe('1500000');
    expect(value('250k')).toBe('250000');
    expect(value('60,000,000')).toBe('60000000');
    expect(value('0.000045')).toBe('0.000045');
    expect(value('2 billion')).toBe('2000000000');
    expect(value('1.25 bn')).toBe('1250000000');
    expect(value(60000000)).toBe('60000000');
    expect(value('12,500.00')).toBe('12500');
  });

  it('keeps the currency written with an amount', () => {
    expect(parseHumanNumber('$12,500.00')).toMatchObject({ ok: true, currency: 'USD' });
    expect(value('$12,500.00')).toBe('12500');
    expect(parseHumanNumber('€5,000')).toMatchObject({ ok: true, currency: 'EUR' });
    expect(parseHumanNumber('5000 EUR')).toMatchObject({ ok: true, currency: 'EUR' });
    expect(parseHumanNumber('USD 1.5M')).toMatchObject({ ok: true, currency: 'USD' });
  });

  it('refuses anything it would have to guess', () => {
    expect(code('1,5')).toBe('ambiguous_decimal_separator');
    expect(code('12,50')).toBe('ambiguous_decimal_separator');
    expect(code('60.000.000')).toBe('ambiguous_thousands_separator');
    expect(code('1.500')).toBe('ambiguous_thousands_separator');
    expect(code('$5 EUR')).toBe('mixed_currencies');
    expect(code('€5,000 USD')).toBe('mixed_currencies');
    expect(code('1.5 billion-ish')).toBe('ambiguous_number');
    expect(code('about 5k')).toBe('ambiguous_number');
    expect(code('5 zillion')).toBe('unknown_scale_word');
    expect(code('-5')).toBe('negative_number');
    expect(code('')).toBe('number_required');
    expect(code(2 ** 60)).toBe('number_not_exact');
    expect(code('1,23,456')).toBe('ambiguous_number');
    expect(code(null)).toBe('invalid_number');
  });

  it('property: a plainly written integer reads back as itself, grouped or not, with or without $', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.boolean(), fc.boolean(), (n, grouped, dollar) => {
        const digits = n.toString();
        const text = (dollar ? '$' : '') + (grouped ? digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : digits);
        const r = parseHumanNumber(text);
        expect(r.ok && r.value.toString()).toBe(digits);
        if (r.ok) expect(r.currency).toBe(dollar ? 'USD' : null);
      }),
    );
  });

  it('property: scale words multiply exactly (k, M, million, bn)', () => {
    const scales: [string, bigint][] = [['k', 1_000n], [' thousand', 1_000n], ['M', 1_000_000n], [' million', 1_000_000n], ['bn', 1_000_000_000n], [' billion', 1_000_000_000n]];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom(...scales), (whole, cents, [word, factor]) => {
        const text = `${whole}.${String(cents).padStart(2, '0')}${word}`;
        const r = parseHumanNumber(text);
        // whole.cc × factor, computed with integers: (whole*100 + cents) * factor / 100
        const expected = (BigInt(whole) * 100n + BigInt(cents)) * factor;
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value.mulInt(100n).toString()).toBe(expected.toString());
      }),
    );
  });

  it('property: a comma followed by one, two or four+ digits is never read as a number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1000, max: 999_999 })), (a, b) => {
        const tail = b < 100 ? String(b).padStart(1 + (b % 2), '0') : String(b);
        const r = parseHumanNumber(`${a},${tail}`);
        expect(r.ok).toBe(false);
      }),
    );
  });

  it('property: text with junk after the number is refused, never truncated', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom('-ish', '?', ' or so', '+', ' approx.', '%'), (n, junk) => {
        expect(parseHumanNumber(`${n}${junk}`).ok).toBe(false);
      }),
    );
  });
});
