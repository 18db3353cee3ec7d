/**
 * Text formatting for customer-facing documents (invoice PDFs). Everything here is exact: amounts arrive as
 * bigint minor units or as `Decimal`s and reach `Intl.NumberFormat` as decimal strings, never as floats.
 * Dates are always shown in UTC, so a document does not depend on the server's time zone.
 */
import { currencyExponent, normalizeCurrency } from '../core/money/currency.js';
import { DECIMAL_PLACES, type Decimal } from '../core/money/decimal.js';
import { formatMoney } from '../core/money/money.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `22 Nov 2026`, in UTC. */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('formatDate: invalid date');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/**
 * A billing period as printed: `1 Nov – 1 Dec 2026`, or `15 Dec 2026 – 15 Jan 2027` across a year end.
 * Periods are printed as stored (the end is the provider's exclusive end, as on the provider's invoices).
 */
export function formatPeriod(period: { readonly start: Date; readonly end: Date }): string {
  const { start, end } = period;
  if (start.getUTCFullYear() === end.getUTCFullYear()) {
    return `${start.getUTCDate()} ${MONTHS[start.getUTCMonth()]} – ${formatDate(end)}`;
  }
  return `${formatDate(start)} – ${formatDate(end)}`;
}

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** `1234567.5` → `1,234,567.5`: thousands separators, every significant fractional digit kept. */
export function formatQuantity(quantity: Decimal): string {
  const text = quantity.toString();
  const neg = text.startsWith('-');
  const [int = '0', frac] = (neg ? text.slice(1) : text).split('.');
  return `${neg ? '-' : ''}${group(int)}${frac ? `.${frac}` : ''}`;
}

/**
 * A unit price given in (possibly fractional) minor units, shown in major units with as many decimals as it
 * needs and at least the currency's own: 0.005 USD cents → `$0.00005`, 150 cents → `$1.50`,
 * 0.5 yen → `¥0.5`, 1000 yen → `¥1,000`. Up to 12 decimal places in minor units, so up to 12 + exponent here.
 */
export function formatUnitAmount(unitAmountMinorDecimal: Decimal, currency: string): string {
  const code = normalizeCurrency(currency);
  const exp = currencyExponent(code);
  if (unitAmountMinorDecimal.isInteger()) return formatMoney(unitAmountMinorDecimal.toInteger('down'), code);

  // scaled = minor × 10^12 = major × 10^(12 + exp): place the decimal point 12 + exp digits from the right.
  const places = DECIMAL_PLACES + exp;
  const scaled = unitAmountMinorDecimal.scaled;
  const neg = scaled < 0n;
  const digits = (neg ? -scaled : scaled).toString().padStart(places + 1, '0');
  const int = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places).replace(/0+$/, '');
  const major = `${neg ? '-' : ''}${int}.${frac}`;
  const fmt = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: code,
    minimumFractionDigits: exp,
    maximumFractionDigits: Math.max(exp, frac.length),
  });
  // Intl formats decimal strings exactly (ES2023); the cast only satisfies the older typings.
  return fmt.format(major as unknown as number);
}

/** pdfkit's built-in fonts speak WinAnsi (Windows-1252): Latin-1 plus these typographic characters. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

export function isWinAnsi(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const latin1 = (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || cp === 0x0a;
    if (!latin1 && !WIN_ANSI_EXTRA.has(ch)) return false;
  }
  return true;
}

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\s*[–-]\s*∞/g, '+'], // open-ended tier ranges: "1,000,001–∞" → "1,000,001+"
  [/∞/g, 'unlimited'],
  [/[−‐‑‒]/g, '-'],
  [/[\u2000-\u200a\u202f\u205f]/g, ' '],
  [/[\u200b-\u200d\u2060\ufeff]/g, ''],
  [/≤/g, '<='],
  [/≥/g, '>='],
  [/×/g, 'x'],
  [/→/g, '->'],
  [/[\t\r]/g, ' '],
];

/**
 * Text the built-in fonts can draw: common typographic characters get ASCII stand-ins and anything else
 * outside WinAnsi becomes `?` (rather than an invisible `.notdef` glyph).
 */
export function winAnsiSafe(text: string): string {
  if (isWinAnsi(text)) return text;
  let out = text;
  for (const [re, to] of REPLACEMENTS) out = out.replace(re, to);
  return [...out].map((ch) => (isWinAnsi(ch) ? ch : '?')).join('');
}

/**
 * An amount string (from `formatMoney` or `formatUnitAmount`) the built-in fonts can draw: when the currency
 * symbol is outside WinAnsi (₹, ₩, ₺, …) the ISO code stands in for it (`INR 1,234.00`).
 */
export function pdfAmount(formatted: string, currency: string): string {
  if (isWinAnsi(formatted)) return formatted;
  const neg = /^[-−]/.test(formatted.trim());
  return `${neg ? '-' : ''}${normalizeCurrency(currency)} ${formatted.replace(/[^0-9.,]/g, '')}`;
}
