import { invalid } from '../../shared/errors.js';

/**
 * Exact decimal numbers as bigint fixed-point with 12 fractional digits: the provider's precision for
 * unit amounts (`unit_amount_decimal`, in minor units). Used for unit prices, quantities and percentages.
 * There is no floating point anywhere in here; numbers are accepted only as input and converted through
 * their exact decimal string.
 */
export const DECIMAL_PLACES = 12;
const SCALE = 10n ** BigInt(DECIMAL_PLACES);

/**
 * Rounding modes. `half_up` rounds halves away from zero (1.5 → 2, -1.5 → -2), so negating a line negates
 * its rounding. `up`/`down` are away from / towards zero; `ceil`/`floor` towards +∞ / -∞.
 */
export type RoundingMode = 'half_up' | 'up' | 'down' | 'ceil' | 'floor';

/** n / d rounded by `mode`; d must be non-zero. The single place where bigint division rounds. */
export function divRound(n: bigint, d: bigint, mode: RoundingMode = 'half_up'): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates towards zero
  const r = n % d; // same sign as n
  if (r === 0n) return q;
  const positive = n > 0n;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return positive ? q + 1n : q - 1n;
    case 'ceil':
      return positive ? q + 1n : q;
    case 'floor':
      return positive ? q : q - 1n;
    case 'half_up': {
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice >= d) return positive ? q + 1n : q - 1n;
      return q;
    }
  }
}

const DECIMAL_RE = /^([+-])?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export class Decimal {
  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(SCALE);

  /** The value times 10^12. */
  readonly scaled: bigint;

  private constructor(scaled: bigint) {
    this.scaled = scaled;
  }

  static fromScaled(scaled: bigint): Decimal {
    return new Decimal(scaled);
  }

  static fromBigInt(n: bigint): Decimal {
    return new Decimal(n * SCALE);
  }

  /**
   * Parses `"12"`, `"-0.000000000001"`, `"1.5e3"`. More than 12 fractional digits is an error, not a
   * silent rounding: a price that cannot be represented exactly must be rejected where it is entered.
   */
  static parse(text: string, param = 'value'): Decimal {
    const s = text.trim();
    const m = DECIMAL_RE.exec(s);
    if (!m || (m[2] === undefined && (m[3] === undefined || m[3] === ''))) {
      throw invalid('invalid_decimal', `'${text}' is not a decimal number.`, param);
    }
    const sign = m[1] === '-' ? -1n : 1n;
    const intPart = m[2] ?? '0';
    const frac = m[3] ?? '';
    let digits = intPart + frac;
    const exp = -frac.length + (m[4] ? Number.parseInt(m[4], 10) : 0);
    if (Math.abs(exp) > 400) throw invalid('invalid_decimal', `'${text}' is out of range.`, param);
    // Normalize to exactly 12 fractional digits.
    const shift = exp + DECIMAL_PLACES;
    if (shift >= 0) {
      digits = digits + '0'.repeat(shift);
    } else {
      const cut = digits.length + shift;
      const dropped = cut > 0 ? digits.slice(cut) : digits;
      if (/[1-9]/.test(dropped)) {
        throw invalid(
          'too_many_decimal_places',
          `'${text}' has more than ${DECIMAL_PLACES} decimal places.`,
          param,
        );
      }
      digits = cut > 0 ? digits.slice(0, cut) : '0';
    }
    return new Decimal(sign * BigInt(digits || '0'));
  }

  /** Accepts a decimal string, a safe integer or finite number (via its exact shortest string), a bigint or a Decimal. */
  static from(value: string | number | bigint | Decimal, param = 'value'): Decimal {
    if (value instanceof Decimal) return value;
    if (typeof value === 'bigint') return Decimal.fromBigInt(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid('invalid_decimal', `${value} is not a finite number.`, param);
      // Whole numbers (most usage values) need no text round trip.
      if (Number.isSafeInteger(value)) return new Decimal(BigInt(value) * SCALE);
      return Decimal.parse(String(value), param);
    }
    return Decimal.parse(value, param);
  }

  add(o: Decimal): Decimal {
    return new Decimal(this.scaled + o.scaled);
  }

  sub(o: Decimal): Decimal {
    return new Decimal(this.scaled - o.scaled);
  }

  neg(): Decimal {
    return new Decimal(-this.scaled);
  }

  abs(): Decimal {
    return this.scaled < 0n ? this.neg() : this;
  }

  /** Product rounded half-up to 12 places. For money use `mulToInteger`, which rounds only once. */
  mul(o: Decimal, mode: RoundingMode = 'half_up'): Decimal {
    return new Decimal(divRound(this.scaled * o.scaled, SCALE, mode));
  }

  mulInt(n: bigint): Decimal {
    return new Decimal(this.scaled * n);
  }

  /** Quotient rounded to 12 places. */
  div(o: Decimal, mode: RoundingMode = 'half_up'): Decimal {
    if (o.scaled === 0n) throw new RangeError('division by zero');
    return new Decimal(divRound(this.scaled * SCALE, o.scaled, mode));
  }

  /** The exact product of two decimals rounded once to an integer: how a line amount is computed. */
  mulToInteger(o: Decimal, mode: RoundingMode = 'half_up'): bigint {
    return divRound(this.scaled * o.scaled, SCALE * SCALE, mode);
  }

  toInteger(mode: RoundingMode = 'half_up'): bigint {
    return divRound(this.scaled, SCALE, mode);
  }

  isInteger(): boolean {
    return this.scaled % SCALE === 0n;
  }

  cmp(o: Decimal): -1 | 0 | 1 {
    return this.scaled < o.scaled ? -1 : this.scaled > o.scaled ? 1 : 0;
  }

  eq(o: Decimal): boolean {
    return this.scaled === o.scaled;
  }

  lt(o: Decimal): boolean {
    return this.scaled < o.scaled;
  }

  lte(o: Decimal): boolean {
    return this.scaled <= o.scaled;
  }

  gt(o: Decimal): boolean {
    return this.scaled > o.scaled;
  }

  gte(o: Decimal): boolean {
    return this.scaled >= o.scaled;
  }

  isZero(): boolean {
    return this.scaled === 0n;
  }

  isNegative(): boolean {
    return this.scaled < 0n;
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.lte(b) ? a : b;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.gte(b) ? a : b;
  }

  /** Canonical form: no exponent, no trailing fractional zeros (`"0.5"`, `"12"`, `"-0.000000000001"`). */
  toString(): string {
    const neg = this.scaled < 0n;
    const abs = neg ? -this.scaled : this.scaled;
    const int = abs / SCALE;
    const rest = abs % SCALE;
    if (rest === 0n) return `${neg ? '-' : ''}${int}`;
    const frac = rest.toString().padStart(DECIMAL_PLACES, '0').replace(/0+$/, '');
    return `${neg ? '-' : ''}${int}${frac ? '.' + frac : ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
