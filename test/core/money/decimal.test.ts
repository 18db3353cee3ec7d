import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, DECIMAL_PLACES, divRound, type RoundingMode } from '../../../src/core/money/decimal.js';
import { TallyError } from '../../../src/shared/errors.js';

const d = (s: string): Decimal => Decimal.parse(s);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('Decimal.parse / toString', () => {
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['12', '12'],
    ['+12', '12'],
    ['00012.3400', '12.34'],
    ['1.', '1'],
    ['.5', '0.5'],
    ['-.5', '-0.5'],
    ['0.000000000001', '0.000000000001'],
    ['-0.000000000001', '-0.000000000001'],
    ['1.000000000000000', '1'], // trailing zeros beyond 12 places are exact, so accepted
    ['  7.25 ', '7.25'],
    ['12345678901234567890.123456789012', '12345678901234567890.123456789012'],
  ])('parses %j canonically as %j', (input, canonical) => {
    const x = d(input);
    expect(x.toString()).toBe(canonical);
    expect(d(x.toString()).eq(x)).toBe(true);
  });

  it.each([
    ['1e3', '1000'],
    ['1E+2', '100'],
    ['1.5e3', '1500'],
    ['1.5e-11', '0.000000000015'],
    ['-1.23e-10', '-0.000000000123'],
    ['1e-12', '0.000000000001'],
    ['123e-2', '1.23'],
    ['1e21', '1000000000000000000000'],
  ])('parses exponent notation %j as %j', (input, canonical) => {
    expect(d(input).toString()).toBe(canonical);
  });

  it('rejects more than 12 decimal places, naming the param', () => {
    for (const s of ['0.0000000000001', '1.5e-12', '-0.1234567890123', '1e-13']) {
      const e = thrown(() => Decimal.parse(s, 'tiers.0.unit_amount'));
      expect(e).toBeInstanceOf(TallyError);
      expect(e).toMatchObject({ type: 'invalid_request', code: 'too_many_decimal_places', param: 'tiers.0.unit_amount' });
    }
    expect(DECIMAL_PLACES).toBe(12);
  });

  it.each(['', ' ', '.', '+', '-', 'e5', '1e', 'abc', '1,5', '1.2.3', '0x10', 'NaN', 'Infinity', '1 000'])(
    'rejects %j as not a decimal, naming the param',
    (s) => {
      expect(thrown(() => Decimal.parse(s, 'quantity'))).toMatchObject({ code: 'invalid_decimal', param: 'quantity' });
    },
  );

  it('defaults the param to "value" and rejects absurd exponents', () => {
    expect(thrown(() => Decimal.parse('x'))).toMatchObject({ param: 'value' });
    expect(thrown(() => Decimal.parse('1e999'))).toMatchObject({ code: 'invalid_decimal' });
  });

  it('from() takes strings, safe numbers via their exact string, bigints and Decimals', () => {
    expect(Decimal.from('1.25').toString()).toBe('1.25');
    expect(Decimal.from(7).toString()).toBe('7');
    expect(Decimal.from(0.05).toString()).toBe('0.05');
    expect(Decimal.from(1e-7).toString()).toBe('0.0000001');
    expect(Decimal.from(-0).toString()).toBe('0');
    expect(Decimal.from(12n).toString()).toBe('12');
    const x = d('3.5');
    expect(Decimal.from(x)).toBe(x);
    // A float that is not what it looks like is refused rather than rounded.
    expect(thrown(() => Decimal.from(0.1 + 0.2, 'percent'))).toMatchObject({ code: 'too_many_decimal_places', param: 'percent' });
    expect(thrown(() => Decimal.from(Number.NaN))).toMatchObject({ code: 'invalid_decimal' });
    expect(thrown(() => Decimal.from(Infinity))).toMatchObject({ code: 'invalid_decimal' });
  });

  it('serializes to JSON as its canonical string', () => {
    expect(JSON.stringify({ a: d('0.50') })).toBe('{"a":"0.5"}');
  });
});

describe('divRound', () => {
  // n / d for halves, quarters, exact and zero quotients, both signs.
  const cases: Array<[bigint, bigint, Record<RoundingMode, bigint>]> = [
    [5n, 2n, { half_up: 3n, up: 3n, down: 2n, ceil: 3n, floor: 2n }], // 2.5
    [-5n, 2n, { half_up: -3n, up: -3n, down: -2n, ceil: -2n, floor: -3n }], // -2.5
    [5n, -2n, { half_up: -3n, up: -3n, down: -2n, ceil: -2n, floor: -3n }], // -2.5 via the divisor
    [-5n, -2n, { half_up: 3n, up: 3n, down: 2n, ceil: 3n, floor: 2n }], // 2.5
    [7n, 4n, { half_up: 2n, up: 2n, down: 1n, ceil: 2n, floor: 1n }], // 1.75
    [-7n, 4n, { half_up: -2n, up: -2n, down: -1n, ceil: -1n, floor: -2n }], // -1.75
    [5n, 4n, { half_up: 1n, up: 2n, down: 1n, ceil: 2n, floor: 1n }], // 1.25
    [-5n, 4n, { half_up: -1n, up: -2n, down: -1n, ceil: -1n, floor: -2n }], // -1.25
    [1n, 2n, { half_up: 1n, up: 1n, down: 0n, ceil: 1n, floor: 0n }], // 0.5
    [-1n, 2n, { half_up: -1n, up: -1n, down: 0n, ceil: 0n, floor: -1n }], // -0.5
    [1n, 3n, { half_up: 0n, up: 1n, down: 0n, ceil: 1n, floor: 0n }], // 0.333…
    [-1n, 3n, { half_up: 0n, up: -1n, down: 0n, ceil: 0n, floor: -1n }], // -0.333…
    [6n, 2n, { half_up: 3n, up: 3n, down: 3n, ceil: 3n, floor: 3n }], // exact
    [-6n, 2n, { half_up: -3n, up: -3n, down: -3n, ceil: -3n, floor: -3n }],
    [0n, 7n, { half_up: 0n, up: 0n, down: 0n, ceil: 0n, floor: 0n }],
  ];
  for (const [n, den, expected] of cases) {
    for (const mode of Object.keys(expected) as RoundingMode[]) {
      it(`${n} / ${den} ${mode} → ${expected[mode]}`, () => {
        expect(divRound(n, den, mode)).toBe(expected[mode]);
      });
    }
  }

  it('defaults to half_up and refuses division by zero', () => {
    expect(divRound(3n, 2n)).toBe(2n);
    expect(() => divRound(1n, 0n)).toThrow(RangeError);
  });

  it('is exact for numbers far beyond 2^53', () => {
    const big = 10n ** 40n + 5n;
    expect(divRound(big, 10n)).toBe(10n ** 39n + 1n);
    expect(divRound(big, 10n, 'down')).toBe(10n ** 39n);
  });
});

describe('Decimal arithmetic', () => {
  it('adds, subtracts, negates exactly', () => {
    expect(d('0.1').add(d('0.2')).toString()).toBe('0.3');
    expect(d('1').sub(d('0.000000000001')).toString()).toBe('0.999999999999');
    expect(d('2.5').neg().toString()).toBe('-2.5');
    expect(d('-2.5').abs().toString()).toBe('2.5');
    expect(d('2').mulInt(3n).toString()).toBe('6');
  });

  it('mul rounds to 12 places, div too, with a mode', () => {
    expect(d('0.000001').mul(d('0.000001')).toString()).toBe('0.000000000001');
    expect(d('0.000001').mul(d('0.0000005')).toString()).toBe('0.000000000001'); // 5e-13 half-up
    expect(d('0.000001').mul(d('0.0000005'), 'down').toString()).toBe('0');
    expect(d('1').div(d('3')).toString()).toBe('0.333333333333');
    expect(d('2').div(d('3')).toString()).toBe('0.666666666667');
    expect(d('2').div(d('3'), 'down').toString()).toBe('0.666666666666');
    expect(() => d('1').div(Decimal.ZERO)).toThrow(RangeError);
  });

  it('mulToInteger rounds once, half-up: Stripe 0.05 × 30 = 1.5 → 2', () => {
    expect(d('0.05').mulToInteger(d('30'))).toBe(2n);
    expect(d('0.05').mulToInteger(d('29'))).toBe(1n); // 1.45
    expect(d('0.05').mulToInteger(d('31'))).toBe(2n); // 1.55
    expect(d('-0.05').mulToInteger(d('30'))).toBe(-2n); // halves away from zero
    expect(d('0.05').mulToInteger(d('30'), 'down')).toBe(1n);
    // Rounding once matters: 0.999999999999 × 0.5 = 0.4999999999995 → 0, whereas rounding the product to
    // 12 places first would give 0.5 and then 1.
    expect(d('0.999999999999').mulToInteger(d('0.5'))).toBe(0n);
    expect(d('0.999999999999').mul(d('0.5')).toInteger()).toBe(1n);
  });

  it('toInteger and isInteger', () => {
    expect(d('2.5').toInteger()).toBe(3n);
    expect(d('-2.5').toInteger()).toBe(-3n);
    expect(d('2.5').toInteger('floor')).toBe(2n);
    expect(d('-2.5').toInteger('ceil')).toBe(-2n);
    expect(d('3').isInteger()).toBe(true);
    expect(d('-3').isInteger()).toBe(true);
    expect(d('3.000000000001').isInteger()).toBe(false);
  });

  it('compares', () => {
    expect(d('1').cmp(d('2'))).toBe(-1);
    expect(d('2').cmp(d('2.0'))).toBe(0);
    expect(d('3').cmp(d('2'))).toBe(1);
    expect(d('1').lt(d('1.000000000001'))).toBe(true);
    expect(d('1').lte(d('1'))).toBe(true);
    expect(d('1').gt(d('-1'))).toBe(true);
    expect(d('1').gte(d('1'))).toBe(true);
    expect(Decimal.min(d('1'), d('-1')).toString()).toBe('-1');
    expect(Decimal.max(d('1'), d('-1')).toString()).toBe('1');
    expect(Decimal.ZERO.isZero()).toBe(true);
    expect(d('-0.000000000001').isNegative()).toBe(true);
    expect(Decimal.ONE.scaled).toBe(10n ** 12n);
    expect(Decimal.fromScaled(1n).toString()).toBe('0.000000000001');
    expect(Decimal.fromBigInt(-4n).toString()).toBe('-4');
  });
});

describe('Decimal fast paths', () => {
  it('a whole JS number gives what its decimal text gives, and whole values print without a fraction', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.maxSafeNat().map((n) => -n)), (n) => {
        const d = Decimal.from(n);
        expect(d.scaled).toBe(Decimal.parse(String(n)).scaled);
        expect(d.toString()).toBe(String(n === 0 ? 0 : n));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (scaled) => {
        // Every value prints as text that parses back to itself.
        expect(Decimal.parse(Decimal.fromScaled(scaled).toString()).scaled).toBe(scaled);
      }),
      { numRuns: 500 },
    );
  });
});
