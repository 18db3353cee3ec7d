import { invalid } from '../../shared/errors.js';
import { currencyExponent, normalizeCurrency } from './currency.js';
import { Decimal, divRound, type RoundingMode } from './decimal.js';

/** An amount in integer minor units of a currency (cents for USD, yen for JPY, fils for KWD). */
export interface Money {
  readonly amount: bigint;
  readonly currency: string;
}

export function money(amount: bigint, currency: string): Money {
  return { amount, currency: normalizeCurrency(currency) };
}

/**
 * Parses an amount written in major units (`"12.34"` USD → 1234n, `"1000"` JPY → 1000n). More decimal
 * places than the currency has is an error naming `param`, never a rounding.
 */
export function parseMajor(text: string, currency: string, param = 'amount'): bigint {
  const exp = currencyExponent(currency);
  const cleaned = text.trim().replace(/,/g, '');
  if (!/^[+-]?\d+(\.\d+)?$/.test(cleaned)) {
    throw invalid('invalid_amount', `'${text}' is not an amount.`, param);
  }
  const d = Decimal.parse(cleaned, param);
  const minor = d.mul(Decimal.fromBigInt(10n ** BigInt(exp)));
  if (!minor.isInteger()) {
    throw invalid(
      'too_many_decimal_places',
      `'${text}' has more decimal places than ${normalizeCurrency(currency)} allows (${exp}).`,
      param,
    );
  }
  return minor.toInteger('down');
}

/** Minor units → plain major-unit string: 1234n USD → "12.34", 5n KWD → "0.005", 1000n JPY → "1000". */
export function formatMajor(amount: bigint, currency: string): string {
  const exp = currencyExponent(currency);
  const neg = amount < 0n;
  const abs = neg ? -amount : amount;
  if (exp === 0) return `${neg ? '-' : ''}${abs}`;
  const base = 10n ** BigInt(exp);
  return `${neg ? '-' : ''}${abs / base}.${(abs % base).toString().padStart(exp, '0')}`;
}

/**
 * Human display (`$1,234.56`, `¥1,000`, `€0.50`). Intl receives the exact decimal string, never a float.
 */
export function formatMoney(amount: bigint, currency: string, locale = 'en-US'): string {
  const code = normalizeCurrency(currency);
  const exp = currencyExponent(code);
  const fmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: code,
    minimumFractionDigits: exp,
    maximumFractionDigits: exp,
  });
  // ES2023 Intl.NumberFormat accepts decimal strings and formats them exactly.
  return fmt.format(formatMajor(amount, code) as unknown as number);
}

/**
 * Minor units as a JSON number. Amounts are bigint inside Tally; past 2^53 a number would silently round,
 * and a silently rounded amount is a wrong bill, so that is an error instead.
 */
export function minorToJson(amount: bigint): number {
  if (amount > MAX_JSON || amount < -MAX_JSON) throw new RangeError(`amount ${amount} does not fit a JSON number exactly`);
  return Number(amount);
}

const MAX_JSON = BigInt(Number.MAX_SAFE_INTEGER);

/** A decimal amount in minor units rounded to whole minor units (a line's amount). */
export function roundMinor(d: Decimal, mode: RoundingMode = 'half_up'): bigint {
  return d.toInteger(mode);
}

/** `percent`% of an amount, rounded once (12.5% of 999 → 124.875 → 125). */
export function percentOf(amount: bigint, percent: Decimal, mode: RoundingMode = 'half_up'): bigint {
  return divRound(amount * percent.scaled, 100n * Decimal.ONE.scaled, mode);
}

export function sumMinor(amounts: Iterable<bigint>): bigint {
  let s = 0n;
  for (const a of amounts) s += a;
  return s;
}

/**
 * Splits `total` in proportion to non-negative `weights` so the parts sum to `total` exactly (largest
 * remainder; ties go to the earlier part). All-zero weights split evenly.
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) return [];
  if (weights.some((w) => w < 0n)) throw new RangeError('allocate: weights must be non-negative');
  const sumW = sumMinor(weights);
  const ws = sumW === 0n ? weights.map(() => 1n) : weights;
  const denom = sumW === 0n ? BigInt(weights.length) : sumW;
  const sign = total < 0n ? -1n : 1n;
  const abs = total * sign;
  const parts = ws.map((w) => (abs * w) / denom);
  const rema = ws.map((w, i) => ({ i, r: (abs * w) % denom }));
  let left = abs - sumMinor(parts);
  rema.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of rema) {
    if (left === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts.map((p) => p * sign);
}

/** `n` equal slices with the remainder in the last one (the amortization rule, R20). */
export function splitEvenlyRemainderLast(total: bigint, n: number): bigint[] {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError('splitEvenlyRemainderLast: n must be a positive integer');
  const slice = total / BigInt(n); // truncates toward zero, so the remainder keeps the sign of total
  const out = Array.from({ length: n }, () => slice);
  out[n - 1] = total - slice * BigInt(n - 1);
  return out;
}
