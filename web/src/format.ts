/**
 * Money and dates for display. Amounts arrive as integers in minor units (or decimal strings of minor units
 * for unit prices); they are turned into major-unit decimal strings by moving the point by the currency's
 * exponent — never through floating point — and formatted by Intl.
 */

const exponents = new Map<string, number>();

/** Minor-unit exponent of a currency as Intl knows it: 2 for USD, 0 for JPY, 3 for KWD. */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  let e = exponents.get(code);
  if (e === undefined) {
    try {
      e = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      e = 2;
    }
    exponents.set(code, e);
  }
  return e;
}

/** "-12345" (minor) with exponent 2 → "-123.45"; also takes decimal strings such as "0.005". */
export function shiftDecimal(minor: string | number | bigint, exponent: number): string {
  let s = String(minor).trim();
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const [int = '0', frac = ''] = s.split('.');
  const digits = int + frac;
  const pointAt = int.length - exponent;
  let whole = pointAt <= 0 ? '0' : digits.slice(0, pointAt);
  let fraction = pointAt <= 0 ? '0'.repeat(-pointAt) + digits : digits.slice(pointAt);
  whole = whole.replace(/^0+(?=\d)/, '') || '0';
  fraction = fraction.replace(/0+$/, '');
  const out = fraction ? `${whole}.${fraction}` : whole;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

/** An amount in minor units, e.g. money(12345, 'usd') → "$123.45", money(500, 'jpy') → "¥500". */
export function money(minor: number | string | bigint | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return '—';
  const exp = currencyExponent(currency);
  const major = shiftDecimal(minor, exp);
  const fractionDigits = major.includes('.') ? major.split('.')[1]!.length : 0;
  const fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: exp, maximumFractionDigits: Math.max(exp, Math.min(fractionDigits, 20)) });
  // Intl formats decimal strings exactly (no float rounding) in current browsers.
  return fmt.format(major as Intl.StringNumericLiteral);
}

/** A major-unit amount typed by a person ("12.50") → minor units as an integer, or null when it is not one. */
export function parseMajor(input: string, currency: string): number | null {
  const s = input.trim().replace(/,/g, '');
  const exp = currencyExponent(currency);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > exp) return null;
  const minor = BigInt(m[1]! + frac.padEnd(exp, '0'));
  return minor > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(minor);
}

export function quantity(q: string | number | null | undefined): string {
  if (q === null || q === undefined) return '—';
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 12 }).format(String(q) as Intl.StringNumericLiteral);
}

/** "2026-11-22 17:05 UTC": staff compare times across timezones, so UTC is what is shown. */
export function utc(iso: string, withTime = true): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  return withTime ? `${s.slice(0, 10)} ${s.slice(11, 16)} UTC` : s.slice(0, 10);
}

/** The viewer's local time, for the hover title. */
export function local(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })} (your time)`;
}
